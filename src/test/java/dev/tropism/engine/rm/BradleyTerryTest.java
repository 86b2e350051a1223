package dev.tropism.engine.rm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

/** The loss and the held-out metrics against values computed by hand. */
class BradleyTerryTest {

    private static final double LN3 = Math.log(3);

    @Test
    void lossIsTheMeanNegativeLogLikelihoodOfTheMargins() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray chosen = m.create(new float[] {2f, 0f, -1f});
            NDArray rejected = m.create(new float[] {0f, 0f, 1f});
            // margins 2, 0, −2: −log σ(2) = 0.126928, −log σ(0) = ln 2 = 0.693147, −log σ(−2) = 2.126928
            double nll = (0.126928 + 0.693147 + 2.126928) / 3;
            assertEquals(nll, BradleyTerry.loss(chosen, rejected, 0).getFloat(), 1e-5);
            // centering: η · mean((r_c + r_r)²) = 0.1 · (4 + 0 + 0) / 3
            assertEquals(nll + 0.1 * 4 / 3, BradleyTerry.loss(chosen, rejected, 0.1).getFloat(), 1e-5);
        }
    }

    @Test
    void lossIsFiniteAndExactForLargeMargins() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray chosen = m.create(new float[] {100f, -100f});
            NDArray rejected = m.create(new float[] {0f, 0f});
            // −log σ(100) ≈ e^−100 ≈ 0 and −log σ(−100) ≈ 100; a naive log(σ) would give −inf for the latter
            assertEquals(50.0, BradleyTerry.loss(chosen, rejected, 0).getFloat(), 1e-4);
        }
        assertEquals(100.0, BradleyTerry.pairLoss(-100), 1e-9);
        assertEquals(Math.log(2), BradleyTerry.pairLoss(0), 1e-12);
        assertEquals(1.0, BradleyTerry.preferenceProbability(800), 0);
        assertEquals(0.0, BradleyTerry.preferenceProbability(-800), 1e-300);
    }

    @Test
    void accuracyLossAndCalibrationOfHeldOutMargins() {
        // p = σ(m) = 0.75, 0.75, 0.25 and 0.5: two sure-and-right, one sure-and-wrong at confidence 0.75, one tie
        double[] margins = {LN3, LN3, -LN3, 0};
        assertEquals((1 + 1 + 0 + 0.5) / 4, PairwiseMetrics.accuracy(margins), 1e-12);
        // −log σ(ln 3) = ln(4/3), −log σ(−ln 3) = ln 4, −log σ(0) = ln 2
        assertEquals((2 * Math.log(4.0 / 3) + Math.log(4) + Math.log(2)) / 4, PairwiseMetrics.meanLoss(margins), 1e-12);
        // bin [0.7, 0.8): 3 pairs, accuracy 2/3, confidence 0.75; bin [0.5, 0.6): the tie, accuracy = confidence
        assertEquals(0.75 * Math.abs(2.0 / 3 - 0.75), PairwiseMetrics.expectedCalibrationError(margins, 10), 1e-12);
        // always sure (confidence 1.0 lands in the last bin) and right half the time: 1/2
        assertEquals(0.5, PairwiseMetrics.expectedCalibrationError(new double[] {50, -50}, 10), 1e-12);
        assertEquals(LN3 / 4, PairwiseMetrics.meanMargin(margins), 1e-12);
    }

    /** softplus' gradient is σ(z) everywhere, ½ at 0 exactly (where DPO's first step starts), and it does not overflow. */
    @Test
    void softplusHasTheSigmoidAsItsGradientAtZeroToo() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray z = m.create(new float[] {0f, 2f, -3f, 80f, -80f});
            z.setRequiresGradient(true);
            float[] values;
            try (ai.djl.training.GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                NDArray y = BradleyTerry.softplus(z);
                values = y.toFloatArray();
                gc.backward(y.sum());
            }
            float[] grad = z.getGradient().toFloatArray();
            double[] x = {0, 2, -3, 80, -80};
            for (int i = 0; i < x.length; i++) {
                double expected = Math.max(x[i], 0) + Math.log1p(Math.exp(-Math.abs(x[i])));
                assertEquals(expected, values[i], 1e-5, "softplus(" + x[i] + ")");
                assertEquals(1 / (1 + Math.exp(-x[i])), grad[i], 1e-6, "σ(" + x[i] + ")");
            }
        }
    }
}
