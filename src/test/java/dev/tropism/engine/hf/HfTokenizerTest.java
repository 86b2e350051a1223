package dev.tropism.engine.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tropism.engine.lm.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GPT-2's real BPE through HuggingFace tokenizers, against golden ids of the reference encoder. */
class HfTokenizerTest {

    @TempDir
    static Path dir;
    private static HfTokenizer gpt2;

    @BeforeAll
    static void load() throws Exception {
        gpt2 = HfTokenizer.load(Gpt2Bpe.write(dir));
    }

    @AfterAll
    static void close() {
        gpt2.close();
    }

    @Test
    void encodesLikeGpt2() {
        // golden ids of gpt-3-encoder (and of transformers' GPT2TokenizerFast), no special tokens added
        assertArrayEquals(new int[] {15496, 995}, gpt2.encode("Hello world"));
        assertArrayEquals(new int[] {15496, 995, 0, 383, 2068, 7586, 21831, 13},
                gpt2.encode("Hello world! The quick brown fox."));
        assertEquals(50257, gpt2.vocabSize());
    }

    @Test
    void decodesBackAndStopsAtEndOfText() {
        String text = "Tropism aligns models: 12+34=46, naïve café ☕.";
        int[] ids = gpt2.encode(text);
        assertEquals(text, gpt2.decode(ids, 0, ids.length));
        int[] withEos = new int[ids.length + 2];
        System.arraycopy(ids, 0, withEos, 0, ids.length);
        withEos[ids.length] = Gpt2Bpe.END_OF_TEXT;
        withEos[ids.length + 1] = 995;
        assertEquals(text, gpt2.decode(withEos, 0, withEos.length));
        Tokenizer asInterface = gpt2; // the same contract as CharTokenizer
        assertEquals(" world", asInterface.decode(new int[] {995}, 0, 1));
    }

    @Test
    void longTextsAreNotTruncated() {
        assertEquals(2000, gpt2.encode(" hello".repeat(2000)).length);
    }

    @Test
    void specialTokensComeFromTheConfig() {
        assertEquals(OptionalInt.of(50256), gpt2.bosId());
        assertEquals(OptionalInt.of(50256), gpt2.eosId()); // given as an AddedToken object
        assertEquals(OptionalInt.empty(), gpt2.padId());
        assertTrue(gpt2.chatTemplate().isEmpty());
    }

    @Test
    void theChatTemplateGetsTheTokenizersSpecialTokens(@TempDir Path other) throws Exception {
        Gpt2Bpe.write(other);
        Files.writeString(other.resolve(HfTokenizer.CONFIG), "{\"eos_token\": \"<|endoftext|>\", \"chat_template\": "
                + "\"{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}{{ eos_token }}{% endfor %}\"}");
        try (HfTokenizer t = HfTokenizer.load(other)) {
            String prompt = t.chatTemplate().orElseThrow().render(List.of(new ChatTemplate.Message("user", "Hi")), true);
            assertEquals("user: Hi<|endoftext|>", prompt);
            assertArrayEquals(new int[] {7220, 25, 15902, 50256}, t.encode(prompt)); // the special token stays one id
        }
    }

    @Test
    void aTokenizerLargerThanTheEmbeddingIsRefused() throws Exception {
        gpt2.requireFits(50257);
        gpt2.requireFits(50304); // padded embeddings are fine
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> gpt2.requireFits(32));
        assertTrue(e.getMessage().contains("50257") && e.getMessage().contains("vocab_size"), e.getMessage());
    }

    @Test
    void aMissingTokenizerIsNamed(@TempDir Path empty) throws Exception {
        assertTrue(assertThrows(ModelFormatException.class, () -> HfTokenizer.load(empty)).getMessage()
                .contains("tokenizer.json"));
        Files.writeString(empty.resolve("tokenizer.model"), "x");
        assertTrue(assertThrows(ModelFormatException.class, () -> HfTokenizer.load(empty)).getMessage()
                .contains("SentencePiece"));
    }
}
