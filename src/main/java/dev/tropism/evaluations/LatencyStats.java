package dev.tropism.evaluations;

/**
 * Per-sample scoring latency: the median and the 95th percentile by nearest rank ({@link NearestRank}), so each is
 * a latency some sample actually had; with 20 samples p95 is the 19th slowest, with fewer than 20 the slowest.
 */
public final class LatencyStats {

    private LatencyStats() {
    }

    /** p50, p95 and count of {@code millis}; both percentiles are null when nothing was timed. */
    public static EvalMetrics.Latency measure(double[] millis) {
        for (int i = 0; i < millis.length; i++) {
            if (!Double.isFinite(millis[i]) || millis[i] < 0) {
                throw new IllegalArgumentException("latency " + i + " is " + millis[i] + " ms");
            }
        }
        if (millis.length == 0) {
            return new EvalMetrics.Latency(null, null, 0);
        }
        return new EvalMetrics.Latency(NearestRank.percentile(millis, 50), NearestRank.percentile(millis, 95),
                millis.length);
    }
}
