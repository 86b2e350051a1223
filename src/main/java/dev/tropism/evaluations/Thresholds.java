package dev.tropism.evaluations;

import dev.tropism.engine.ConfigException;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * A suite's pass/fail thresholds ({@code thresholds} of {@code POST /v1/eval-suites}); each is optional (null = not
 * checked). Bound from snake_case JSON; a bad value fails construction with a {@link ConfigException} naming the
 * field, which the web layer turns into a 422 with the pointer {@code /thresholds/<field>}.
 *
 * @param minPairwiseAccuracy least pairwise accuracy on the suite's preference pairs, in [0, 1]
 * @param maxEce largest expected calibration error, in [0, 1] (reward models only: a reward spec has no margin
 *     probability, so the check fails as "not measured" for a spec candidate)
 * @param minGoldCorrelation least Spearman correlation with the gold judge on the policy's samples, in [−1, 1]
 * @param maxOveroptimization largest gold drop of the best-of-N probe (max gold − gold at the largest N), in gold
 *     score units, ≥ 0
 * @param maxP95LatencyMs largest 95th-percentile scoring latency of one sample, in milliseconds, &gt; 0
 * @param maxRegression per flat metric ({@link EvalMetrics.Metric}), the largest allowed worsening against the
 *     baseline in that metric's direction, ≥ 0; empty for none
 */
public record Thresholds(Double minPairwiseAccuracy, Double maxEce, Double minGoldCorrelation, Double maxOveroptimization,
        Double maxP95LatencyMs, Map<String, Double> maxRegression) {

    public static final String MIN_PAIRWISE_ACCURACY = "min_pairwise_accuracy";
    public static final String MAX_ECE = "max_ece";
    public static final String MIN_GOLD_CORRELATION = "min_gold_correlation";
    public static final String MAX_OVEROPTIMIZATION = "max_overoptimization";
    public static final String MAX_P95_LATENCY_MS = "max_p95_latency_ms";
    public static final String MAX_REGRESSION = "max_regression";

    /** No thresholds: every evaluation passes. */
    public static final Thresholds NONE = new Thresholds(null, null, null, null, null, null);

    public Thresholds {
        within(MIN_PAIRWISE_ACCURACY, minPairwiseAccuracy, 0, 1, "a share of pairs from 0 to 1");
        within(MAX_ECE, maxEce, 0, 1, "an expected calibration error from 0 to 1");
        within(MIN_GOLD_CORRELATION, minGoldCorrelation, -1, 1, "a Spearman correlation from -1 to 1");
        within(MAX_OVEROPTIMIZATION, maxOveroptimization, 0, Double.MAX_VALUE,
                "a drop of the gold score (≥ 0, in the gold judge's units)");
        if (maxP95LatencyMs != null && !(maxP95LatencyMs > 0 && Double.isFinite(maxP95LatencyMs))) {
            throw new ConfigException(MAX_P95_LATENCY_MS, "must be a number of milliseconds > 0, got " + maxP95LatencyMs);
        }
        Map<String, Double> regression = new TreeMap<>();
        if (maxRegression != null) {
            for (Map.Entry<String, Double> e : maxRegression.entrySet()) {
                String field = MAX_REGRESSION + "/" + e.getKey();
                if (EvalMetrics.Metric.byKey(e.getKey()).isEmpty()) {
                    throw new ConfigException(field, "is not a metric; use one of " + EvalMetrics.Metric.keys());
                }
                if (e.getValue() == null || !(e.getValue() >= 0 && Double.isFinite(e.getValue()))) {
                    throw new ConfigException(field, "must be the allowed worsening against the baseline, a number ≥ 0 "
                            + "(0 = no worse than the baseline), got " + e.getValue());
                }
                regression.put(e.getKey(), e.getValue());
            }
        }
        maxRegression = Collections.unmodifiableMap(regression);
    }

    private static void within(String field, Double value, double low, double high, String what) {
        if (value != null && !(value >= low && value <= high)) {
            throw new ConfigException(field, "must be " + what + ", got " + value);
        }
    }
}
