package dev.tropism.engine.lm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import dev.tropism.engine.nn.Gradients;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue 13's rollout bar for tiny-gpt: KV-cached sampling tokens/s at exactly the shape of the PyTorch eager anchor
 * ({@code ../shared/bench/torch_anchor.py} from the repository root, its "sampling kv-cache" line): 4 layers,
 * d = 128, 4 heads, context 64, a 16-id vocabulary, batch 64, one start token and 63 new tokens drawn at temperature 1
 * from the full distribution.
 * The tokenizer names no EOS, as the anchor has none, so every row decodes all 63 tokens and tokens/s counts the same
 * work on both sides. Run it and the anchor back to back, under the shared lock:
 * <pre>
 * flock /tmp/bench.lock ./mvnw -B -o -Pbench surefire:test -Dskip.frontend -Dtest=SamplerBenchmark
 * flock /tmp/bench.lock env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 ../shared/bench/torch_anchor.py
 * </pre>
 * Prints the best of {@value #REPEATS} decodes after {@value #WARMUP} warm-up decodes.
 */
@Tag("bench")
class SamplerBenchmark {

    static final int VOCAB = 16;
    static final int BATCH = 64;
    static final int CONTEXT = 64;
    static final int NEW_TOKENS = CONTEXT - 1;
    static final int WARMUP = 3;
    static final int REPEATS = 7;

    @Test
    void kvCacheSamplingAtTheAnchorShape() {
        try (NDManager root = NDManager.newBaseManager();
                LanguageModel model = new LanguageModel(Gpt.initialize(new GptConfig(4, 128, 4, CONTEXT, VOCAB), 1, root),
                        new NoEosTokenizer(), ChatFormat.DEFAULT, null, Map.of())) {
            Gradients.gradModeOff(); // as rollouts run (after the engine has loaded)
            Sampler.PromptBatch prompts = new Sampler.PromptBatch(new int[BATCH][1], filled(BATCH, 1), 1);
            for (int i = 0; i < WARMUP; i++) {
                decode(model, prompts, root);
            }
            double best = 0;
            double[] all = new double[REPEATS];
            for (int i = 0; i < REPEATS; i++) {
                all[i] = decode(model, prompts, root);
                best = Math.max(best, all[i]);
            }
            System.out.printf(Locale.ROOT, "%n==== SamplerBenchmark ====%ntiny-gpt sampling kv-cache (batch %d, %d new tokens, "
                    + "vocab %d, best of %d): %,.0f tokens/s%nall: %s%n", BATCH, NEW_TOKENS, VOCAB, REPEATS, best,
                    Arrays.toString(Arrays.stream(all).mapToLong(Math::round).toArray()));
        }
    }

    private static double decode(LanguageModel model, Sampler.PromptBatch prompts, NDManager root) {
        TimedDecode d = TimedDecode.run(model, prompts, NEW_TOKENS, new Sampler.Decoding(1.0, 1.0, new Random(3)), true,
                root);
        assertEquals((long) BATCH * NEW_TOKENS, d.completions().tokenCount(), "every row decodes every token");
        return d.tokensPerSecond();
    }

    private static int[] filled(int n, int v) {
        int[] a = new int[n];
        Arrays.fill(a, v);
        return a;
    }

    /** The anchor's vocabulary: 16 ids, all of them drawable, id 0 starting every row, no end-of-sequence id. */
    private static final class NoEosTokenizer implements Tokenizer {

        @Override
        public int vocabSize() {
            return VOCAB;
        }

        @Override
        public int[] encode(String text) {
            return new int[0];
        }

        @Override
        public String decode(int[] tokens, int from, int to) {
            return "";
        }

        @Override
        public int bos() {
            return 0;
        }

        @Override
        public int eos() {
            return -1;
        }

        @Override
        public int pad() {
            return 0;
        }

        @Override
        public boolean generatable(int id) {
            return id >= 0 && id < VOCAB;
        }
    }
}
