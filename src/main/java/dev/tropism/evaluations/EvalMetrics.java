package dev.tropism.evaluations;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * What one evaluation measured of one reward (the candidate or the baseline): the {@code Metrics} object of the
 * JSON report. Serialized as-is by the application's snake_case mapper ({@code ciLow} → {@code ci_low},
 * {@code latencyMs} → {@code latency_ms}); a part that was not measured is null.
 *
 * @param pairwise accuracy on the suite's held-out preference pairs ({@link PairwiseBootstrap}); null without
 *     preferences
 * @param ece expected calibration error of σ(margin) on those pairs
 *     ({@link dev.tropism.engine.rm.PairwiseMetrics#expectedCalibrationError}); reward models only, else null
 * @param gold rank correlation with the gold judge on the policy's samples ({@link GoldCorrelation}); null without
 *     prompts
 * @param overoptimization the best-of-N probe ({@link BestOfNProbe}); null without prompts
 * @param latencyMs per-sample scoring latency ({@link LatencyStats})
 * @param errors how many samples failed to score, by error kind (sorted by kind)
 */
public record EvalMetrics(Pairwise pairwise, Double ece, Gold gold, Overoptimization overoptimization, Latency latencyMs,
        Map<String, Integer> errors) {

    public EvalMetrics {
        errors = errors == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(errors));
    }

    /**
     * Pairwise accuracy with its percentile-bootstrap confidence interval.
     *
     * @param accuracy share of pairs where the chosen response scores higher; a tie counts one half
     * @param ciLow lower end of the 95 % bootstrap interval of the accuracy
     * @param ciHigh upper end of it
     * @param pairs how many pairs were scored
     * @param ties how many of them scored the chosen and the rejected response the same
     */
    public record Pairwise(double accuracy, double ciLow, double ciHigh, int pairs, int ties) {
    }

    /**
     * Rank correlation between the candidate's and the gold judge's scores of the same samples.
     *
     * @param spearman Spearman's ρ (average ranks for ties), or null when undefined
     * @param kendall Kendall's τ-b, or null when undefined
     * @param samples how many samples both scored
     * @param undefinedReason why the correlations are null (fewer than 2 samples, constant scores); absent from
     *     the JSON when they are defined
     */
    public record Gold(Double spearman, Double kendall, int samples,
            @JsonInclude(JsonInclude.Include.NON_NULL) String undefinedReason) {

        /** Both correlations defined. */
        public Gold(double spearman, double kendall, int samples) {
            this(Double.valueOf(spearman), Double.valueOf(kendall), samples, null);
        }

        /** Neither correlation defined, with the reason. */
        static Gold undefined(int samples, String reason) {
            return new Gold(null, null, samples, reason);
        }
    }

    /**
     * The best-of-N over-optimization curve: the expected proxy (candidate) and gold score of the sample the
     * candidate picks as the best of N, for each N of {@link BestOfNProbe#N_GRID} up to the samples per prompt.
     *
     * @param n the N of each point, ascending from 1
     * @param proxy the candidate's expected score of its best-of-N pick at each N
     * @param gold the gold judge's expected score of that pick at each N
     * @param goldPeakN the N where the gold curve is highest (the smallest such N on ties)
     * @param drop how far gold falls from its peak to the last N: max(gold) − gold(N_max), ≥ 0
     * @param proxyGoldGap the proxy's rise minus the gold's rise from N = 1 to N_max, each in standard deviations of
     *     its scores over all samples
     */
    public record Overoptimization(List<Integer> n, List<Double> proxy, List<Double> gold, int goldPeakN, double drop,
            double proxyGoldGap) {

        public Overoptimization {
            n = List.copyOf(n);
            proxy = List.copyOf(proxy);
            gold = List.copyOf(gold);
            if (n.isEmpty() || proxy.size() != n.size() || gold.size() != n.size()) {
                throw new IllegalArgumentException("the curve needs one proxy and one gold value per N, got "
                        + n.size() + " N, " + proxy.size() + " proxy and " + gold.size() + " gold values");
            }
        }

        /** The largest N measured. */
        public int maxN() {
            return n.get(n.size() - 1);
        }
    }

    /**
     * Scoring latency of one sample, in milliseconds, by nearest rank ({@link LatencyStats}).
     *
     * @param p50 median, or null when nothing was timed
     * @param p95 95th percentile, or null when nothing was timed
     * @param samples how many samples were timed
     */
    public record Latency(Double p50, Double p95, int samples) {
    }

    /**
     * The flat metric names of deltas and {@code max_regression} keys, each with its direction and where it is in
     * {@link EvalMetrics}.
     */
    public enum Metric {
        PAIRWISE_ACCURACY("pairwise_accuracy", true, m -> m.pairwise() == null ? null : m.pairwise().accuracy()),
        ECE("ece", false, EvalMetrics::ece),
        GOLD_SPEARMAN("gold_spearman", true, m -> m.gold() == null ? null : m.gold().spearman()),
        GOLD_KENDALL("gold_kendall", true, m -> m.gold() == null ? null : m.gold().kendall()),
        /** The gold drop of the best-of-N probe, what {@code max_overoptimization} bounds. */
        OVEROPTIMIZATION("overoptimization", false,
                m -> m.overoptimization() == null ? null : m.overoptimization().drop()),
        P95_LATENCY_MS("p95_latency_ms", false, m -> m.latencyMs() == null ? null : m.latencyMs().p95());

        private final String key;
        private final boolean higherIsBetter;
        private final Function<EvalMetrics, Double> value;

        Metric(String key, boolean higherIsBetter, Function<EvalMetrics, Double> value) {
            this.key = key;
            this.higherIsBetter = higherIsBetter;
            this.value = value;
        }

        /** The wire name, e.g. {@code pairwise_accuracy}. */
        public String key() {
            return key;
        }

        public boolean higherIsBetter() {
            return higherIsBetter;
        }

        /** This metric's value in {@code metrics}, or null when it was not measured. */
        public Double of(EvalMetrics metrics) {
            return metrics == null ? null : value.apply(metrics);
        }

        public static Optional<Metric> byKey(String key) {
            return Arrays.stream(values()).filter(m -> m.key.equals(key)).findFirst();
        }

        /** The wire names, comma-separated, for error messages. */
        public static String keys() {
            return Arrays.stream(values()).map(Metric::key).collect(Collectors.joining(", "));
        }
    }

    /** The measured flat metrics by wire name, in {@link Metric} order; those not measured are left out. */
    public Map<String, Double> flat() {
        Map<String, Double> flat = new LinkedHashMap<>();
        for (Metric m : Metric.values()) {
            Double v = m.of(this);
            if (v != null) {
                flat.put(m.key(), v);
            }
        }
        return flat;
    }

    /**
     * Whether a larger value of the flat metric is better.
     *
     * @throws IllegalArgumentException for a name that is not a flat metric
     */
    public static boolean higherIsBetter(String metric) {
        return Metric.byKey(metric).orElseThrow(() -> new IllegalArgumentException(
                "unknown metric '" + metric + "'; one of " + Metric.keys())).higherIsBetter();
    }

    /** How many times each error kind occurs in {@code kinds} (one entry per failed sample), sorted by kind. */
    public static Map<String, Integer> countErrors(Collection<String> kinds) {
        Map<String, Integer> counts = new TreeMap<>();
        for (String kind : kinds) {
            counts.merge(kind, 1, Integer::sum);
        }
        return counts;
    }
}
