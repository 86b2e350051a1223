package dev.tropism.evaluations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class GoldCorrelationTest {

    @Test
    void spearmanAndKendallWithoutTies() {
        // d = rank differences (−1, 1, −1, 1, 0): ρ = 1 − 6 · 4 / (5 · 24) = 0.8
        // of 10 pairs, (1,2) and (3,4) are discordant: τ = (8 − 2) / 10 = 0.6
        EvalMetrics.Gold g = GoldCorrelation.measure(new double[] {1, 2, 3, 4, 5}, new double[] {2, 1, 4, 3, 5});
        assertThat(g.spearman()).isCloseTo(0.8, within(1e-12));
        assertThat(g.kendall()).isCloseTo(0.6, within(1e-12));
        assertThat(g.samples()).isEqualTo(5);
        assertThat(g.undefinedReason()).isNull();
    }

    @Test
    void tiesGetAverageRanksAndTauB() {
        // candidate ranks (1.5, 1.5, 3, 4) against (1, 2, 3, 4): deviations (−1, −1, .5, 1.5) and (−1.5, −.5, .5, 1.5),
        // ρ = 4.5 / √(4.5 · 5) = 0.948683; τ-b: 5 concordant, 0 discordant, 1 pair tied in the candidate only:
        // 5 / √((6 − 1)(6 − 0)) = 0.912871
        EvalMetrics.Gold g = GoldCorrelation.measure(new double[] {1, 1, 2, 3}, new double[] {1, 2, 3, 4});
        assertThat(g.spearman()).isCloseTo(4.5 / Math.sqrt(22.5), within(1e-12));
        assertThat(g.kendall()).isCloseTo(5 / Math.sqrt(30), within(1e-12));
    }

    @Test
    void undefinedCasesAreNullWithTheReasonNotNaN() {
        EvalMetrics.Gold one = GoldCorrelation.measure(new double[] {1}, new double[] {0});
        assertThat(one.spearman()).isNull();
        assertThat(one.kendall()).isNull();
        assertThat(one.undefinedReason()).contains("at least 2");

        EvalMetrics.Gold flatCandidate = GoldCorrelation.measure(new double[] {3, 3, 3}, new double[] {0, 1, 0});
        assertThat(flatCandidate.spearman()).isNull();
        assertThat(flatCandidate.undefinedReason()).contains("candidate gave all 3 samples the same score");

        EvalMetrics.Gold flatGold = GoldCorrelation.measure(new double[] {1, 2, 3}, new double[] {1, 1, 1});
        assertThat(flatGold.kendall()).isNull();
        assertThat(flatGold.undefinedReason()).contains("gold judge");
    }
}
