package dev.tropism.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.tropism.engine.MetricNames;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class HackingMonitorTest {

    static final HackingMonitorConfig CFG = new HackingMonitorConfig(10, 0.05, 0.02, 0.0, HackingMonitorConfig.Action.WARN);

    @Test
    void changeIsTheLeastSquaresSlopeTimesTheSpan() {
        assertThat(HackingMonitor.change(new TreeMap<>(Map.of(0, 0.0, 10, 1.0)))).isCloseTo(1.0, within(1e-12));
        assertThat(HackingMonitor.change(new TreeMap<>(Map.of(0, 1.0, 5, 2.0, 10, 3.0)))).isCloseTo(2.0, within(1e-12));
        // (0,0) (1,1) (2,0): slope 0 despite the bump
        assertThat(HackingMonitor.change(new TreeMap<>(Map.of(0, 0.0, 1, 1.0, 2, 0.0)))).isCloseTo(0.0, within(1e-12));
        assertThat(HackingMonitor.change(new TreeMap<>(Map.of(3, 5.0)))).isZero();
    }

    /** Feeds steps 1..n: train reward {@code train(step)}, gold every 2 steps {@code gold(step)}. */
    static Optional<HackingMonitor.Alarm> run(HackingMonitor m, int n, java.util.function.IntToDoubleFunction train,
            java.util.function.IntToDoubleFunction gold, List<Integer> alarmSteps) {
        Optional<HackingMonitor.Alarm> first = Optional.empty();
        m.observe(0, Map.of(MetricNames.EVAL_GOLD_MEAN, gold.applyAsDouble(0)));
        for (int s = 1; s <= n; s++) {
            Map<String, Double> metrics = new HashMap<>();
            metrics.put(MetricNames.TRAIN_REWARD_MEAN, train.applyAsDouble(s));
            metrics.put(MetricNames.TRAIN_KL, 0.01);
            if (s % 2 == 0) {
                metrics.put(MetricNames.EVAL_GOLD_MEAN, gold.applyAsDouble(s));
            }
            Optional<HackingMonitor.Alarm> a = m.observe(s, metrics);
            if (a.isPresent()) {
                alarmSteps.add(s);
                first = first.isPresent() ? first : a;
            }
        }
        return first;
    }

    @Test
    void firesWhenProxyRisesWhileGoldFallsAndThenStaysQuietForAWindow() {
        List<Integer> steps = new java.util.ArrayList<>();
        Optional<HackingMonitor.Alarm> alarm = run(new HackingMonitor(CFG, 0), 30, s -> 0.02 * s, s -> 0.8 - 0.01 * s, steps);
        assertThat(alarm).isPresent();
        // need half a window (5) of train points: steps 1..5 give a rise of 0.08 and gold 0,2,4 falls 0.04
        assertThat(steps.get(0)).isEqualTo(5);
        assertThat(alarm.get().rule()).isEqualTo("proxy_up_gold_down");
        assertThat((double) alarm.get().evidence().get("train_reward_change")).isCloseTo(0.08, within(1e-9));
        assertThat((double) alarm.get().evidence().get("gold_reward_change")).isCloseTo(-0.04, within(1e-9));
        assertThat(alarm.get().evidence()).containsEntry("action", "warn");
        // one alarm per window of steps: 5, then not before 16, then 26
        assertThat(steps).containsExactly(5, 16, 27);
    }

    @Test
    void staysQuietOnAHealthyRunAndOnSmallGoldNoise() {
        List<Integer> steps = new java.util.ArrayList<>();
        assertThat(run(new HackingMonitor(CFG, 0), 40, s -> 0.02 * s, s -> 0.3 + 0.01 * s, steps)).isEmpty();
        // gold jitters by ±0.005 around a constant: its fall over any window stays under min_gold_drop 0.02
        assertThat(run(new HackingMonitor(CFG, 0), 40, s -> 0.02 * s, s -> 0.5 + (s % 4 == 0 ? 0.005 : -0.005), steps))
                .isEmpty();
        // gold falls but the proxy does not rise: not hacking (just a bad run)
        assertThat(run(new HackingMonitor(CFG, 0), 40, s -> 0.3, s -> 0.8 - 0.01 * s, steps)).isEmpty();
        assertThat(steps).isEmpty();
    }

    @Test
    void klRuleFiresOnTheMeanOfTheLastFiveSteps() {
        HackingMonitor m = new HackingMonitor(new HackingMonitorConfig(10, 0.05, 0.02, 0.1, HackingMonitorConfig.Action.PAUSE), 0);
        for (int s = 1; s <= 4; s++) {
            assertThat(m.observe(s, Map.of(MetricNames.TRAIN_KL, 0.05))).isEmpty();
        }
        // last five: 0.05 × 4 + 0.35 → mean 0.11 > 0.1
        Optional<HackingMonitor.Alarm> a = m.observe(5, Map.of(MetricNames.TRAIN_KL, 0.35));
        assertThat(a).isPresent();
        assertThat(a.get().rule()).isEqualTo("kl_bound");
        assertThat((double) a.get().evidence().get("kl_mean")).isCloseTo(0.11, within(1e-12));
        assertThat(a.get().evidence()).containsEntry("action", "pause");
        assertThat(m.observe(6, Map.of(MetricNames.TRAIN_KL, 1.0))).isEmpty(); // quiet through step 15
    }

    @Test
    void aResumedMonitorReplaysHistoryAndHonoursTheQuietPeriod() {
        HackingMonitor m = new HackingMonitor(CFG, 8);
        Map<String, List<JobMetrics.Point>> history = new HashMap<>();
        history.put(MetricNames.TRAIN_REWARD_MEAN, List.of(new JobMetrics.Point(1, 0.1), new JobMetrics.Point(2, 0.2),
                new JobMetrics.Point(3, 0.3), new JobMetrics.Point(4, 0.4), new JobMetrics.Point(5, 0.5)));
        history.put(MetricNames.EVAL_GOLD_MEAN, List.of(new JobMetrics.Point(0, 0.9), new JobMetrics.Point(4, 0.7)));
        m.replay(history);
        assertThat(m.observe(8, Map.of(MetricNames.TRAIN_REWARD_MEAN, 0.8))).isEmpty(); // quiet through 8
        assertThat(m.observe(9, Map.of(MetricNames.TRAIN_REWARD_MEAN, 0.9))).isPresent();
    }
}
