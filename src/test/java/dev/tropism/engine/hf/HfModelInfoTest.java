package dev.tropism.engine.hf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.tropism.engine.lm.CharTokenizer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link HfModelInfo#inspect}: the model card of a valid directory, and each refusal naming its problem. */
class HfModelInfoTest {

    /** {@link HfExport}'s character-level tokenizer.json of {@code chars} (4 specials first), and a config. */
    static void writeTokenizer(Path dir, String chars, String tokenizerConfig) throws Exception {
        Files.writeString(dir.resolve(HfTokenizer.FILE),
                HfExport.tokenizerJson(CharTokenizer.fit(List.of(chars))).toString(), StandardCharsets.UTF_8);
        if (tokenizerConfig != null) {
            Files.writeString(dir.resolve(HfTokenizer.CONFIG), tokenizerConfig, StandardCharsets.UTF_8);
        }
    }

    /** Fixture {@code name} copied into {@code dir} with a 4 + 20 id tokenizer (the fixtures' vocab_size is 32). */
    static Path model(String name, Path dir) throws Exception {
        for (String f : new String[] {HfConfig.FILE, HfWeights.SINGLE}) {
            Files.copy(Fixtures.dir(name).resolve(f), dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        writeTokenizer(dir, "abcdefghij0123456789", "{\"bos_token\": \"<s>\", \"eos_token\": \"</s>\"}");
        return dir;
    }

    private static void assertRefused(Path dir, String... mentions) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfModelInfo.inspect(dir));
        for (String s : mentions) {
            assertTrue(e.getMessage().contains(s), "'" + e.getMessage() + "' should mention '" + s + "'");
        }
    }

    @Test
    void describesAGpt2Directory(@TempDir Path dir) throws Exception {
        HfModelInfo info = HfModelInfo.inspect(model("gpt2", dir));
        assertEquals("gpt2", info.architecture());
        // wte 32·16 + wpe 16·16 + 2 layers × (ln_1 32 + c_attn 16·48+48 + c_proj 16·16+16 + ln_2 32
        //   + c_fc 16·64+64 + c_proj 64·16+16) + ln_f 32 = 512 + 256 + 2 × 3280 + 32
        assertEquals(7360, info.parameterCount());
        try (NDManager m = NDManager.newBaseManager(); HfCausalLm loaded = HfCausalLm.load(dir, m)) {
            assertEquals(loaded.parameterCount(), info.parameterCount());
        }
        assertEquals(32, info.vocabSize());
        assertEquals(16, info.contextLength());
        assertEquals("F32", info.dtype());
        assertEquals("bpe", info.tokenizerKind());
        assertNull(info.chatTemplate());
        assertEquals(HfModelInfo.CHECKS, info.checks());
    }

    @Test
    void describesLlamaAndQwen2InTheirStoredDtypeWithTheirTemplate(@TempDir Path dir) throws Exception {
        model("llama", dir);
        Fixtures.rewrite("llama", dir, Dtype.BF16, (t, m) -> { });
        String template = "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}{{ eos_token }}{% endfor %}";
        Files.writeString(dir.resolve(HfTokenizer.CONFIG), "{\"eos_token\": \"</s>\", \"chat_template\": \""
                + template.replace("'", "\\u0027") + "\"}");
        HfModelInfo info = HfModelInfo.inspect(dir);
        assertEquals("llama", info.architecture());
        assertEquals("BF16", info.dtype());
        assertEquals(template, info.chatTemplate());
        try (NDManager m = NDManager.newBaseManager(); HfCausalLm loaded = HfCausalLm.load(dir, m)) {
            assertEquals(loaded.parameterCount(), info.parameterCount());
        }
        assertEquals("qwen2", HfModelInfo.inspect(model("qwen2", Files.createDirectory(dir.resolve("q"))))
                .architecture());
    }

    @Test
    void refusesPickleOnlyDirectories(@TempDir Path dir) throws Exception {
        model("gpt2", dir);
        Files.delete(dir.resolve(HfWeights.SINGLE));
        Files.write(dir.resolve("pytorch_model.bin"), new byte[] {(byte) 0x80, 2});
        assertRefused(dir, "pytorch_model.bin", "pickle");
    }

    @Test
    void refusesUnknownModelTypesAndRemoteCode(@TempDir Path dir) throws Exception {
        model("llama", dir);
        String config = Files.readString(dir.resolve(HfConfig.FILE));
        Files.writeString(dir.resolve(HfConfig.FILE), config.replace("\"llama\"", "\"mamba\""));
        assertRefused(dir, "model_type", "mamba");
        Files.writeString(dir.resolve(HfConfig.FILE), config.replace("{", "{\"auto_map\": {\"AutoModel\": \"x.Y\"},"));
        assertRefused(dir, "auto_map", "trust_remote_code");
    }

    @Test
    void refusesALyingSafetensorsHeader(@TempDir Path dir) throws Exception {
        model("gpt2", dir);
        Path file = dir.resolve(HfWeights.SINGLE);
        byte[] bytes = Files.readAllBytes(file);
        int n = (int) ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        String header = new String(bytes, 8, n, StandardCharsets.UTF_8);
        // the same length, one tensor's end offset moved one element further: the tiling no longer holds
        String lie = header.replaceFirst("\"data_offsets\":\\[0,(\\d+)\\]", "\"data_offsets\":[4,$1]");
        assertTrue(!lie.equals(header), header);
        byte[] lying = lie.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(lying, 0, bytes, 8, Math.min(lying.length, n));
        Files.write(file, bytes);
        assertRefused(dir, "model.safetensors");
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        assertRefused(dir, "model.safetensors");
    }

    @Test
    void refusesAMissingOrOversizedTokenizer(@TempDir Path dir) throws Exception {
        model("gpt2", dir);
        Files.delete(dir.resolve(HfTokenizer.FILE));
        assertRefused(dir, "tokenizer.json");
        Gpt2Bpe.write(dir); // 50,257 ids for an embedding of 32 rows
        assertRefused(dir, "50257", "vocab_size");
    }

    @Test
    void refusesAChatTemplateJinjavaCannotRender(@TempDir Path dir) throws Exception {
        model("gpt2", dir);
        Files.writeString(dir.resolve(HfTokenizer.CONFIG), "{\"chat_template\": \"{{ raise_exception('no chat') }}\"}");
        assertRefused(dir, "chat_template", "no chat");
        Files.writeString(dir.resolve(HfTokenizer.CONFIG), "{\"chat_template\": \"{% for m in messages %}{{ m }\"}");
        assertRefused(dir, "chat_template");
    }
}
