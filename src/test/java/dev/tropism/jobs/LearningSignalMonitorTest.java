package dev.tropism.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class LearningSignalMonitorTest {

    private static Map<String, Double> frac(double f) {
        return Map.of("train/frac_reward_zero_std", f, "train/loss", 1.0);
    }

    @Test
    void warnsOnceAfterAWindowOfSilentStepsAndAgainOnlyAfterTheSignalCameBack() {
        LearningSignalMonitor m = new LearningSignalMonitor(0.9, 3);
        assertThat(m.observe(1, frac(1.0))).isEmpty();
        assertThat(m.observe(2, frac(0.95))).isEmpty();
        var warning = m.observe(3, frac(0.9)); // at the threshold counts
        assertThat(warning).isPresent();
        assertThat(warning.get()).containsEntry("from_step", 1).containsEntry("step", 3);
        assertThat((double) warning.get().get("mean_fraction")).isCloseTo((1.0 + 0.95 + 0.9) / 3, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(m.observe(4, frac(1.0))).isEmpty(); // once per episode
        assertThat(m.observe(5, frac(0.5))).isEmpty(); // the signal came back: re-armed
        assertThat(m.observe(6, frac(1.0))).isEmpty();
        assertThat(m.observe(7, frac(1.0))).isEmpty();
        assertThat(m.observe(8, frac(1.0))).isPresent();
    }

    @Test
    void aStepBelowTheThresholdInTheWindowKeepsItQuietAndMethodsWithoutTheMetricAreIgnored() {
        LearningSignalMonitor m = new LearningSignalMonitor(0.9, 3);
        assertThat(m.observe(1, frac(1.0))).isEmpty();
        assertThat(m.observe(2, frac(0.89))).isEmpty();
        assertThat(m.observe(3, frac(1.0))).isEmpty();
        assertThat(m.observe(4, frac(1.0))).isEmpty();
        assertThat(m.observe(5, Map.of("train/loss", 1.0))).isEmpty(); // e.g. pretraining
        assertThat(m.observe(6, frac(1.0))).isPresent(); // 3, 4 and 6 are the last three fractions
    }
}
