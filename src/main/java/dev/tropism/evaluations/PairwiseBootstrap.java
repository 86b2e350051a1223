package dev.tropism.evaluations;

import dev.tropism.engine.rm.PairwiseMetrics;
import java.util.SplittableRandom;

/**
 * Pairwise accuracy of a reward on held-out preference pairs, with a percentile bootstrap confidence interval.
 *
 * <p>Input: the margins m = r(chosen) − r(rejected), one per pair. The accuracy is
 * {@link PairwiseMetrics#accuracy} (a tie, m = 0, counts one half). The interval is the percentile bootstrap of
 * Efron &amp; Tibshirani (1993, "An Introduction to the Bootstrap", §13.3): draw B resamples of the pairs with
 * replacement, compute the accuracy of each, and take the (1 − c)/2 and (1 + c)/2 quantiles of the B accuracies
 * ({@link NearestRank}). The resampling is seeded, so an evaluation reports the same interval every time.
 */
public final class PairwiseBootstrap {

    /** Bootstrap resamples B: 1000 puts the 2.5 % and 97.5 % bounds on the 25th and 975th resample. */
    public static final int RESAMPLES = 1000;

    /** Confidence level c of the interval. */
    public static final double CONFIDENCE = 0.95;

    private PairwiseBootstrap() {
    }

    /** {@link #measure(double[], long, int, double)} with {@value #RESAMPLES} resamples at 95 %. */
    public static EvalMetrics.Pairwise measure(double[] margins, long seed) {
        return measure(margins, seed, RESAMPLES, CONFIDENCE);
    }

    /**
     * The accuracy over {@code margins}, its bootstrap interval and the count of ties (m = 0).
     *
     * @throws IllegalArgumentException without margins, with a non-finite one, or with B &lt; 1 or c outside (0, 1)
     */
    public static EvalMetrics.Pairwise measure(double[] margins, long seed, int resamples, double confidence) {
        if (margins.length == 0) {
            throw new IllegalArgumentException("pairwise accuracy needs at least one pair");
        }
        if (resamples < 1 || !(confidence > 0 && confidence < 1)) {
            throw new IllegalArgumentException("resamples must be ≥ 1 and confidence in (0, 1), got " + resamples
                    + " and " + confidence);
        }
        int ties = 0;
        for (int i = 0; i < margins.length; i++) {
            if (!Double.isFinite(margins[i])) {
                throw new IllegalArgumentException("margin of pair " + i + " is " + margins[i]);
            }
            if (margins[i] == 0) {
                ties++;
            }
        }
        double accuracy = PairwiseMetrics.accuracy(margins);
        SplittableRandom rng = new SplittableRandom(seed);
        double[] resample = new double[margins.length];
        double[] accuracies = new double[resamples]; // the bootstrap distribution of the accuracy
        for (int b = 0; b < resamples; b++) {
            for (int i = 0; i < resample.length; i++) {
                resample[i] = margins[rng.nextInt(margins.length)];
            }
            accuracies[b] = PairwiseMetrics.accuracy(resample);
        }
        double alpha = 1 - confidence;
        return new EvalMetrics.Pairwise(accuracy, NearestRank.percentile(accuracies, 100 * alpha / 2),
                NearestRank.percentile(accuracies, 100 * (1 - alpha / 2)), margins.length, ties);
    }
}
