package dev.tropism.evaluations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class PairwiseBootstrapTest {

    @Test
    void accuracyCountsTiesAsHalfAndCountsThem() {
        // margins: 2 right, 1 wrong, 1 tie → (2 + 0.5) / 4 = 0.625
        EvalMetrics.Pairwise p = PairwiseBootstrap.measure(new double[] {1.5, 0.2, -0.7, 0.0}, 7);
        assertThat(p.accuracy()).isEqualTo(0.625);
        assertThat(p.pairs()).isEqualTo(4);
        assertThat(p.ties()).isEqualTo(1);
        assertThat(p.ciLow()).isLessThanOrEqualTo(p.accuracy());
        assertThat(p.ciHigh()).isGreaterThanOrEqualTo(p.accuracy());
    }

    @Test
    void intervalMatchesTheNormalApproximationOnManyPairs() {
        // 300 right, 100 wrong: accuracy 0.75, standard error √(0.75 · 0.25 / 400) = 0.02165, so the 95 % interval
        // is about 0.75 ± 1.96 · 0.02165 = [0.7076, 0.7924]; a 1000-resample percentile bootstrap lands within ~0.01
        double[] margins = new double[400];
        for (int i = 0; i < margins.length; i++) {
            margins[i] = i % 4 == 3 ? -1 : 1;
        }
        EvalMetrics.Pairwise p = PairwiseBootstrap.measure(margins, 42);
        assertThat(p.accuracy()).isEqualTo(0.75);
        assertThat(p.ciLow()).isCloseTo(0.7076, within(0.01));
        assertThat(p.ciHigh()).isCloseTo(0.7924, within(0.01));
        // the bounds are accuracies of resamples of 400 pairs: multiples of 1/400
        assertThat(p.ciLow() * 400).isCloseTo(Math.rint(p.ciLow() * 400), within(1e-9));
    }

    @Test
    void seededAndDegenerate() {
        double[] margins = {0.3, -0.1, 0.8, 0.9, -2, 0.4, 0.0, 1.1};
        assertThat(PairwiseBootstrap.measure(margins, 3)).isEqualTo(PairwiseBootstrap.measure(margins, 3));
        // every pair right: every resample is 1, so is the interval
        EvalMetrics.Pairwise all = PairwiseBootstrap.measure(new double[] {1, 2, 3}, 1);
        assertThat(all).isEqualTo(new EvalMetrics.Pairwise(1, 1, 1, 3, 0));
    }

    @Test
    void rejectsNoPairsAndNonFiniteMargins() {
        assertThatThrownBy(() -> PairwiseBootstrap.measure(new double[0], 1)).hasMessageContaining("at least one pair");
        assertThatThrownBy(() -> PairwiseBootstrap.measure(new double[] {1, Double.NaN}, 1))
                .hasMessageContaining("pair 1");
    }
}
