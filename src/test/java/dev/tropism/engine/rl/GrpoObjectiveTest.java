package dev.tropism.engine.rl;

import static dev.tropism.engine.RecordCopies.with;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.tropism.engine.nn.Gradients;
import dev.tropism.engine.rl.GrpoConfig.LossType;
import org.junit.jupiter.api.Test;

class GrpoObjectiveTest {

    // ε_low = 0.2, ε_high = 0.28 (the defaults): the ratio is clipped to [0.8, 1.28].
    private static GrpoConfig cfg(LossType type, double beta) {
        return with(with(GrpoConfig.DEFAULT, "lossType", type), "beta", beta);
    }

    private static NDArray m2x3(NDManager m, double... v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return m.create(f, new Shape(v.length / 3, 3));
    }

    /**
     * B = 2, T = 3, A = [1, −2], mask [[1, 1, 0], [1, 1, 1]], ratio = exp(logp − oldLogp):
     * <pre>
     * row 0 (A = +1): ratio [1, 1.1, e^5]:  −min(rA, clip(r)A) = [−1, −1.1, (−1.28, masked)]
     * row 1 (A = −2): ratio [1, 0.9, 1.5]:  [2, 1.8, 3]  (1.5·−2 = −3 &lt; 1.28·−2, so min is −3: unclipped)
     * </pre>
     * Masked sums: row 0 = −2.1 (2 tokens), row 1 = 6.8 (3 tokens); total 4.7 over 5 tokens.
     */
    private static double loss(LossType type, int maxCompletionLength) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray old = m2x3(m, -1, -2, -3, -1, -2, -3);
            NDArray logp = old.add(m2x3(m, 0, Math.log(1.1), 5, 0, Math.log(0.9), Math.log(1.5)));
            NDArray mask = m2x3(m, 1, 1, 0, 1, 1, 1);
            NDArray adv = m.create(new float[] {1, -2});
            GrpoObjective.Result r = GrpoObjective.compute(logp, old, null, adv, mask, cfg(type, 0), maxCompletionLength);
            assertEquals(0.0, r.klMean());
            assertEquals(0.0, r.clipRatio(), 1e-7);
            return r.loss().getFloat();
        }
    }

    @Test
    void grpoAveragesEachSequenceThenTheBatch() {
        // (−2.1/2 + 6.8/3) / 2 = (−1.05 + 2.2666667) / 2 = 0.6083333
        assertEquals(0.6083333, loss(LossType.GRPO, 3), 1e-6);
    }

    @Test
    void dapoAveragesOverAllTokensOfTheBatch() {
        // 4.7 / 5 = 0.94
        assertEquals(0.94, loss(LossType.DAPO, 3), 1e-6);
    }

    @Test
    void drGrpoDividesByBatchTimesMaxCompletionLength() {
        // 4.7 / (2 · 4) = 0.5875, independent of how many tokens are masked
        assertEquals(0.5875, loss(LossType.DR_GRPO, 4), 1e-6);
        assertEquals(4.7 / 20, loss(LossType.DR_GRPO, 10), 1e-6);
    }

    /**
     * d loss / d logp for one (B = 1, T = 4) row under DAPO (normalizer 4 tokens). Unclipped tokens
     * have d(−r·A)/d logp = −A·r (as dr/dlogp = r), divided by 4; clipped tokens have gradient 0.
     */
    private static float[] gradient(double advantage, double... ratios) {
        Gradients.COLLECTOR_LOCK.lock();
        try (NDManager m = NDManager.newBaseManager()) {
            float[] d = new float[ratios.length];
            for (int i = 0; i < d.length; i++) {
                d[i] = (float) Math.log(ratios[i]);
            }
            Shape shape = new Shape(1, d.length);
            NDArray old = m.zeros(shape);
            NDArray logp = m.create(d, shape);
            logp.setRequiresGradient(true);
            try (GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                GrpoObjective.Result r = GrpoObjective.compute(logp, old, null, m.create(new float[] {(float) advantage}),
                        m.ones(shape), cfg(LossType.DAPO, 0), d.length);
                gc.backward(r.loss());
            }
            return logp.getGradient().toFloatArray();
        } finally {
            Gradients.COLLECTOR_LOCK.unlock();
        }
    }

    @Test
    void positiveAdvantageStopsPushingAboveOnePlusEpsilonHigh() {
        // A = 2, ratios [1.5, 1.3, 1.1, 0.5]: 1.5 and 1.3 exceed 1.28 → 0;
        // 1.1 → −2·1.1/4 = −0.55; 0.5 is below 0.8 but clipping binds only upward for A > 0: −2·0.5/4 = −0.25.
        assertArrayEquals(new float[] {0f, 0f, -0.55f, -0.25f}, gradient(2, 1.5, 1.3, 1.1, 0.5), 1e-6f);
    }

    @Test
    void negativeAdvantageStopsPushingBelowOneMinusEpsilonLow() {
        // A = −1, ratios [0.5, 0.79, 0.9, 1.5]: 0.5 and 0.79 are below 0.8 → 0;
        // 0.9 → +0.9/4 = 0.225; 1.5 is above 1.28 but for A < 0 only the low clip binds: +1.5/4 = 0.375.
        assertArrayEquals(new float[] {0f, 0f, 0.225f, 0.375f}, gradient(-1, 0.5, 0.79, 0.9, 1.5), 1e-6f);
    }

    @Test
    void ratioOneGivesTheVanillaPolicyGradient() {
        // μ = 1: ratio ≡ 1, gradient −A/N per token.
        assertArrayEquals(new float[] {-0.75f, -0.75f, -0.75f, -0.75f}, gradient(3, 1, 1, 1, 1), 1e-6f);
    }

    @Test
    void k3KlIsExpDeltaMinusDeltaMinusOne() {
        try (NDManager m = NDManager.newBaseManager()) {
            // d = ref − logp per token: [0, 0.5, −1 | 2, 2, 2 (masked)]
            // k3 = e^d − d − 1: 0, e^0.5 − 1.5 = 0.1487212707, e^−1 = 0.3678794412
            NDArray logp = m2x3(m, -1, -1, -1, -1, -1, -1);
            NDArray ref = logp.add(m2x3(m, 0, 0.5, -1, 2, 2, 2));
            NDArray mask = m2x3(m, 1, 1, 1, 0, 0, 0);
            NDArray adv = m.create(new float[] {0, 0}); // no policy-gradient term
            double expected = (0 + 0.1487212707 + 0.3678794412) / 3; // 0.1722002373
            GrpoObjective.Result r = GrpoObjective.compute(logp, logp, ref, adv, mask, cfg(LossType.DAPO, 0.5), 3);
            assertEquals(expected, r.klMean(), 1e-6);
            // With A = 0 the DAPO loss is β · mean k3 = 0.5 · 0.1722002373.
            assertEquals(0.5 * expected, r.loss().getFloat(), 1e-6);
            // β = 0: KL is still reported but does not enter the loss.
            GrpoObjective.Result r0 = GrpoObjective.compute(logp, logp, ref, adv, mask, cfg(LossType.DAPO, 0), 3);
            assertEquals(expected, r0.klMean(), 1e-6);
            assertEquals(0.0, r0.loss().getFloat(), 1e-7);
        }
    }

    @Test
    void k3KlIsZeroWhenEqualAndNonNegativeOtherwise() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logp = m2x3(m, -0.3, -2, -5, -1, -0.01, -3);
            NDArray adv = m.create(new float[] {0, 0});
            NDArray mask = m.ones(new Shape(2, 3));
            assertEquals(0.0, GrpoObjective.compute(logp, logp, logp, adv, mask, cfg(LossType.DAPO, 1), 3).klMean(), 1e-7);
            java.util.Random rng = new java.util.Random(1);
            for (int trial = 0; trial < 20; trial++) {
                double[] delta = new double[6];
                for (int i = 0; i < 6; i++) {
                    delta[i] = rng.nextGaussian() * 2;
                }
                NDArray ref = logp.add(m2x3(m, delta));
                double kl = GrpoObjective.compute(logp, logp, ref, adv, mask, cfg(LossType.DAPO, 1), 3).klMean();
                assertTrue(kl > 0, "k3 must be positive for ref != logp, got " + kl);
            }
        }
    }

    @Test
    void clipRatioCountsOnlyTokensClippedInTheBindingDirection() {
        try (NDManager m = NDManager.newBaseManager()) {
            // row 0, A = +1: ratios [1.5 (high-clipped: counts), 0.5 (low, not binding), 1.4 (masked)]
            // row 1, A = −1: ratios [0.5 (low-clipped: counts), 1.5 (high, not binding), 1.0]
            // counted 2 of 5 unmasked tokens → 0.4
            NDArray old = m.zeros(new Shape(2, 3));
            NDArray logp = m2x3(m, Math.log(1.5), Math.log(0.5), Math.log(1.4), Math.log(0.5), Math.log(1.5), 0);
            NDArray mask = m2x3(m, 1, 1, 0, 1, 1, 1);
            GrpoObjective.Result r = GrpoObjective.compute(logp, old, null, m.create(new float[] {1, -1}), mask,
                    cfg(LossType.DAPO, 0), 3);
            assertEquals(0.4, r.clipRatio(), 1e-6);
        }
    }
}
