package dev.tropism.engine.align;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.tropism.engine.ConfigException;
import dev.tropism.engine.Engine;
import dev.tropism.engine.MetricNames;
import dev.tropism.engine.TrainingRun;
import dev.tropism.engine.nn.Gradients;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PpoRunTest {

    @TempDir
    Path tmp;

    private static PpoRun.Config config(int maxSteps, int numGenerations, int ppoEpochs, int numMiniBatches,
            double klCoef) {
        return new PpoRun.Config(maxSteps, 8, numGenerations, ppoEpochs, numMiniBatches, 1e-3, 0, 0.0, 1.0, klCoef, 1.0,
                0.95, 0.2, 0.2, 0.1, true, 3, 1.0, 1.0, 0, 1000, 1.0);
    }

    private static LmAlignSpec spec(PpoRun.Config config, long seed) throws IOException {
        return new LmAlignSpec(LmMethodFixture.base(), LmMethodType.PPO, config, LmMethodFixture.items(),
                LmMethodFixture.items(), LmMethodFixture.EXACT_MATCH, null, seed, null);
    }

    @Test
    void gaeOnAHandMadeTrajectory() {
        // γ = 0.9, λ = 0.5 (γλ = 0.45). Row 0, three tokens: r = (0, 0, 1), V = (0.5, 0.4, 0.8), terminal after t = 2:
        //   δ2 = 1 + 0.9·0 − 0.8 = 0.2                    Â2 = 0.2
        //   δ1 = 0 + 0.9·0.8 − 0.4 = 0.32                 Â1 = 0.32 + 0.45·0.2 = 0.41
        //   δ0 = 0 + 0.9·0.4 − 0.5 = −0.14                Â0 = −0.14 + 0.45·0.41 = 0.0445
        // Row 1, length 2 of width 3 (its third entries are padding and must be ignored): r = (−0.1, 2), V = (0.2, 0.3):
        //   δ1 = 2 + 0 − 0.3 = 1.7                        Â1 = 1.7
        //   δ0 = −0.1 + 0.9·0.3 − 0.2 = −0.03             Â0 = −0.03 + 0.45·1.7 = 0.735
        double[] rewards = {0, 0, 1, -0.1, 2, 77};
        double[] values = {0.5, 0.4, 0.8, 0.2, 0.3, 99};
        double[] a = PpoRun.gae(rewards, values, new int[] {3, 2}, 3, 0.9, 0.5);
        double[] expected = {0.0445, 0.41, 0.2, 0.735, 1.7, 0};
        for (int i = 0; i < a.length; i++) {
            assertThat(a[i]).as("Â[" + i + "]").isCloseTo(expected[i], within(1e-12));
        }
        // γ = λ = 1: Monte-Carlo, Â_t = Σ_{l ≥ t} r_l − V_t
        double[] mc = PpoRun.gae(rewards, values, new int[] {3, 2}, 3, 1.0, 1.0);
        assertThat(mc[0]).isCloseTo(1 - 0.5, within(1e-12));
        assertThat(mc[3]).isCloseTo(1.9 - 0.2, within(1e-12));

        // Whitening over the five valid tokens: mean 0, unbiased variance 1 (up to the 1e-8), padding stays 0.
        double[] w = PpoRun.whiten(a, new int[] {3, 2}, 3);
        double[] moments = PpoRun.maskedMeanVar(w, new int[] {3, 2}, 3);
        assertThat(moments[0]).isCloseTo(0, within(1e-12));
        assertThat(moments[1]).isCloseTo(1, within(1e-6));
        assertThat(w[5]).isZero();
    }

    @Test
    void policyClippingAtItsBounds() {
        // ε = 0.2, one token each: (ratio, Â) and the loss max(−Â·ρ, −Â·clip(ρ, 0.8, 1.2)), its gradient in log π:
        //   ρ = 1.5, Â = +1: max(−1.5, −1.2) = −1.2, clipped: gradient 0
        //   ρ = 0.5, Â = +1: max(−0.5, −0.8) = −0.5, unclipped: ∂/∂logπ (−Â·ρ) = −0.5
        //   ρ = 0.5, Â = −1: max(0.5, 0.8)  = 0.8,  clipped: gradient 0
        //   ρ = 1.5, Â = −1: max(1.5, 1.2)  = 1.5,  unclipped: ∂/∂logπ = +1.5
        //   ρ = 1.1, Â = +2: inside [0.8, 1.2]: −2.2, gradient −2.2
        //   a sixth, masked-out token (ρ = 3, Â = 5) counts for nothing.
        // Loss = mean over the 5 counted tokens = (−1.2 − 0.5 + 0.8 + 1.5 − 2.2) / 5 = −0.32; gradients are / 5.
        // The clip binds on 2 of 5 tokens.
        double[] ratio = {1.5, 0.5, 0.5, 1.5, 1.1, 3};
        float[] adv = {1, 1, -1, -1, 2, 5};
        float[] mask = {1, 1, 1, 1, 1, 0};
        float[] logpOld = {-1, -2, -0.5f, -1.5f, -0.3f, -1};
        float[] logp = new float[ratio.length];
        for (int i = 0; i < ratio.length; i++) {
            logp[i] = (float) (logpOld[i] + Math.log(ratio[i]));
        }
        Result r = lossAndGradient(logp, m -> PpoRun.clippedPolicyLoss(m.get(0), m.get(1), m.get(2), m.get(3), 0.2),
                logpOld, adv, mask);
        assertThat(r.loss).isCloseTo(-0.32, within(1e-5));
        assertThat(r.clipRatio).isCloseTo(0.4, within(1e-6));
        double[] expected = {0, -0.5 / 5, 0, 1.5 / 5, -2.2 / 5, 0};
        for (int i = 0; i < expected.length; i++) {
            assertThat(r.gradient[i]).as("∂L/∂logπ[" + i + "]").isCloseTo((float) expected[i], within(1e-5f));
        }
    }

    @Test
    void valueClippingAtItsBounds() {
        // ε_V = 0.2, V_old = 0; L = ½ · mean max((V − R̂)², (clip(V, −0.2, 0.2) − R̂)²), its gradient in V:
        //   V = 0.5,  R̂ = 1: (0.25, 0.64) → 0.64, clipped: gradient 0
        //   V = 1.5,  R̂ = 1: (0.25, 0.64) → 0.64, clipped: gradient 0
        //   V = −0.5, R̂ = 1: (2.25, 1.44) → 2.25, unclipped: ∂/∂V ½(V − R̂)² = −1.5
        //   V = 0.5,  R̂ = 0: (0.25, 0.04) → 0.25, unclipped (clipping only ever makes the loss larger): +0.5
        //   V = 0.1,  R̂ = 1: inside: 0.81, gradient −0.9
        //   a masked-out sixth token (V = 9, R̂ = −9).
        // Loss = ½ · (0.64 + 0.64 + 2.25 + 0.25 + 0.81) / 5 = 0.459; gradients / 5; the clip binds on 2 of 5.
        float[] v = {0.5f, 1.5f, -0.5f, 0.5f, 0.1f, 9};
        float[] vOld = {0, 0, 0, 0, 0, 0};
        float[] returns = {1, 1, 1, 0, 1, -9};
        float[] mask = {1, 1, 1, 1, 1, 0};
        Result r = lossAndGradient(v, m -> PpoRun.clippedValueLoss(m.get(0), m.get(1), m.get(2), m.get(3), 0.2),
                vOld, returns, mask);
        assertThat(r.loss).isCloseTo(0.459, within(1e-5));
        assertThat(r.clipRatio).isCloseTo(0.4, within(1e-6));
        double[] expected = {0, 0, -1.5 / 5, 0.5 / 5, -0.9 / 5, 0};
        for (int i = 0; i < expected.length; i++) {
            assertThat(r.gradient[i]).as("∂L/∂V[" + i + "]").isCloseTo((float) expected[i], within(1e-5f));
        }
    }

    private record Result(double loss, double clipRatio, float[] gradient) {
    }

    /** The loss of {@code f} on (1, n) arrays (the first one with gradient) and that array's gradient. */
    private static Result lossAndGradient(float[] x, Function<List<NDArray>, PpoRun.Clipped> f, float[]... rest) {
        Gradients.COLLECTOR_LOCK.lock();
        try (NDManager m = NDManager.newBaseManager()) {
            Shape shape = new Shape(1, x.length);
            NDArray input = m.create(x, shape);
            input.setRequiresGradient(true);
            List<NDArray> args = new ArrayList<>();
            args.add(input);
            for (float[] a : rest) {
                args.add(m.create(a, shape));
            }
            try (GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                PpoRun.Clipped c = f.apply(args);
                double loss = c.loss().getFloat();
                gc.backward(c.loss());
                return new Result(loss, c.clipRatio(), input.getGradient().toFloatArray());
            }
        } finally {
            Gradients.gradModeOff();
            Gradients.COLLECTOR_LOCK.unlock();
        }
    }

    @Test
    void configRejectsOutOfRangeValues() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> new PpoRun.Config(10, 8, 1, 4, 1, 3e-3, 0, 0.0, 1.0, 0.05, 1.0, 0.95, 1.5, 0.2, 0.1, true, 3, 1.0,
                        1.0, 0, 1000, 1.0));
        assertThat(e.field()).isEqualTo("cliprange");
        e = assertThrows(ConfigException.class, () -> config(10, 1, 4, 3, 0.05)); // 8 rows into 3 mini-batches
        assertThat(e.field()).isEqualTo("num_mini_batches");
        assertThat(e.getMessage()).contains("8");
    }

    @Test
    void ppoRaisesTheReward() throws IOException {
        int n = 20;
        List<Map<String, Double>> steps = new ArrayList<>();
        double accuracyBefore;
        double accuracyAfter;
        // 8 prompts × 4 samples, 2 epochs of 2 mini-batches: 4 updates per rollout
        try (TrainingRun run = Engine.open(spec(config(n, 4, 2, 2, 0.05), 1))) {
            accuracyBefore = run.evaluate().get(MetricNames.EVAL_ACCURACY);
            for (int i = 0; i < n; i++) {
                steps.add(run.trainStep());
            }
            accuracyAfter = run.evaluate().get(MetricNames.EVAL_ACCURACY);
        }
        double first = steps.get(0).get(MetricNames.TRAIN_REWARD_MEAN); // sampled before any update: the base's
        double last = LmMethodFixture.mean(steps.subList(n - 5, n), MetricNames.TRAIN_REWARD_MEAN);
        double evFirst = steps.get(0).get(MetricNames.TRAIN_EXPLAINED_VARIANCE);
        double evLast = steps.get(n - 1).get(MetricNames.TRAIN_EXPLAINED_VARIANCE);
        System.out.printf("PPO reward %.3f -> %.3f, greedy accuracy %.3f -> %.3f, explained variance %.3f -> %.3f, "
                + "value loss %.4f -> %.4f%n", first, last, accuracyBefore, accuracyAfter, evFirst, evLast,
                steps.get(0).get(MetricNames.TRAIN_VALUE_LOSS), steps.get(n - 1).get(MetricNames.TRAIN_VALUE_LOSS));
        assertThat(first).as("pretrained reward near 1/3").isBetween(0.15, 0.6);
        assertThat(last).as("reward after PPO").isGreaterThanOrEqualTo(first + 0.3);
        assertThat(accuracyAfter).isGreaterThanOrEqualTo(0.875);
        Map<String, Double> lastStep = steps.get(n - 1);
        assertThat(lastStep.get(MetricNames.TRAIN_KL)).as("the policy moved away from the reference").isPositive();
        for (String name : List.of(MetricNames.TRAIN_POLICY_LOSS, MetricNames.TRAIN_VALUE_LOSS,
                MetricNames.TRAIN_CLIP_RATIO, MetricNames.TRAIN_VALUE_CLIP_RATIO, MetricNames.TRAIN_ENTROPY,
                MetricNames.TRAIN_VALUE_MEAN, MetricNames.TRAIN_ADVANTAGE_MEAN, MetricNames.TRAIN_GRAD_NORM)) {
            assertThat(lastStep).as(name).containsKey(name);
            assertThat(lastStep.get(name)).as(name).isFinite();
        }
        // the value head learns: its prediction moves towards the reward it is trained on
        assertThat(lastStep.get(MetricNames.TRAIN_VALUE_MEAN)).as("V after training")
                .isCloseTo(lastStep.get(MetricNames.TRAIN_REWARD_MEAN), within(0.5));
    }

    @Test
    void resumesExactlyValueHeadIncluded() throws IOException {
        Path checkpoint = tmp.resolve("ckpt");
        LmMethodFixture.assertResumesExactly(spec(config(3, 2, 2, 2, 0.05), 9), checkpoint);
        assertThat(checkpoint.resolve(PpoRun.VALUE_HEAD)).exists();
        assertThat(checkpoint.resolve(PpoRun.VALUE_HEAD_OPTIMIZER)).exists();
        // a checkpoint without the head's weights is refused rather than resumed with a fresh head
        Files.delete(checkpoint.resolve(PpoRun.VALUE_HEAD));
        assertThatThrownBy(() -> Engine.resume(spec(config(3, 2, 2, 2, 0.05), 9), checkpoint).close())
                .hasRootCauseInstanceOf(NoSuchFileException.class).hasMessageContaining(PpoRun.VALUE_HEAD);
    }

    @Test
    void nativeArraysStayFlat() throws IOException {
        LmMethodFixture.assertNativeArraysFlat(spec(config(5, 2, 2, 2, 0.05), 3));
    }
}
