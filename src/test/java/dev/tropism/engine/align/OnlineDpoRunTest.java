package dev.tropism.engine.align;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.tropism.engine.Engine;
import dev.tropism.engine.MetricNames;
import dev.tropism.engine.TrainingRun;
import dev.tropism.engine.align.DpoRun.LossType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnlineDpoRunTest {

    @TempDir
    Path tmp;

    private static OnlineDpoRun.Config config(int maxSteps) {
        return new OnlineDpoRun.Config(maxSteps, 8, 4, 3e-3, 0, 0.0, 1.0, 0.1, LossType.SIGMOID, 0.0, 3, 1.0, 1.0, 0,
                1000, 1.0);
    }

    private static LmAlignSpec spec(OnlineDpoRun.Config config, long seed) throws IOException {
        return new LmAlignSpec(LmMethodFixture.base(), LmMethodType.ONLINE_DPO, config, LmMethodFixture.items(),
                LmMethodFixture.items(), LmMethodFixture.EXACT_MATCH, null, seed, null);
    }

    @Test
    void eachGroupGivesItsBestAndWorstSampleUnlessItsRewardsAreAllEqual() {
        // groups of 3: (0, 1, 0) → rows 1 over 0 (the first of the equal worst); (1, 1, 1) → skipped;
        // (0.2, 0.9, 0.9) → row 7 over row 6 (the first of the equal best); (0.5, 0.1, 0.3) → row 9 over row 10
        List<int[]> pairs = OnlineDpoRun.bestWorstPairs(new double[] {0, 1, 0, 1, 1, 1, 0.2, 0.9, 0.9, 0.5, 0.1, 0.3},
                3);
        assertThat(pairs).containsExactly(new int[] {1, 0}, new int[] {7, 6}, new int[] {9, 10});
        assertThat(OnlineDpoRun.bestWorstPairs(new double[] {1, 1, 0, 0}, 2)).isEmpty();
    }

    @Test
    void onlineDpoRaisesTheReward() throws IOException {
        int steps = 30;
        List<Map<String, Double>> trained = new ArrayList<>();
        double accuracyBefore;
        double accuracyAfter;
        try (TrainingRun run = Engine.open(spec(config(steps), 1))) {
            accuracyBefore = run.evaluate().get(MetricNames.EVAL_ACCURACY);
            for (int i = 0; i < steps; i++) {
                trained.add(run.trainStep());
            }
            accuracyAfter = run.evaluate().get(MetricNames.EVAL_ACCURACY);
        }
        double first = LmMethodFixture.mean(trained.subList(0, 5), MetricNames.TRAIN_REWARD_MEAN);
        double last = LmMethodFixture.mean(trained.subList(steps - 5, steps), MetricNames.TRAIN_REWARD_MEAN);
        double skippedFirst = LmMethodFixture.mean(trained.subList(0, 5), MetricNames.TRAIN_FRAC_REWARD_ZERO_STD);
        System.out.printf("online DPO reward %.3f -> %.3f, greedy accuracy %.3f -> %.3f, groups skipped %.3f -> %.3f%n",
                first, last, accuracyBefore, accuracyAfter, skippedFirst,
                LmMethodFixture.mean(trained.subList(steps - 5, steps), MetricNames.TRAIN_FRAC_REWARD_ZERO_STD));
        assertThat(first).as("pretrained reward near 1/3").isBetween(0.15, 0.6);
        assertThat(last).as("reward after online DPO").isGreaterThanOrEqualTo(first + 0.3);
        assertThat(accuracyAfter).isGreaterThanOrEqualTo(0.875);
        Map<String, Double> firstStep = trained.get(0);
        assertThat(firstStep.get(MetricNames.TRAIN_LOSS)).as("π_θ = π_ref at the first step")
                .isCloseTo(Math.log(2), within(1e-5));
        assertThat(firstStep.get(MetricNames.TRAIN_REWARDS_MARGINS)).isCloseTo(0.0,
                within(1e-6));
        assertThat(firstStep).containsKeys(MetricNames.TRAIN_REWARDS_CHOSEN,
                MetricNames.TRAIN_REWARDS_REJECTED, MetricNames.TRAIN_REWARDS_ACCURACIES,
                MetricNames.TRAIN_COMPLETION_LENGTH_MEAN);
    }

    @Test
    void resumesExactly() throws IOException {
        LmMethodFixture.assertResumesExactly(spec(config(3), 9), tmp.resolve("ckpt"));
    }

    @Test
    void nativeArraysStayFlat() throws IOException {
        LmMethodFixture.assertNativeArraysFlat(spec(config(5), 3));
    }
}
