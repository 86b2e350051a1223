package dev.tropism.engine.flowrl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.tropism.engine.flow.FkSteering;
import dev.tropism.engine.flow.FlowSampler;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Credit assignment and losses of the flow methods against hand-computed values. */
class FlowMethodsMathTest {

    @Test
    void groupAdvantagesAreNormalizedPerGroupAndClamped() {
        double[] a = FlowRlRun.groupAdvantages(new double[] {1, 3, 5, 5}, 2, 5.0);
        // group {1, 3}: mean 2, std 1 → (∓1)/(1 + 1e-4); group {5, 5}: std 0 → 0
        assertThat(a[0]).isCloseTo(-1 / 1.0001, within(1e-9));
        assertThat(a[1]).isCloseTo(1 / 1.0001, within(1e-9));
        assertThat(a[2]).isZero();
        double[] clamped = FlowRlRun.groupAdvantages(new double[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 10, 2.0);
        assertThat(clamped[9]).isEqualTo(2.0); // (1 − 0.1)/0.3 = 3 → clamped
    }

    @Test
    void denseRewardsTelescopeToFinalMinusStart() {
        double[][] r = {{0.1, 0.5}, {0.4, 0.2}, {0.3, 0.9}, {0.8, 0.6}}; // R_k for k = 0…3, two rows
        double[][] gains = DenseGrpo.gains(r);
        assertThat(gains).hasNumberOfRows(3);
        for (int b = 0; b < 2; b++) {
            double sum = 0;
            for (double[] gain : gains) {
                sum += gain[b];
            }
            assertThat(sum).isCloseTo(r[3][b] - r[0][b], within(1e-12));
        }
        assertThat(gains[1][0]).isCloseTo(-0.1, within(1e-12)); // R_2 − R_1 = 0.3 − 0.4
    }

    @Test
    void denseCalibrationRaisesNoiseWhileGainsAreBalancedAndLowersItOtherwise() {
        assertThat(DenseGrpo.calibrate(0.7, 5, 4, 2.0, 0.01)).isCloseTo(0.71, within(1e-12)); // |5 − 4| < 2
        assertThat(DenseGrpo.calibrate(0.7, 7, 1, 2.0, 0.01)).isCloseTo(0.69, within(1e-12)); // |7 − 1| ≥ 2
        assertThat(DenseGrpo.calibrate(0.01, 8, 0, 2.0, 0.01)).isEqualTo(0.01); // never reaches 0
    }

    @Test
    void turningPointsFlipTheLocalTrendTowardTheOverallTrend() {
        // Overall trend up (0.2 → 0.9). Increments: −0.1, +0.3, +0.1, −0.2, +0.5 → agreement −, +, +, −, +
        double[] r = {0.2, 0.1, 0.4, 0.5, 0.3, 0.8};
        assertThat(TpGrpo.turningPoints(r)).containsExactly(false, true, false, false, true);
        double[] rewards = TpGrpo.stepRewards(r);
        assertThat(rewards[1]).as("turning point: R_final − R_k").isCloseTo(0.8 - 0.1, within(1e-12));
        assertThat(rewards[2]).as("ordinary step: d_k").isCloseTo(0.1, within(1e-12));
        assertThat(rewards[4]).isCloseTo(0.8 - 0.3, within(1e-12));
        // A first step that already agrees with the trend is a turning point.
        assertThat(TpGrpo.turningPoints(new double[] {0.0, 0.5, 0.4, 1.0})).containsExactly(true, false, true);
        // Overall trend down: a rise is against it, the fall after it turns.
        assertThat(TpGrpo.turningPoints(new double[] {0.9, 1.0, 0.2})).containsExactly(false, true);
    }

    @Test
    void guardRatioNormalizationRecentresAndScalesTheLogRatio() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logRatio = m.create(new float[] {-0.3f, 0.1f});
            NDArray mean = m.create(new float[] {1f, 2f, 0f, 0f}, new Shape(2, 1, 1, 2));
            NDArray old = m.create(new float[] {0f, 0f, 0f, 1f}, new Shape(2, 1, 1, 2));
            double std = 0.5;
            float[] out = GrpoGuard.normalizedLogRatio(logRatio, mean, old, std).toFloatArray();
            // row 0: b = mean(1, 4)/(2·0.25) = 5; (−0.3 + 5)·0.5 ; row 1: b = mean(0, 1)/0.5 = 1; (0.1 + 1)·0.5
            assertThat((double) out[0]).isCloseTo(2.35, within(1e-6));
            assertThat((double) out[1]).isCloseTo(0.55, within(1e-6));
        }
    }

    @Test
    void flowDpoLossAndPairs() {
        assertThat(FlowDpo.pairs(new double[] {0.1, 0.9, 0.5, 0.2, 0.2, 0.2}, 3))
                .containsExactly(new int[] {1, 0}); // second group has no preference
        try (NDManager m = NDManager.newBaseManager()) {
            // z = −β/2·[(0.2 − 0.3) − (0.5 − 0.4)] = −50·(−0.2) = 10 → −log σ(10)
            NDArray loss = FlowDpo.loss(m.create(new float[] {0.2f}), m.create(new float[] {0.3f}),
                    m.create(new float[] {0.5f}), m.create(new float[] {0.4f}), 100);
            assertThat((double) loss.getFloat(0)).isCloseTo(Math.log1p(Math.exp(-10)), within(1e-6));
            NDArray equal = FlowDpo.loss(m.create(new float[] {0.2f}), m.create(new float[] {0.2f}),
                    m.create(new float[] {0.5f}), m.create(new float[] {0.5f}), 100);
            assertThat((double) equal.getFloat(0)).isCloseTo(Math.log(2), within(1e-6));
        }
    }

    @Test
    void rwrWeightsAreAGroupSoftmaxWithMeanOne() {
        double[] w = FlowRwr.weights(new double[] {0.0, Math.log(3) * 0.1, 1, 1}, 2, 0.1);
        assertThat(w[0]).isCloseTo(0.5, within(1e-12)); // softmax(0, ln 3) = (1/4, 3/4), times G = 2
        assertThat(w[1]).isCloseTo(1.5, within(1e-12));
        assertThat(w[2]).isCloseTo(1.0, within(1e-12));
    }

    @Test
    void tempFlowWeightsFollowTheStepNoiseAndAverageOne() {
        double[] sigmas = FlowSampler.sigmas(10);
        int[] steps = {0, 4, 8};
        double[] w = TempFlowGrpo.noiseAwareWeights(steps, 0.7, sigmas);
        assertThat((w[0] + w[1] + w[2]) / 3).isCloseTo(1.0, within(1e-12));
        assertThat(w[0] / w[2]).isCloseTo(FlowSampler.stepStd(0.7, sigmas, 0) / FlowSampler.stepStd(0.7, sigmas, 8),
                within(1e-12));
    }

    @Test
    void resamplingIsSkippedForEqualWeightsOrHighEss() {
        Random rng = new Random(1);
        assertThat(FkSteering.resample(new double[] {0, 0, 0, 0}, 0.0, rng)).isNull();
        assertThat(FkSteering.resample(new double[] {0, 0.01, 0, 0}, 0.5, rng)).as("ESS ≈ N").isNull();
        int[] parents = FkSteering.resample(new double[] {0, 50, 0, 0}, 0.5, rng);
        assertThat(parents).containsOnly(1);
    }
}
