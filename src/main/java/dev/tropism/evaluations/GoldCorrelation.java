package dev.tropism.evaluations;

import org.apache.commons.math3.stat.correlation.KendallsCorrelation;
import org.apache.commons.math3.stat.correlation.SpearmansCorrelation;

/**
 * How well the candidate orders the policy's samples the way the gold judge does: Spearman's rank correlation ρ
 * (Pearson's correlation of the ranks, tied values sharing their average rank; Spearman 1904) and Kendall's τ-b
 * ((concordant − discordant) / √((n₀ − n₁)(n₀ − n₂)) over the n₀ = n(n − 1)/2 pairs, n₁ and n₂ the pairs tied in
 * either score; Kendall 1945, "The Treatment of Ties in Ranking Problems"), both by commons-math3.
 *
 * <p>Both are undefined with fewer than two samples or when either side gives every sample the same score (a
 * reward that cannot rank is not "uncorrelated"; its ρ is 0/0). They come back null with the reason, never NaN, so
 * the JSON stays valid and a {@code min_gold_correlation} threshold fails with "not measured: …".
 */
public final class GoldCorrelation {

    private GoldCorrelation() {
    }

    /**
     * Spearman and Kendall correlation of {@code candidate[i]} with {@code gold[i]} over the samples both scored.
     *
     * @throws IllegalArgumentException when the lengths differ or a score is not finite (leave failed samples out)
     */
    public static EvalMetrics.Gold measure(double[] candidate, double[] gold) {
        if (candidate.length != gold.length) {
            throw new IllegalArgumentException("candidate and gold scores must pair up, got " + candidate.length
                    + " and " + gold.length);
        }
        int n = candidate.length;
        for (int i = 0; i < n; i++) {
            if (!Double.isFinite(candidate[i]) || !Double.isFinite(gold[i])) {
                throw new IllegalArgumentException("sample " + i + " has a non-finite score (candidate " + candidate[i]
                        + ", gold " + gold[i] + ")");
            }
        }
        if (n < 2) {
            return EvalMetrics.Gold.undefined(n, "rank correlation needs at least 2 scored samples, got " + n);
        }
        if (constant(candidate)) {
            return EvalMetrics.Gold.undefined(n, "the candidate gave all " + n + " samples the same score ("
                    + candidate[0] + "), so it ranks nothing");
        }
        if (constant(gold)) {
            return EvalMetrics.Gold.undefined(n, "the gold judge gave all " + n + " samples the same score ("
                    + gold[0] + "), so there is no order to agree with");
        }
        return new EvalMetrics.Gold(new SpearmansCorrelation().correlation(candidate, gold),
                new KendallsCorrelation().correlation(candidate, gold), n);
    }

    private static boolean constant(double[] values) {
        for (double v : values) {
            if (v != values[0]) {
                return false;
            }
        }
        return true;
    }
}
