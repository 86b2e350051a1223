package dev.tropism.dryruns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.tropism.engine.RewardError;
import dev.tropism.engine.RewardResult;
import dev.tropism.engine.lm.LmDryRun;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The dry-run report's numbers against values computed by hand. */
class DryRunReportTest {

    private static LmDryRun.Scored scored(int prompt, double reward, Map<String, Double> sub, List<RewardError> errors,
            int tokens, boolean truncated) {
        return new LmDryRun.Scored(Map.of("prompt", "p" + prompt), "out" + prompt + "-" + reward, tokens, truncated,
                new RewardResult(reward, sub, errors));
    }

    /**
     * Two prompts × G = 4: total rewards 0 1 1 1 | 0 0 0 0. Mean 3/8; sample variance
     * (3·0.625² + 5·0.375²) / 7 = 1.875 / 7; the second group is constant.
     */
    private static LmDryRun.Result twoGroups() {
        double[] r = {0, 1, 1, 1, 0, 0, 0, 0};
        List<LmDryRun.Scored> s = new ArrayList<>();
        for (int i = 0; i < r.length; i++) {
            Map<String, Double> sub = i < 2 ? Map.of("exact", r[i], "len", 0.5 * i) : Map.of("exact", r[i]);
            List<RewardError> errors = switch (i) {
                case 4 -> List.of(new RewardError("missing_field", "exact: item has no 'answer'"),
                        new RewardError("non_finite", "score was NaN"));
                case 5 -> List.of(new RewardError("missing_field", "exact: second"));
                default -> List.of();
            };
            s.add(scored(i / 4, r[i], sub, errors, i + 1, i % 2 == 0));
        }
        return new LmDryRun.Result(s, 4, 1.5, 0.25, 2.0);
    }

    @Test
    void totalRewardStatisticsAndHistogram() {
        DryRunReport report = DryRunReport.of(twoGroups());
        assertThat(report.prompts()).isEqualTo(2);
        assertThat(report.samplesPerPrompt()).isEqualTo(4);
        assertThat(report.samples()).isEqualTo(8);
        DryRunReport.Distribution reward = report.reward();
        assertThat(reward.count()).isEqualTo(8);
        assertThat(reward.mean()).isCloseTo(0.375, within(1e-12));
        assertThat(reward.std()).isCloseTo(Math.sqrt(1.875 / 7), within(1e-12));
        assertThat(reward.min()).isZero();
        assertThat(reward.max()).isEqualTo(1.0);
        double[] edges = reward.histogram().binEdges();
        int[] counts = reward.histogram().counts();
        assertThat(edges).hasSize(DryRunReport.BINS + 1);
        assertThat(counts).hasSize(DryRunReport.BINS);
        assertThat(edges[0]).isZero();
        assertThat(edges[10]).isCloseTo(0.5, within(1e-12));
        assertThat(edges[20]).isEqualTo(1.0);
        assertThat(counts[0]).isEqualTo(5);
        assertThat(counts[19]).isEqualTo(3); // the last bin is closed: it holds max
        assertThat(java.util.Arrays.stream(counts).sum()).isEqualTo(8);
    }

    @Test
    void componentsAreCountedOverTheSamplesThatReportThem() {
        DryRunReport report = DryRunReport.of(twoGroups());
        assertThat(report.components()).containsOnlyKeys("exact", "len");
        DryRunReport.Distribution exact = report.components().get("exact");
        assertThat(exact.count()).isEqualTo(8);
        assertThat(exact.mean()).isCloseTo(0.375, within(1e-12));
        DryRunReport.Distribution len = report.components().get("len");
        assertThat(len.count()).isEqualTo(2); // values 0 and 0.5
        assertThat(len.mean()).isCloseTo(0.25, within(1e-12));
        assertThat(len.std()).isCloseTo(Math.sqrt(0.125), within(1e-12)); // ((0.25² + 0.25²) / 1)^½
    }

    @Test
    void zeroVarianceGroupsErrorsCompletionsAndTimings() {
        DryRunReport report = DryRunReport.of(twoGroups());
        assertThat(report.zeroVarianceGroups()).isEqualTo(1);
        assertThat(report.zeroVarianceGroupFraction()).isEqualTo(0.5);
        assertThat(report.warnings()).isEmpty();
        assertThat(report.errorsByKind()).containsExactly(Map.entry("missing_field", 2), Map.entry("non_finite", 1));
        assertThat(report.errorExamples()).containsEntry("missing_field", "exact: item has no 'answer'");
        assertThat(report.samplesWithErrors()).isEqualTo(2);
        assertThat(report.completions().meanTokens()).isCloseTo(4.5, within(1e-12)); // (1 + … + 8) / 8
        assertThat(report.completions().truncatedFraction()).isEqualTo(0.5);
        assertThat(report.timings().samplingSeconds()).isEqualTo(1.5);
        assertThat(report.timings().scoringSeconds()).isEqualTo(0.25);
        assertThat(report.timings().samplesPerSecond()).isEqualTo(4.0);
    }

