package dev.tropism.engine.lm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.tropism.engine.ScoringContext.Likelihood;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class LmScoringContextTest {

    private static NDManager manager;
    private static LanguageModel model;
    private static LmScoringContext context;

    @BeforeAll
    static void randomModel() {
        manager = NDManager.newBaseManager();
        CharTokenizer tok = CharTokenizer.fit(List.of("0123456789+="));
        Gpt gpt = Gpt.initialize(new GptConfig(2, 32, 4, 24, tok.vocabSize()), 7, manager);
        gpt.parameters().get("wte").muli(10);
        model = new LanguageModel(gpt, tok);
        context = new LmScoringContext(model, model, 3, 12, 8, 1.0, 1.0, manager);
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    /** log π(target | BOS ⊕ context) by an unbatched, unpadded forward pass, token by token. */
    private static double[] tokenLogProbs(String ctx, String target) {
        int[] c = model.tokenizer().encode(ctx);
        int[] t = model.tokenizer().encode(target);
        int[] seq = new int[1 + c.length + t.length];
        seq[0] = CharTokenizer.BOS;
        System.arraycopy(c, 0, seq, 1, c.length);
        System.arraycopy(t, 0, seq, 1 + c.length, t.length);
        int[] pos = new int[seq.length];
        float[] mask = new float[seq.length];
        for (int i = 0; i < seq.length; i++) {
            pos[i] = i;
            mask[i] = 1f;
        }
        try (NDManager m = manager.newSubManager()) {
            NDArray logp = model.gpt().forward(m.create(seq, new Shape(1, seq.length)), m.create(pos, new Shape(1, seq.length)),
                    m.create(mask, new Shape(1, seq.length)), null).logSoftmax(-1); // (1, T, V)
            float[] all = logp.toFloatArray();
            int v = model.gpt().config().vocabSize();
            double[] out = new double[t.length];
            for (int j = 0; j < t.length; j++) {
                int p = c.length + j; // position predicting target token j
                out[j] = all[p * v + t[j]];
            }
            return out;
        }
    }

    @Test
    void batchedLeftPaddedLikelihoodsMatchUnpaddedTokenByTokenLogProbs() {
        List<String> contexts = List.of("1+2=", "12+345=9", "");
        List<String> targets = List.of("3", "0+1", "77");
        Likelihood[] lik = context.likelihoods(contexts, targets);
        for (int i = 0; i < contexts.size(); i++) {
            double[] lp = tokenLogProbs(contexts.get(i), targets.get(i));
            double meanLog = 0;
            double meanProb = 0;
            for (double x : lp) {
                meanLog += x / lp.length;
                meanProb += Math.exp(x) / lp.length;
            }
            assertEquals(lp.length, lik[i].tokens());
            assertEquals(meanLog, lik[i].meanLogProb(), 1e-4, "row " + i);
            assertEquals(meanProb, lik[i].meanProb(), 1e-5, "row " + i);
            // Jensen: the mean probability is at least the geometric mean
            assertTrue(lik[i].meanProb() >= Math.exp(lik[i].meanLogProb()) - 1e-6);
        }
        assertTrue(Double.isNaN(context.likelihoods(List.of("1"), List.of(""))[0].meanLogProb()));
    }

    @Test
    void referenceCompletionsAreDeterministicPerPromptAndCached() {
        List<String> a = context.referenceCompletions(Map.of("prompt", "1+2="), 4);
        List<String> b = context.referenceCompletions(Map.of("prompt", "1+2="), 3);
        assertEquals(4, a.size());
        assertEquals(3, b.size());
        assertEquals(a, context.referenceCompletions(Map.of("prompt", "1+2="), 4));
        // A fresh context (a resumed run) gets the same samples for each (prompt, m), whatever came first.
        LmScoringContext fresh = new LmScoringContext(model, model, 3, 12, 8, 1.0, 1.0, manager);
        assertEquals(b, fresh.referenceCompletions(Map.of("prompt", "1+2="), 3));
        assertEquals(a, fresh.referenceCompletions(Map.of("prompt", "1+2="), 4));
    }
}
