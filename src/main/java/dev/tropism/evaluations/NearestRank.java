package dev.tropism.evaluations;

import org.apache.commons.math3.stat.descriptive.rank.Percentile;

/**
 * The nearest-rank percentile: the smallest value with at least p % of the values at or below it, i.e. the
 * ⌈p/100 · n⌉-th smallest. It is always one of the observed values (no interpolation), which is what a latency
 * percentile and a percentile-bootstrap bound conventionally report. This is estimator R-1 of Hyndman &amp; Fan
 * (1996), "Sample Quantiles in Statistical Packages", computed by commons-math3's {@link Percentile}.
 */
final class NearestRank {

    private NearestRank() {
    }

    /** The nearest-rank {@code percent} percentile (0 &lt; percent ≤ 100) of a non-empty array. */
    static double percentile(double[] values, double percent) {
        if (values.length == 0) {
            throw new IllegalArgumentException("a percentile of no values");
        }
        return new Percentile().withEstimationType(Percentile.EstimationType.R_1).evaluate(values, percent);
    }
}
