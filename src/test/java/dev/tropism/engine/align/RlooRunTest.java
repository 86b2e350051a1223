package dev.tropism.engine.align;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tropism.engine.ConfigException;
import dev.tropism.engine.Engine;
import dev.tropism.engine.MetricNames;
import dev.tropism.engine.TrainingRun;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RlooRunTest {

    @TempDir
    Path tmp;

    private static RlooRun.Config config(int maxSteps, double beta) {
        return new RlooRun.Config(maxSteps, 8, 8, 3e-3, 0, 0.0, 1.0, beta, 3, 1.0, 1.0, 0, 1000, 1.0);
    }

    private static LmAlignSpec spec(RlooRun.Config config, long seed) throws IOException {
        return new LmAlignSpec(LmMethodFixture.base(), LmMethodType.RLOO, config, LmMethodFixture.items(),
                LmMethodFixture.items(), LmMethodFixture.EXACT_MATCH, null, seed, null);
    }

    @Test
    void leaveOneOutBaselineIsTheMeanOfTheOtherSamples() {
        // group 1: rewards 1, 0, 0, 1 → baselines 1/3, 2/3, 2/3, 1/3 → advantages 2/3, −2/3, −2/3, 2/3
        // group 2: 0.5, 0.5, 0.5, 2.5 → baselines 7/6, 7/6, 7/6, 0.5 → −2/3, −2/3, −2/3, 2
        double[] a = RlooRun.leaveOneOutAdvantages(new double[] {1, 0, 0, 1, 0.5, 0.5, 0.5, 2.5}, 4);
        double[] expected = {2.0 / 3, -2.0 / 3, -2.0 / 3, 2.0 / 3, -2.0 / 3, -2.0 / 3, -2.0 / 3, 2.0};
        for (int i = 0; i < a.length; i++) {
            assertThat(a[i]).as("A_" + i).isCloseTo(expected[i], within(1e-12));
        }
        // k/(k−1)·(r − mean): the closed form of the same thing
        assertThat(a[7]).isCloseTo(4.0 / 3 * (2.5 - 1.0), within(1e-12));
    }

    @Test
    void configRejectsASingleSamplePerPrompt() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> new RlooRun.Config(10, 8, 1, 3e-3, 0, 0.0, 1.0, 0.0, 3, 1.0, 1.0, 0, 1000, 1.0));
        assertThat(e.field()).isEqualTo("num_generations");
        assertThat(e.getMessage()).contains("at least 2");
    }

    @Test
    void rlooRaisesTheReward() throws IOException {
        List<Map<String, Double>> steps = new ArrayList<>();
        double accuracyBefore;
        double accuracyAfter;
        try (TrainingRun run = Engine.open(spec(config(30, 0.0), 1))) {
            accuracyBefore = run.evaluate().get(MetricNames.EVAL_ACCURACY);
            for (int i = 0; i < 30; i++) {
                steps.add(run.trainStep());
            }
            accuracyAfter = run.evaluate().get(MetricNames.EVAL_ACCURACY);
        }
        double first = LmMethodFixture.mean(steps.subList(0, 5), MetricNames.TRAIN_REWARD_MEAN);
        double last = LmMethodFixture.mean(steps.subList(25, 30), MetricNames.TRAIN_REWARD_MEAN);
        System.out.printf("RLOO reward %.3f -> %.3f, greedy accuracy %.3f -> %.3f%n", first, last, accuracyBefore,
                accuracyAfter);
        assertThat(first).as("pretrained reward near 1/3").isBetween(0.15, 0.6);
        assertThat(last).as("reward after RLOO").isGreaterThanOrEqualTo(first + 0.3);
        assertThat(accuracyAfter).isGreaterThanOrEqualTo(0.875);
        assertThat(steps.get(29).get(MetricNames.TRAIN_KL)).as("the policy moved away from the reference").isPositive();
    }

    @Test
    void resumesExactly() throws IOException {
        LmMethodFixture.assertResumesExactly(spec(config(3, 0.05), 9), tmp.resolve("ckpt"));
    }

    @Test
    void nativeArraysStayFlat() throws IOException {
        LmMethodFixture.assertNativeArraysFlat(spec(config(5, 0.05), 3));
    }
}
