package dev.tropism.engine.hf;

import ai.djl.ndarray.NDManager;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.tropism.engine.lm.ChatFormat;
import dev.tropism.engine.lm.LanguageModel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An imported model's directory as a {@link LanguageModel}, the layout transformers' {@code save_pretrained} writes:
 * {@code config.json}, {@code model.safetensors} (or shards with an index), {@code tokenizer.json} and the optional
 * tokenizer files. Loading runs every check of {@link HfModelInfo#inspect}; writing puts float32 weights (merged, when
 * LoRA adapters are attached, with the PEFT adapter files under {@value #PEFT_DIR}/) beside the original
 * configuration and tokenizer files.
 */
public final class HfDirectory {

    /** Where a model with adapters also writes them in PEFT's layout ({@link Lora#savePeft}). */
    public static final String PEFT_DIR = "peft";
    /** The files besides the weights that belong to a model and are written back unchanged (config.json patched). */
    static final List<String> SIDE_FILES = List.of(HfConfig.FILE, "generation_config.json", HfTokenizer.FILE,
            HfTokenizer.CONFIG, "special_tokens_map.json", "added_tokens.json", "vocab.json", "merges.txt",
            "chat_template.jinja");

    private HfDirectory() {
    }

    /**
     * Loads {@code dir}.
     *
     * @throws IOException when the directory cannot be read, or, with a {@link ModelFormatException} as its cause,
     *     cannot be imported
     */
    public static LanguageModel load(Path dir, NDManager parent) throws IOException {
        try {
            HfConfig config = HfConfig.read(dir);
            HfTokenizer tokenizer = HfTokenizer.load(dir);
            try {
                tokenizer.requireFits(config.vocabSize());
                ChatTemplate template = tokenizer.chatTemplate().orElse(null);
                HfCausalLm lm;
                try (HfWeights weights = HfWeights.open(dir)) {
                    lm = HfCausalLm.load(config, weights, parent);
                }
                return new LanguageModel(lm, tokenizer, ChatFormat.DEFAULT, template, sideFiles(dir));
            } catch (ModelFormatException | IOException | RuntimeException e) {
                tokenizer.close();
                throw e;
            }
        } catch (ModelFormatException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /** The architecture, vocabulary and context of {@code dir} from its {@code config.json} alone. */
    public static LanguageModel.Shape shape(Path dir) throws IOException {
        try {
            HfConfig c = HfConfig.read(dir);
            return new LanguageModel.Shape(c.architecture().modelType(), c.vocabSize(), c.contextLength());
        } catch (ModelFormatException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    private static Map<String, byte[]> sideFiles(Path dir) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (String name : SIDE_FILES) {
            Path f = dir.resolve(name);
            if (Files.isRegularFile(f)) {
                out.put(name, Files.readAllBytes(f));
            }
        }
        return out;
    }

    /**
     * Writes {@code model} (an imported one) into {@code dir}: its side files, {@code config.json} with
     * {@code torch_dtype} float32, and float32 {@code model.safetensors}; with adapters attached, the merged weights
     * and the adapters under {@value #PEFT_DIR}/.
     */
    public static void write(LanguageModel model, Path dir) throws IOException {
        if (!(model.lm() instanceof HfCausalLm lm)) {
            throw new IllegalArgumentException("not an imported model; use HfExport.tinyGpt for tiny-gpt");
        }
        Files.createDirectories(dir);
        for (Map.Entry<String, byte[]> f : model.sideFiles().entrySet()) {
            Files.write(dir.resolve(f.getKey()), f.getKey().equals(HfConfig.FILE) ? float32Config(f.getValue())
                    : f.getValue());
        }
        try (NDManager m = NDManager.newBaseManager(lm.device())) { // merged and transposed weights, beside the model's
            HfCausalLm weights = lm.lora() == null ? lm : lm.merged(m);
            SafetensorsWriter.write(dir.resolve(HfWeights.SINGLE), weights.checkpointTensors(m), Dtype.F32,
                    Map.of("format", "pt"));
        }
        if (lm.lora() != null) {
            lm.lora().savePeft(dir.resolve(PEFT_DIR), lm);
        }
    }

    private static byte[] float32Config(byte[] json) {
        JsonObject c = JsonParser.parseString(new String(json, StandardCharsets.UTF_8)).getAsJsonObject();
        c.addProperty("torch_dtype", "float32");
        return new GsonBuilder().setPrettyPrinting().create().toJson(c).getBytes(StandardCharsets.UTF_8);
    }
}
