package dev.tropism.evaluations;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class LatencyStatsTest {

    @Test
    void nearestRankPercentiles() {
        // 1..20 ms shuffled: p50 is the ⌈0.5 · 20⌉ = 10th smallest, p95 the ⌈0.95 · 20⌉ = 19th
        double[] ms = {7, 20, 3, 11, 1, 15, 9, 2, 18, 4, 13, 6, 19, 8, 10, 5, 16, 12, 17, 14};
        assertThat(LatencyStats.measure(ms)).isEqualTo(new EvalMetrics.Latency(10.0, 19.0, 20));
        // 3 samples: p50 the 2nd, p95 the ⌈2.85⌉ = 3rd (the slowest)
        assertThat(LatencyStats.measure(new double[] {30, 10, 20})).isEqualTo(new EvalMetrics.Latency(20.0, 30.0, 3));
        assertThat(LatencyStats.measure(new double[0])).isEqualTo(new EvalMetrics.Latency(null, null, 0));
    }

    @Test
    void errorKindsAreCountedAndSorted() {
        assertThat(EvalMetrics.countErrors(List.of("timeout", "http_500", "timeout")))
                .containsExactly(java.util.Map.entry("http_500", 1), java.util.Map.entry("timeout", 2));
    }
}
