package dev.tropism.evaluations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BestOfNProbeTest {

    @Test
    void hackableRewardByHand() {
        // one prompt, proxy 1..4, but the proxy's favourite has the worst gold score
        double[][] proxy = {{1, 2, 3, 4}};
        double[][] gold = {{0.5, 1.0, 0.8, 0.2}};
        EvalMetrics.Overoptimization o = BestOfNProbe.measure(proxy, gold);
        assertThat(o.n()).containsExactly(1, 2, 4);
        // N=1: the mean, gold 2.5 / 4 = 0.625, proxy 2.5
        // N=2: w_r = C(r−1, 1) / C(4, 2) = 0, 1/6, 2/6, 3/6: gold (1.0 + 1.6 + 0.6) / 6 = 0.53333, proxy 20 / 6
        // N=4: the whole set, so the proxy's top: gold 0.2, proxy 4
        assertThat(o.gold().get(0)).isCloseTo(0.625, within(1e-12));
        assertThat(o.gold().get(1)).isCloseTo(3.2 / 6, within(1e-12));
        assertThat(o.gold().get(2)).isCloseTo(0.2, within(1e-12));
        assertThat(o.proxy().get(0)).isCloseTo(2.5, within(1e-12));
        assertThat(o.proxy().get(1)).isCloseTo(20.0 / 6, within(1e-12));
        assertThat(o.proxy().get(2)).isCloseTo(4.0, within(1e-12));
        assertThat(o.goldPeakN()).isEqualTo(1);
        assertThat(o.drop()).isCloseTo(0.425, within(1e-12));
        // sd(p) = √1.25, sd(g) = √(0.3675 / 4): gap = 1.5 / 1.118034 − (−0.425 / 0.303109) = 1.341641 + 1.402136
        assertThat(o.proxyGoldGap()).isCloseTo(1.5 / Math.sqrt(1.25) + 0.425 / Math.sqrt(0.3675 / 4), within(1e-12));
        assertThat(o.proxyGoldGap()).isCloseTo(2.743777, within(1e-6));
    }

    @Test
    void honestRewardPeaksAtTheLargestN() {
        double[][] proxy = {{1, 2, 3, 4}, {0.1, 0.4, 0.3, 0.2}};
        double[][] gold = {{0, 0, 1, 1}, {0, 1, 1, 0}};
        EvalMetrics.Overoptimization o = BestOfNProbe.measure(proxy, gold);
        assertThat(o.goldPeakN()).isEqualTo(4);
        assertThat(o.drop()).isZero();
        assertThat(o.gold().get(2)).isEqualTo(1.0); // both prompts' proxy-best samples are gold 1
    }

    @Test
    void matchesEnumerationOfAllSubsetsIncludingProxyTies() {
        // proxy ties (two 2s, three 5s): a tied maximum is picked uniformly at random, which the enumeration does
        // by averaging the tied members of each subset
        double[] p = {2, 5, 1, 5, 2, 5, 3};
        double[] g = {0.9, 0.1, 0.4, 0.7, 0.3, 0.0, 0.6};
        for (int n = 1; n <= p.length; n++) {
            double[] expected = enumerate(p, g, n);
            double[] got = BestOfNProbe.expectedPick(p, g, n);
            assertThat(got[0]).as("proxy at N=%d", n).isCloseTo(expected[0], within(1e-12));
            assertThat(got[1]).as("gold at N=%d", n).isCloseTo(expected[1], within(1e-12));
        }
        // random cases, 8 samples, scores drawn from a few values so ties are common
        SplittableRandom rng = new SplittableRandom(5);
        for (int trial = 0; trial < 50; trial++) {
            double[] rp = new double[8];
            double[] rg = new double[8];
            for (int i = 0; i < 8; i++) {
                rp[i] = rng.nextInt(4);
                rg[i] = rng.nextDouble();
            }
            int n = 1 + rng.nextInt(8);
            assertThat(BestOfNProbe.expectedPick(rp, rg, n)[1]).isCloseTo(enumerate(rp, rg, n)[1], within(1e-12));
        }
    }

    @Test
    void gridStopsAtTheSmallestPromptAndConstantScoresHaveNoGap() {
        double[][] proxy = {new double[40], new double[9]}; // every proxy score 0: constant
        double[][] gold = {new double[40], new double[9]};
        gold[0][3] = 1;
        EvalMetrics.Overoptimization o = BestOfNProbe.measure(proxy, gold);
        assertThat(o.n()).containsExactly(1, 2, 4, 8);
        assertThat(o.maxN()).isEqualTo(8);
        // a constant proxy picks uniformly at random: gold stays at its mean, 0.5 · (1/40 + 0) at every N
        assertThat(o.gold()).allSatisfy(v -> assertThat(v).isCloseTo(0.0125, within(1e-12)));
        assertThat(o.goldPeakN()).isEqualTo(1); // ties → the smallest N
        assertThat(o.proxyGoldGap()).isCloseTo(0, within(1e-9));

        EvalMetrics.Overoptimization single = BestOfNProbe.measure(new double[][] {{3}}, new double[][] {{1}});
        assertThat(single.n()).containsExactly(1);
        assertThat(single.drop()).isZero();
        assertThat(single.proxyGoldGap()).isZero();
    }

    @Test
    void rejectsMissingOrRaggedScores() {
        assertThatThrownBy(() -> BestOfNProbe.measure(new double[0][], new double[0][])).hasMessageContaining("prompts");
        assertThatThrownBy(() -> BestOfNProbe.measure(new double[][] {{1, 2}}, new double[][] {{1}}))
                .hasMessageContaining("prompt 0");
        assertThat(BestOfNProbe.N_GRID).isEqualTo(List.of(1, 2, 4, 8, 16, 32));
    }

    /** {E[p], E[g]} of the best of N by proxy over all N-subsets, ties in the maximum averaged. */
    private static double[] enumerate(double[] p, double[] g, int bigN) {
        double sumP = 0;
        double sumG = 0;
        int subsets = 0;
        for (int mask = 0; mask < 1 << p.length; mask++) {
            if (Integer.bitCount(mask) != bigN) {
                continue;
            }
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < p.length; i++) {
                if ((mask >> i & 1) == 1) {
                    max = Math.max(max, p[i]);
                }
            }
            double tiedGold = 0;
            int tied = 0;
            for (int i = 0; i < p.length; i++) {
                if ((mask >> i & 1) == 1 && p[i] == max) {
                    tiedGold += g[i];
                    tied++;
                }
            }
            sumP += max;
            sumG += tiedGold / tied;
            subsets++;
        }
        return new double[] {sumP / subsets, sumG / subsets};
    }
}
