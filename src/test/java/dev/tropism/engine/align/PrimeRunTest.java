package dev.tropism.engine.align;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.tropism.engine.ConfigException;
import dev.tropism.engine.MetricNames;
import dev.tropism.engine.RewardFunction;
import dev.tropism.engine.RewardResult;
import dev.tropism.engine.hf.HfDirectory;
import dev.tropism.engine.hf.HfTestModels;
import dev.tropism.engine.hf.LoraConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrimeRunTest {

    @TempDir
    Path tmp;

    private static PrimeRun.Config config(int maxSteps, int ppoEpochs) {
        return new PrimeRun.Config(maxSteps, 8, 4, 3e-3, 3e-3, 0, 0.0, 1.0, 0.05, 5.0, 5.0, 0.2, ppoEpochs, 3, 1.0,
                1.0, 0, 1000, 1.0, 0.0, 1.0);
    }

    private static LmAlignSpec spec(PrimeRun.Config config, long seed) throws IOException {
        return LmMethodFixture.spec(LmMethodType.PRIME, config, seed);
    }

    @Test
    void denseRewardsAreBetaTimesTheTokenLogRatio() {
        // two rows of width 3: the first has 2 tokens (the third is padding), the second 3
        float[] logPhi = {-0.5f, -1.0f, -9f, -2.0f, -0.1f, -0.3f};
        float[] logRef = {-1.0f, -1.0f, -1f, -1.0f, -0.2f, -0.3f};
        double[][] r = PrimeRun.implicitRewards(logPhi, logRef, new int[] {2, 3}, 3, 0.05);
        assertThat(r[0]).hasSize(2);
        assertThat(r[0][0]).isCloseTo(0.05 * 0.5, within(1e-7)); // β·log(π_φ/π_ref) = 0.05·(−0.5 + 1)
        assertThat(r[0][1]).isCloseTo(0.0, within(1e-7));
        assertThat(r[1][0]).isCloseTo(-0.05, within(1e-7));
        assertThat(r[1][1]).isCloseTo(0.005, within(1e-7));
        assertThat(r[1][2]).isCloseTo(0.0, within(1e-7));
    }

    @Test
    void prmCrossEntropyAtKnownValues() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray z = m.create(new float[] {0f, 2f, -1f, 3f}); // β·Σ log(π_φ/π_ref) per completion
            NDArray label = m.create(new float[] {1f, 1f, 0f, 0f});
            double loss = PrimeRun.prmLoss(z, label).getFloat();
            // −log σ(0), −log σ(2), −log σ(1) (label 0 at z = −1), −log σ(−3)
            double expected = (Math.log(2) + Math.log1p(Math.exp(-2)) + Math.log1p(Math.exp(-1)) + Math.log1p(Math.exp(3)))
                    / 4;
            assertThat(loss).isCloseTo(expected, within(1e-6));
            assertThat(expected).isCloseTo((0.693147 + 0.126928 + 0.313262 + 3.048587) / 4, within(1e-6));
            // far out in the tails it stays finite: softplus, not log(sigmoid)
            double tail = PrimeRun.prmLoss(m.create(new float[] {-200f}), m.create(new float[] {1f})).getFloat();
            assertThat(tail).isCloseTo(200, within(1e-3));
        }
    }

    @Test
    void combinedAdvantageOnAHandExample() {
        // one group of K = 3 completions of 2, 1 and 3 tokens, outcome rewards 1, 0, 1; w_p = 2, w_o = 0.5
        double[][] dense = {{0.2, 0.4}, {-0.1}, {0.0, 0.0, 0.3}}; // token means 0.3, −0.1, 0.1
        double[][] a = PrimeRun.advantages(dense, new double[] {1, 0, 1}, 3, 2.0, 0.5);
        // row 0: baseline (−0.1 + 0.1)/2 = 0; returns-to-go of [0.2, 0.4]: 0.6, 0.4; outcome 1 − (0 + 1)/2 = 0.5
        assertThat(a[0]).containsExactly(new double[] {2 * 0.6 + 0.5 * 0.5, 2 * 0.4 + 0.5 * 0.5}, within(1e-12));
        // row 1: baseline (0.3 + 0.1)/2 = 0.2; return −0.3; outcome 0 − (1 + 1)/2 = −1
        assertThat(a[1]).containsExactly(new double[] {2 * -0.3 + 0.5 * -1}, within(1e-12));
        // row 2: baseline (0.3 − 0.1)/2 = 0.1; returns of [−0.1, −0.1, 0.2]: 0.0, 0.1, 0.2; outcome 1 − 1/2
        assertThat(a[2]).containsExactly(new double[] {0.25, 2 * 0.1 + 0.25, 2 * 0.2 + 0.25}, within(1e-12));
    }

    @Test
    void denseRewardsAreScaledByTheLargestReturnAndAdvantagesWhitened() {
        double[][] scaled = PrimeRun.normalizeByMaxReturn(new double[][] {{0.2, 0.4}, {-1.5, 0.5}});
        // returns-to-go 0.6, 0.4 and −1.0, 0.5: the largest magnitude is 1.0
        assertThat(scaled[0]).containsExactly(new double[] {0.2 / (1 + 1e-6), 0.4 / (1 + 1e-6)}, within(1e-12));
        assertThat(scaled[1][0]).isCloseTo(-1.5 / (1 + 1e-6), within(1e-12));
        // mean 2, unbiased variance 1
        double[][] w = PrimeRun.whiten(new double[][] {{1, 2}, {3}});
        double s = 1 / Math.sqrt(1 + 1e-8);
        assertThat(w[0]).containsExactly(new double[] {-s, 0}, within(1e-12));
        assertThat(w[1]).containsExactly(new double[] {s}, within(1e-12));
    }

    @Test
    void ppoClipBindsOnlyBeyondItsBounds() {
        try (NDManager m = NDManager.newBaseManager()) {
            // ratios 1.5, 0.5, 1.1, 0.5 with advantages 1, −1, 1, 1
            NDArray logp = m.create(new float[] {(float) Math.log(1.5), (float) Math.log(0.5), (float) Math.log(1.1),
                (float) Math.log(0.5)}, new Shape(1, 4));
            NDArray old = m.zeros(new Shape(1, 4));
            NDArray adv = m.create(new float[] {1f, -1f, 1f, 1f}, new Shape(1, 4));
            PrimeRun.Surrogate s = PrimeRun.clippedSurrogate(logp, old, adv, m.ones(new Shape(1, 4)), 0.2, 4);
            // −min(ρA, clip(ρ)A): −1.2 (clipped), 0.8 (clipped), −1.1, −0.5 (ρ < 1 − ε but A > 0: unclipped)
            assertThat((double) s.loss().getFloat()).isCloseTo((-1.2 + 0.8 - 1.1 - 0.5) / 4, within(1e-6));
            assertThat(s.clipRatio()).isEqualTo(0.5);
        }
    }

    @Test
    void configRejectsBadKnobs() {
        ConfigException noAdvantage = assertThrows(ConfigException.class, () -> new PrimeRun.Config(10, 8, 4, 3e-3,
                3e-3, 0, 0.0, 1.0, 0.05, 0.0, 0.0, 0.2, 1, 3, 1.0, 1.0, 0, 1000, 1.0, 0.0, 1.0));
        assertThat(noAdvantage.field()).isEqualTo("process_weight");
        ConfigException single = assertThrows(ConfigException.class, () -> new PrimeRun.Config(10, 8, 1, 3e-3,
                3e-3, 0, 0.0, 1.0, 0.05, 5.0, 5.0, 0.2, 1, 3, 1.0, 1.0, 0, 1000, 1.0, 0.0, 1.0));
        assertThat(single.field()).isEqualTo("num_generations");
    }

    @Test
    void primeRaisesTheRewardAndItsPrmLearnsTheOutcome() throws IOException {
        int steps = 20;
        LmMethodFixture.Trained t = LmMethodFixture.train(spec(config(steps, 1), 1), steps);
        List<Map<String, Double>> log = t.steps();
        double first = t.mean(0, 5, MetricNames.TRAIN_REWARD_MEAN);
        double last = t.mean(steps - 5, steps, MetricNames.TRAIN_REWARD_MEAN);
        double prmFirst = t.mean(0, 5, MetricNames.TRAIN_PRM_ACCURACY);
        double prmLast = t.mean(steps - 5, steps, MetricNames.TRAIN_PRM_ACCURACY);
        System.out.printf("PRIME reward %.3f -> %.3f, greedy accuracy %.3f -> %.3f, PRM accuracy %.3f -> %.3f, "
                + "PRM loss %.4f -> %.4f, implicit reward %.3f -> %.3f%n", first, last, t.accuracyBefore(),
                t.accuracyAfter(), prmFirst, prmLast, log.get(0).get(MetricNames.TRAIN_PRM_LOSS),
                log.get(steps - 1).get(MetricNames.TRAIN_PRM_LOSS),
                log.get(0).get(MetricNames.TRAIN_IMPLICIT_REWARD_MEAN),
                log.get(steps - 1).get(MetricNames.TRAIN_IMPLICIT_REWARD_MEAN));
        assertThat(first).as("pretrained reward near 1/3").isBetween(0.15, 0.6);
        assertThat(last).as("reward after PRIME").isGreaterThanOrEqualTo(first + 0.3);
        assertThat(t.accuracyAfter()).isGreaterThanOrEqualTo(0.875);
        // at step 1 π_φ = π_ref: every implicit reward is 0 and the PRM's loss is log 2
        assertThat(log.get(0).get(MetricNames.TRAIN_PRM_LOSS)).isCloseTo(Math.log(2), within(1e-5));
        assertThat(log.get(steps - 1).get(MetricNames.TRAIN_PRM_LOSS)).as("the PRM learned the outcome")
                .isLessThan(Math.log(2));
        assertThat(prmLast).as("the PRM ranks completions by their outcome").isGreaterThanOrEqualTo(0.9);
        assertThat(log.get(steps - 1).get(MetricNames.TRAIN_CLIP_RATIO)).isZero(); // one epoch: ρ = 1
    }

    @Test
    void resumesExactlyWithItsPrm() throws IOException {
        Path ckpt = tmp.resolve("ckpt");
        LmMethodFixture.assertResumesExactly(spec(config(3, 2), 9), ckpt);
        assertThat(Files.exists(ckpt.resolve(PrimeRun.PRM_DIR).resolve("optimizer.ndlist"))).isTrue();
        assertThat(Files.isDirectory(ckpt.resolve(PrimeRun.PRM_DIR).resolve("model"))).isTrue();
    }

    @Test
    void underLoraThePrmTrainsAdaptersOfItsOwnAndResumesExactly() throws Exception {
        Path base = HfTestModels.tinyLlama(Files.createDirectories(tmp.resolve("llama")));
        List<Map<String, Object>> items = List.of(Map.of("prompt", "12+3="), Map.of("prompt", "The cat"));
        RewardFunction spaces = RewardFunction.perSample((item, output) ->
                RewardResult.of(output.chars().filter(c -> c == ' ').count()));
        PrimeRun.Config config = new PrimeRun.Config(3, 2, 2, 3e-3, 3e-3, 0, 0.0, 1.0, 0.05, 5.0, 5.0, 0.2, 2, 3,
                1.0, 1.0, 0, 1000, 1.0, 0.0, 1.0);
        Path ckpt = tmp.resolve("lora-ckpt");
        LmMethodFixture.assertResumesExactly(new LmAlignSpec(base, LmMethodType.PRIME, config, items, items, spaces,
                null, 4, new LoraConfig(4, 8, 0, List.of())), ckpt);
        assertThat(Files.isDirectory(ckpt.resolve(PrimeRun.PRM_DIR).resolve("model").resolve(HfDirectory.PEFT_DIR)))
                .as("the PRM's own adapters").isTrue();
    }

    @Test
    void nativeArraysStayFlat() throws IOException {
        LmMethodFixture.assertNativeArraysFlat(spec(config(5, 2), 3));
    }

    /** The online accuracy filter: left-out rows get advantage 0, the kept ones are whitened among themselves. */
    @Test
    void whitenKeptIgnoresTheRowsOfFilteredGroups() {
        double[][] a = {{1, 1}, {3}, {100, -100}, {5}};
        double[][] out = PrimeRun.whitenKept(a, new float[] {1, 1, 0, 1});
        // kept tokens 1, 1, 3, 5: mean 2.5, unbiased variance ((1.5² · 2) + 0.5² + 2.5²) / 3 = 11 / 3
        double scale = 1 / Math.sqrt(11.0 / 3 + 1e-8);
        assertThat(out[0][0]).isCloseTo(-1.5 * scale, org.assertj.core.api.Assertions.within(1e-6));
        assertThat(out[1][0]).isCloseTo(0.5 * scale, org.assertj.core.api.Assertions.within(1e-6));
        assertThat(out[3][0]).isCloseTo(2.5 * scale, org.assertj.core.api.Assertions.within(1e-6));
        assertThat(out[2]).containsExactly(0.0, 0.0);
    }
}
