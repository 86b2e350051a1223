package dev.tropism.engine.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.tropism.engine.lm.CharTokenizer;
import dev.tropism.engine.lm.Gpt;
import dev.tropism.engine.lm.GptConfig;
import dev.tropism.engine.lm.LanguageModel;
import dev.tropism.engine.lm.TokenizerKind;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A tiny-gpt exported as HF gpt2 re-imports with its tokenizer's ids and its logits. */
class HfExportTest {

    @Test
    void tinyGptRoundTripsThroughGpt2(@TempDir Path dir) throws Exception {
        String text = "12+34=46\nhello, wörld ☕";
        CharTokenizer chars = CharTokenizer.fit(List.of(text));
        GptConfig config = new GptConfig(2, 32, 4, 32, chars.vocabSize());
        try (NDManager m = NDManager.newBaseManager()) {
            LanguageModel tiny = new LanguageModel(Gpt.initialize(config, 5, m), chars);
            HfExport.write(tiny, dir);
            HfModelInfo info = HfModelInfo.inspect(dir);
            assertEquals("gpt2", info.architecture());
            assertEquals(tiny.lm().parameterCount(), info.parameterCount());
            try (LanguageModel back = LanguageModel.load(dir, m)) {
                int[] ids = chars.start(chars.encode(text + "?")); // "?" is not in the vocabulary: UNK
                assertArrayEquals(ids, back.tokenizer().start(back.tokenizer().encode(text + "?")));
                assertEquals(text, back.tokenizer().decode(ids, 1, ids.length - 1));
                float[] expected = logits(tiny, ids, m);
                float[] actual = logits(back, ids, m);
                assertArrayEquals(expected, actual, "the same arithmetic under other names: identical logits");
            }
        }
    }

    @Test
    void gpt2BpeTinyGptExportsGpt2sOwnTokenizer(@TempDir Path dir) throws Exception {
        GptConfig config = new GptConfig(1, 16, 2, 16, 0, TokenizerKind.GPT2);
        assertEquals(Gpt2Bpe.VOCAB_SIZE, config.vocabSize(), "the BPE fixes the vocabulary");
        try (NDManager m = NDManager.newBaseManager();
                LanguageModel tiny = new LanguageModel(Gpt.initialize(config, 5, m), Gpt2Bpe.load())) {
            HfExport.write(tiny, dir);
            HfModelInfo info = HfModelInfo.inspect(dir);
            assertEquals("gpt2", info.architecture());
            assertEquals(Gpt2Bpe.VOCAB_SIZE, info.vocabSize());
            try (LanguageModel back = LanguageModel.load(dir, m)) {
                assertArrayEquals(new int[] {15496, 995}, back.tokenizer().encode("Hello world"));
                assertEquals(Gpt2Bpe.END_OF_TEXT, back.tokenizer().eos());
                int[] ids = tiny.tokenizer().start(tiny.tokenizer().encode("12+34=46"));
                assertArrayEquals(ids, back.tokenizer().start(back.tokenizer().encode("12+34=46")));
                assertArrayEquals(logits(tiny, ids, m), logits(back, ids, m));
            }
        }
    }

    private static float[] logits(LanguageModel model, int[] ids, NDManager parent) {
        int[] pos = new int[ids.length];
        float[] mask = new float[ids.length];
        for (int i = 0; i < ids.length; i++) {
            pos[i] = i;
            mask[i] = 1f;
        }
        try (NDManager m = parent.newSubManager()) {
            Shape s = new Shape(1, ids.length);
            return model.lm().forward(m.create(ids, s), m.create(pos, s), m.create(mask, s), null).toFloatArray();
        }
    }
}
