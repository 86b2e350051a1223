package dev.tropism.engine.align;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.tropism.engine.ConfigException;
import dev.tropism.engine.MetricNames;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SuperHfRunTest {

    @TempDir
    Path tmp;

    private static SuperHfRun.Config config(int maxSteps, double klCoef) {
        return new SuperHfRun.Config(maxSteps, 8, 4, 3e-3, 0, 0.0, 1.0, klCoef, 3, 1.0, 1.0, 0, 1000, 1.0);
    }

    private static LmAlignSpec spec(SuperHfRun.Config config, long seed) throws IOException {
        return LmMethodFixture.spec(LmMethodType.SUPERHF, config, seed);
    }

    @Test
    void keepsTheBestOfEachGroupAndTheFirstOnATie() {
        double[] reward = {0.2, 0.9, 0.1, /**/ 1, 1, 0, /**/ 0, 0, 0, /**/ -1, -3, -0.5};
        assertThat(SuperHfRun.bestOfGroups(reward, 3)).containsExactly(1, 3, 6, 11);
    }

    @Test
    void lossIsCrossEntropyPlusBetaTimesTheExactKl() {
        try (NDManager m = NDManager.newBaseManager()) {
            // one completion of two tokens over a vocabulary of two; π_θ = (0.5, 0.5) then (0.9, 0.1), π_ref uniform
            NDArray logProbs = m.create(new float[] {0.5f, 0.5f, 0.9f, 0.1f}, new Shape(1, 2, 2)).log();
            NDArray refLogProbs = m.create(new float[] {0.5f, 0.5f, 0.5f, 0.5f}, new Shape(1, 2, 2)).log();
            NDArray targets = m.create(new long[] {0, 1}, new Shape(1, 2));
            NDArray mask = m.ones(new Shape(1, 2));
            SuperHfRun.Loss l = SuperHfRun.loss(logProbs, refLogProbs, targets, mask, 2, 0.35);
            double ce = -(Math.log(0.5) + Math.log(0.1)) / 2;
            double kl = (0 + 0.9 * Math.log(0.9 / 0.5) + 0.1 * Math.log(0.1 / 0.5)) / 2;
            assertThat(l.crossEntropy()).isCloseTo(ce, within(1e-6));
            assertThat(l.kl()).isCloseTo(kl, within(1e-6));
            assertThat((double) l.loss().getFloat()).isCloseTo(ce + 0.35 * kl, within(1e-6));
            // with π_θ = π_ref the KL is 0 and the loss is the cross-entropy alone
            SuperHfRun.Loss same = SuperHfRun.loss(logProbs, logProbs, targets, mask, 2, 0.35);
            assertThat(same.kl()).isCloseTo(0, within(1e-7));
            assertThat((double) same.loss().getFloat()).isCloseTo(ce, within(1e-6));
        }
    }

    @Test
    void configRejectsASingleSamplePerPrompt() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> new SuperHfRun.Config(10, 8, 1, 3e-3, 0, 0.0, 1.0, 0.35, 3, 1.0, 1.0, 0, 1000, 1.0));
        assertThat(e.field()).isEqualTo("num_generations");
    }

    @Test
    void superHfRaisesTheReward() throws IOException {
        int steps = 20;
        LmMethodFixture.Trained t = LmMethodFixture.train(spec(config(steps, 0.35), 1), steps);
        List<Map<String, Double>> log = t.steps();
        double first = t.mean(0, 5, MetricNames.TRAIN_REWARD_MEAN);
        double last = t.mean(steps - 5, steps, MetricNames.TRAIN_REWARD_MEAN);
        System.out.printf("SuperHF reward %.3f -> %.3f, kept reward %.3f -> %.3f, greedy accuracy %.3f -> %.3f, "
                + "KL %.4f, reward calls %.0f%n", first, last, t.mean(0, 5, MetricNames.TRAIN_KEPT_REWARD_MEAN),
                t.mean(steps - 5, steps, MetricNames.TRAIN_KEPT_REWARD_MEAN), t.accuracyBefore(), t.accuracyAfter(),
                log.get(steps - 1).get(MetricNames.TRAIN_KL), log.get(steps - 1).get(MetricNames.TRAIN_REWARD_CALLS));
        assertThat(first).as("pretrained reward near 1/3").isBetween(0.15, 0.6);
        assertThat(last).as("reward after SuperHF").isGreaterThanOrEqualTo(first + 0.3);
        assertThat(t.accuracyAfter()).isGreaterThanOrEqualTo(0.875);
        assertThat(log.get(0).get(MetricNames.TRAIN_KEPT_REWARD_MEAN)).as("the best of 4 beats the mean")
                .isGreaterThan(log.get(0).get(MetricNames.TRAIN_REWARD_MEAN));
        assertThat(log.get(0).get(MetricNames.TRAIN_KL)).as("π_θ = π_ref before the first update")
                .isCloseTo(0, within(1e-6));
        assertThat(log.get(steps - 1).get(MetricNames.TRAIN_KL)).isPositive();
        assertThat(log.get(steps - 1).get(MetricNames.TRAIN_REWARD_CALLS)).isEqualTo(steps * 8 * 4.0);
    }

    @Test
    void resumesExactly() throws IOException {
        LmMethodFixture.assertResumesExactly(spec(config(3, 0.35), 9), tmp.resolve("ckpt"));
    }

    @Test
    void nativeArraysStayFlat() throws IOException {
        LmMethodFixture.assertNativeArraysFlat(spec(config(5, 0.35), 3));
    }
}
