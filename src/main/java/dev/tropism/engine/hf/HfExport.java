package dev.tropism.engine.hf;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import dev.tropism.engine.lm.CharTokenizer;
import dev.tropism.engine.lm.Gpt;
import dev.tropism.engine.lm.GptConfig;
import dev.tropism.engine.lm.LanguageModel;
import dev.tropism.engine.lm.Tokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes a language model as a HuggingFace directory that transformers (and {@link HfDirectory}) load: an imported
 * or aligned model as it is ({@link HfDirectory#write}, merged weights), and a {@code tiny-gpt} as a {@code gpt2}
 * ({@code GPT2LMHeadModel}): tiny-gpt is GPT-2's architecture, so the export is a renaming, with the projections
 * transposed into Conv1D's (in, out) layout and {@code activation_function: "gelu"}, because tiny-gpt uses the exact
 * erf GELU, not GPT-2's tanh approximation ({@code gelu_new}).
 *
 * <p>A tiny-gpt pretrained on GPT-2's BPE ({@code tokenizer: "gpt2"}) exports GPT-2's own tokenizer files
 * ({@link Gpt2Bpe}). A character vocabulary becomes a {@code tokenizer.json}: a BPE model without merges (each character one
 * token), the four specials as added tokens with their tiny-gpt ids ({@code <pad>} 0, {@code <s>} 1, {@code </s>} 2,
 * {@code <unk>} 3) and the {@code Fuse} decoder, so every text encodes to the ids {@link CharTokenizer} gives it.
 * (Text that spells a special token, e.g. "{@code </s>}", is one special id for HF and four characters for tiny-gpt.)
 */
public final class HfExport {

    static final String[] SPECIALS = {"<pad>", "<s>", "</s>", "<unk>"};

    private HfExport() {
    }

    /** Writes {@code model} into {@code dir} as an HF directory (a tiny-gpt as gpt2). */
    public static void write(LanguageModel model, Path dir) throws IOException {
        if (!(model.lm() instanceof Gpt gpt)) {
            HfDirectory.write(model, dir);
            return;
        }
        Files.createDirectories(dir);
        GptConfig c = gpt.config();
        JsonObject config = new JsonObject();
        config.addProperty("model_type", "gpt2");
        JsonArray arch = new JsonArray();
        arch.add("GPT2LMHeadModel");
        config.add("architectures", arch);
        config.addProperty("vocab_size", c.vocabSize());
        config.addProperty("n_positions", c.blockSize());
        config.addProperty("n_ctx", c.blockSize());
        config.addProperty("n_embd", c.nEmbd());
        config.addProperty("n_layer", c.nLayer());
        config.addProperty("n_head", c.nHead());
        config.add("n_inner", JsonNull.INSTANCE); // 4 · n_embd, as tiny-gpt's MLP
        config.addProperty("activation_function", "gelu"); // exact erf GELU (Gpt uses Activation.gelu)
        config.addProperty("layer_norm_epsilon", 1e-5);
        config.addProperty("tie_word_embeddings", true);
        config.addProperty("scale_attn_weights", true);
        Tokenizer tok = model.tokenizer();
        config.addProperty("pad_token_id", tok.pad());
        config.addProperty("bos_token_id", tok.bos());
        config.addProperty("eos_token_id", tok.eos());
        config.addProperty("torch_dtype", "float32");
        writeJson(dir.resolve(HfConfig.FILE), config);
        try (NDManager m = NDManager.newBaseManager(gpt.device())) { // transposed weights, beside the model's
            SafetensorsWriter.write(dir.resolve(HfWeights.SINGLE), gpt2Tensors(gpt, m), Dtype.F32,
                    Map.of("format", "pt"));
        }
        if (!(tok instanceof CharTokenizer chars)) {
            c.tokenizer().write(tok, dir); // GPT-2's own tokenizer files
            return;
        }
        writeJson(dir.resolve(HfTokenizer.FILE), tokenizerJson(chars));
        JsonObject tc = new JsonObject();
        tc.addProperty("pad_token", SPECIALS[CharTokenizer.PAD]);
        tc.addProperty("bos_token", SPECIALS[CharTokenizer.BOS]);
        tc.addProperty("eos_token", SPECIALS[CharTokenizer.EOS]);
        tc.addProperty("unk_token", SPECIALS[CharTokenizer.UNK]);
        tc.addProperty("model_max_length", c.blockSize());
        tc.addProperty("tokenizer_class", "PreTrainedTokenizerFast");
        writeJson(dir.resolve(HfTokenizer.CONFIG), tc);
    }

    /** tiny-gpt's parameters under GPT-2's names, the Conv1D weights as (in, out) arrays created in {@code m}. */
    static Map<String, NDArray> gpt2Tensors(Gpt gpt, NDManager m) {
        Map<String, NDArray> p = gpt.parameters();
        Map<String, NDArray> out = new LinkedHashMap<>();
        out.put("wte.weight", p.get("wte"));
        out.put("wpe.weight", p.get("wpe"));
        for (int i = 0; i < gpt.config().nLayer(); i++) {
            String t = "h" + i + ".";
            String h = "h." + i + ".";
            out.put(h + "ln_1.weight", p.get(t + "ln1.g"));
            out.put(h + "ln_1.bias", p.get(t + "ln1.b"));
            out.put(h + "attn.c_attn.weight", conv1d(p.get(t + "attn.w"), m));
            out.put(h + "attn.c_attn.bias", p.get(t + "attn.b"));
            out.put(h + "attn.c_proj.weight", conv1d(p.get(t + "proj.w"), m));
            out.put(h + "attn.c_proj.bias", p.get(t + "proj.b"));
            out.put(h + "ln_2.weight", p.get(t + "ln2.g"));
            out.put(h + "ln_2.bias", p.get(t + "ln2.b"));
            out.put(h + "mlp.c_fc.weight", conv1d(p.get(t + "fc.w"), m));
            out.put(h + "mlp.c_fc.bias", p.get(t + "fc.b"));
            out.put(h + "mlp.c_proj.weight", conv1d(p.get(t + "fc2.w"), m));
            out.put(h + "mlp.c_proj.bias", p.get(t + "fc2.b"));
        }
        out.put("ln_f.weight", p.get("lnf.g"));
        out.put("ln_f.bias", p.get("lnf.b"));
        return out;
    }

    /** (out, in) → (in, out), contiguous, in {@code m}. */
    private static NDArray conv1d(NDArray w, NDManager m) {
        NDArray t = w.transpose();
        t.attach(m);
        return t.flatten().reshape(w.getShape().get(1), w.getShape().get(0));
    }

    /** The character vocabulary as an HF {@code tokenizer.json} (see the class comment). */
    static JsonObject tokenizerJson(CharTokenizer tok) {
        JsonObject vocab = new JsonObject();
        JsonArray added = new JsonArray();
        for (int i = 0; i < SPECIALS.length; i++) {
            vocab.addProperty(SPECIALS[i], i);
            JsonObject a = new JsonObject();
            a.addProperty("id", i);
            a.addProperty("content", SPECIALS[i]);
            a.addProperty("single_word", false);
            a.addProperty("lstrip", false);
            a.addProperty("rstrip", false);
            a.addProperty("normalized", false);
            a.addProperty("special", true);
            added.add(a);
        }
        int[] cps = tok.codePoints();
        for (int i = 0; i < cps.length; i++) {
            vocab.addProperty(new String(Character.toChars(cps[i])), SPECIALS.length + i);
        }
        JsonObject model = new JsonObject();
        model.addProperty("type", "BPE");
        model.addProperty("unk_token", SPECIALS[CharTokenizer.UNK]);
        model.addProperty("fuse_unk", false);
        model.addProperty("byte_fallback", false);
        model.add("vocab", vocab);
        model.add("merges", new JsonArray());
        JsonObject fuse = new JsonObject();
        fuse.addProperty("type", "Fuse");
        JsonObject t = new JsonObject();
        t.addProperty("version", "1.0");
        t.add("added_tokens", added);
        t.add("decoder", fuse);
        t.add("model", model);
        return t;
    }

    private static void writeJson(Path file, JsonObject o) throws IOException {
        Files.writeString(file, new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(o),
                StandardCharsets.UTF_8);
    }
}
