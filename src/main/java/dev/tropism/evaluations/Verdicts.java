package dev.tropism.evaluations;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Checks a candidate's metrics (and the baseline's, for {@code max_regression}) against a suite's
 * {@link Thresholds}: one {@link ThresholdCheck} per threshold set, in the order of the {@code thresholds} object,
 * then {@code max_regression.<metric>} in {@link EvalMetrics.Metric} order. The verdict is passed when every check
 * passed (also when the suite sets none).
 *
 * <p>A threshold whose metric was not measured fails with "not measured: …": a gate that could not look must not
 * let a change through. {@code max_regression.<metric>} measures the worsening in the metric's direction (baseline
 * − candidate where higher is better, candidate − baseline where lower is) and passes when it is at most the
 * allowed amount; without a baseline it is not measured. Comparisons allow {@value #TOLERANCE} for the rounding of
 * differences, so a worsening of exactly the allowed 0.05 computed as 0.9 − 0.85 = 0.05000000000000004 passes.
 */
public final class Verdicts {

    /** Slack of every comparison, far below any meaningful threshold. */
    static final double TOLERANCE = 1e-9;

    private Verdicts() {
    }

    /** The checks and the verdict. */
    public record Result(EvalReport.Verdict verdict, List<ThresholdCheck> checks) {

        public Result {
            checks = List.copyOf(checks);
        }
    }

    /**
     * Checks {@code candidate} (and {@code baseline}, nullable) against {@code thresholds}.
     */
    public static Result evaluate(Thresholds thresholds, EvalMetrics candidate, EvalMetrics baseline) {
        List<ThresholdCheck> checks = new ArrayList<>();
        EvalMetrics.Pairwise pairwise = candidate.pairwise();
        if (thresholds.minPairwiseAccuracy() != null) {
            checks.add(pairwise == null
                    ? notMeasured(Thresholds.MIN_PAIRWISE_ACCURACY, thresholds.minPairwiseAccuracy(),
                            "the suite has no preference pairs")
                    : atLeast(Thresholds.MIN_PAIRWISE_ACCURACY, thresholds.minPairwiseAccuracy(), pairwise.accuracy(),
                            "pairwise accuracy", "95% CI " + Numbers.format(pairwise.ciLow()) + "–"
                                    + Numbers.format(pairwise.ciHigh()) + ", " + pairwise.pairs() + " pairs, "
                                    + pairwise.ties() + " ties"));
        }
        if (thresholds.maxEce() != null) {
            checks.add(candidate.ece() == null
                    ? notMeasured(Thresholds.MAX_ECE, thresholds.maxEce(), pairwise == null
                            ? "the suite has no preference pairs"
                            : "calibration needs a reward model's preference probabilities; the candidate is a reward spec")
                    : atMost(Thresholds.MAX_ECE, thresholds.maxEce(), candidate.ece(), "expected calibration error",
                            pairwise == null ? null : pairwise.pairs() + " pairs, 10 bins"));
        }
        if (thresholds.minGoldCorrelation() != null) {
            EvalMetrics.Gold gold = candidate.gold();
            checks.add(gold == null
                    ? notMeasured(Thresholds.MIN_GOLD_CORRELATION, thresholds.minGoldCorrelation(),
                            "the suite has no prompts with a gold judge")
                    : gold.spearman() == null
                            ? notMeasured(Thresholds.MIN_GOLD_CORRELATION, thresholds.minGoldCorrelation(),
                                    gold.undefinedReason())
                            : atLeast(Thresholds.MIN_GOLD_CORRELATION, thresholds.minGoldCorrelation(),
                                    gold.spearman(), "Spearman correlation with the gold judge", "Kendall τ-b "
                                            + Numbers.format(gold.kendall()) + ", " + gold.samples() + " samples"));
        }
        if (thresholds.maxOveroptimization() != null) {
            EvalMetrics.Overoptimization o = candidate.overoptimization();
            checks.add(o == null
                    ? notMeasured(Thresholds.MAX_OVEROPTIMIZATION, thresholds.maxOveroptimization(),
                            "the suite has no prompts with a gold judge")
                    : atMost(Thresholds.MAX_OVEROPTIMIZATION, thresholds.maxOveroptimization(), o.drop(),
                            "gold drop of the best-of-N pick", overoptimizationContext(o)));
        }
        if (thresholds.maxP95LatencyMs() != null) {
            EvalMetrics.Latency latency = candidate.latencyMs();
            checks.add(latency == null || latency.p95() == null
                    ? notMeasured(Thresholds.MAX_P95_LATENCY_MS, thresholds.maxP95LatencyMs(), "no sample was scored")
                    : atMost(Thresholds.MAX_P95_LATENCY_MS, thresholds.maxP95LatencyMs(), latency.p95(),
                            "p95 latency (ms)", "p50 " + Numbers.format(latency.p50()) + " ms, " + latency.samples()
                                    + " samples"));
        }
        for (EvalMetrics.Metric metric : EvalMetrics.Metric.values()) {
            Double allowed = thresholds.maxRegression().get(metric.key());
            if (allowed != null) {
                checks.add(regression(metric, allowed, candidate, baseline));
            }
        }
        boolean passed = checks.stream().allMatch(ThresholdCheck::passed);
        return new Result(passed ? EvalReport.Verdict.PASSED : EvalReport.Verdict.FAILED, checks);
    }

    private static ThresholdCheck regression(EvalMetrics.Metric metric, double allowed, EvalMetrics candidate,
            EvalMetrics baseline) {
        String name = Thresholds.MAX_REGRESSION + "." + metric.key();
        Double c = metric.of(candidate);
        Double b = metric.of(baseline);
        if (baseline == null) {
            return notMeasured(name, allowed, "the evaluation has no baseline to compare with");
        }
        if (c == null || b == null) {
            return notMeasured(name, allowed, metric.key() + " was not measured for the "
                    + (c == null && b == null ? "candidate nor the baseline" : c == null ? "candidate" : "baseline"));
        }
        double worsening = metric.higherIsBetter() ? b - c : c - b;
        boolean passed = worsening <= allowed + TOLERANCE;
        String comparison = metric.key() + " " + Numbers.format(c) + " against the baseline's " + Numbers.format(b) + ": ";
        String detail = worsening <= 0
                ? comparison + "no worse (" + (metric.higherIsBetter() ? "higher" : "lower") + " is better)"
                : comparison + "worse by " + Numbers.format(worsening) + (passed ? " ≤ " : " > ") + "allowed "
                        + Numbers.format(allowed);
        return new ThresholdCheck(name, allowed, worsening, passed, detail);
    }

    private static String overoptimizationContext(EvalMetrics.Overoptimization o) {
        Map<Integer, Double> gold = new java.util.LinkedHashMap<>();
        for (int k = 0; k < o.n().size(); k++) {
            gold.put(o.n().get(k), o.gold().get(k));
        }
        return "gold peaks at N=" + o.goldPeakN() + " (" + Numbers.format(gold.get(o.goldPeakN())) + ") and is "
                + Numbers.format(gold.get(o.maxN())) + " at N=" + o.maxN() + "; proxy−gold gap "
                + Numbers.format(o.proxyGoldGap()) + " sd";
    }

    private static ThresholdCheck atLeast(String name, double threshold, double value, String what, String context) {
        boolean passed = value >= threshold - TOLERANCE;
        return new ThresholdCheck(name, threshold, value, passed, sentence(what, value, passed ? " ≥ " : " < ",
                threshold, context));
    }

    private static ThresholdCheck atMost(String name, double threshold, double value, String what, String context) {
        boolean passed = value <= threshold + TOLERANCE;
        return new ThresholdCheck(name, threshold, value, passed, sentence(what, value, passed ? " ≤ " : " > ",
                threshold, context));
    }

    private static String sentence(String what, double value, String relation, double threshold, String context) {
        return what + " " + Numbers.format(value) + relation + Numbers.format(threshold)
                + (context == null ? "" : " (" + context + ")");
    }

    private static ThresholdCheck notMeasured(String name, double threshold, String reason) {
        return new ThresholdCheck(name, threshold, null, false, "not measured: " + reason);
    }
}