    @Test
    void examplesAtTheLowMedianAndHighEnd() {
        // Sorted by reward (ties in sampling order): 0 4 5 6 7 | 1 2 3. Lower median of 8 is rank 3.
        DryRunReport.Examples ex = DryRunReport.of(twoGroups()).examples();
        assertThat(ex.low()).extracting(DryRunReport.Example::output).containsExactly("out0-0.0", "out1-0.0", "out1-0.0");
        assertThat(ex.low().get(1).errors()).hasSize(2); // sample 4 carries its errors
        assertThat(ex.median()).extracting(DryRunReport.Example::reward).containsExactly(0.0, 0.0, 0.0);
        assertThat(ex.high()).extracting(DryRunReport.Example::reward).containsExactly(1.0, 1.0, 1.0);
        assertThat(ex.high().get(0).subRewards()).containsEntry("exact", 1.0).containsEntry("len", 0.5);
        assertThat(ex.high().get(0).item()).containsEntry("prompt", "p0");
    }

    @Test
    void medianExamplesAreCentredOnTheLowerMedian() {
        List<LmDryRun.Scored> s = new ArrayList<>();
        for (int i = 0; i < 9; i++) { // rewards 8, 7, …, 0: the median is 4
            s.add(scored(i, 8 - i, Map.of(), List.of(), 1, false));
        }
        DryRunReport.Examples ex = DryRunReport.of(new LmDryRun.Result(s, 1, 0, 0, 0)).examples();
        assertThat(ex.low()).extracting(DryRunReport.Example::reward).containsExactly(0.0, 1.0, 2.0);
        assertThat(ex.median()).extracting(DryRunReport.Example::reward).containsExactly(3.0, 4.0, 5.0);
        assertThat(ex.high()).extracting(DryRunReport.Example::reward).containsExactly(6.0, 7.0, 8.0);
    }

    @Test
    void constantRewardsHaveOneBinAndEveryGroupHasZeroVariance() {
        List<LmDryRun.Scored> s = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            s.add(scored(i / 3, 1.0, Map.of("always", 1.0), List.of(), 2, false));
        }
        DryRunReport report = DryRunReport.of(new LmDryRun.Result(s, 3, 0, 0, 0));
        assertThat(report.reward().mean()).isEqualTo(1.0);
        assertThat(report.reward().std()).isZero();
        assertThat(report.reward().histogram().binEdges()).containsExactly(1.0, 1.0);
        assertThat(report.reward().histogram().counts()).containsExactly(6);
        assertThat(report.zeroVarianceGroupFraction()).isEqualTo(1.0);
        assertThat(report.zeroVarianceGroups()).isEqualTo(2);
        assertThat(report.timings().samplesPerSecond()).isZero(); // no time measured: no rate
        assertThat(report.warnings()).singleElement().satisfies(w -> {
            assertThat(w.code()).isEqualTo("no_learning_signal");
            assertThat(w.message()).startsWith("100% of the prompt groups");
            assertThat(w.cures()).hasSize(4);
        });
    }

    @Test
    void histogramBinsAreHalfOpenExceptTheLast() {
        // 4 bins over [0, 1]: edges 0, .25, .5, .75, 1. 0.5 sits on an edge and goes up; 1 goes in the last bin.
        DryRunReport.Histogram h = DryRunReport.histogram(new double[] {0, 0.25, 0.5, 0.74, 1.0}, 0, 1, 4);
        assertThat(h.binEdges()).containsExactly(0, 0.25, 0.5, 0.75, 1.0);
        assertThat(h.counts()).containsExactly(1, 1, 2, 1);
        // Edges that are not exact binary fractions: each value lands in the bin its published edges bound.
        double[] values = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7};
        DryRunReport.Histogram t = DryRunReport.histogram(values, 0.1, 0.7, 6);
        int[] expected = new int[6];
        for (double v : values) {
            int b = 5;
            while (b > 0 && v < t.binEdges()[b]) {
                b--;
            }
            expected[b]++;
        }
        assertThat(t.counts()).as("counts for edges %s", java.util.Arrays.toString(t.binEdges())).containsExactly(expected);
        assertThat(java.util.Arrays.stream(t.counts()).sum()).isEqualTo(values.length);
    }
}
