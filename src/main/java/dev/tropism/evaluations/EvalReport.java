package dev.tropism.evaluations;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The report of one completed evaluation, as {@code GET /v1/evaluations/{id}/report?format=json} returns it
 * (serialized as-is, snake_case) and as {@link JunitReport}, {@link MarkdownReport} and {@link CurveChart} render it.
 *
 * @param evaluation the evaluation id ({@code eval_…})
 * @param suite the suite and version it was checked against
 * @param verdict passed when every check passed
 * @param checks one per threshold the suite sets ({@link Verdicts})
 * @param candidate what was measured of the candidate
 * @param baseline what was measured of the baseline, or null without one
 * @param deltas candidate − baseline for each flat metric measured on both sides (empty without a baseline)
 */
public record EvalReport(String evaluation, Suite suite, Verdict verdict, List<ThresholdCheck> checks,
        EvalMetrics candidate, EvalMetrics baseline, Map<String, Double> deltas) {

    public EvalReport {
        checks = List.copyOf(checks);
        deltas = Collections.unmodifiableMap(new LinkedHashMap<>(deltas));
    }

    /** The suite version an evaluation ran against. */
    public record Suite(String id, String name, int version) {
    }

    /** The outcome of a completed evaluation; {@code passed} or {@code failed} on the wire. */
    public enum Verdict {
        PASSED, FAILED;

        @JsonValue
        public String wire() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * Checks the metrics against the suite's thresholds ({@link Verdicts}) and takes the deltas: the report of a
     * completed evaluation.
     */
    public static EvalReport of(String evaluationId, Suite suite, Thresholds thresholds, EvalMetrics candidate,
            EvalMetrics baseline) {
        Verdicts.Result result = Verdicts.evaluate(thresholds, candidate, baseline);
        return new EvalReport(evaluationId, suite, result.verdict(), result.checks(), candidate, baseline,
                deltas(candidate, baseline));
    }

    /** candidate − baseline per flat metric measured on both sides, in {@link EvalMetrics.Metric} order. */
    public static Map<String, Double> deltas(EvalMetrics candidate, EvalMetrics baseline) {
        Map<String, Double> deltas = new LinkedHashMap<>();
        if (baseline != null) {
            Map<String, Double> b = baseline.flat();
            candidate.flat().forEach((metric, c) -> {
                if (b.containsKey(metric)) {
                    deltas.put(metric, c - b.get(metric));
                }
            });
        }
        return deltas;
    }

    /** The checks that failed, in order (the evaluation's {@code failed_thresholds}). */
    public List<ThresholdCheck> failedChecks() {
        return checks.stream().filter(c -> !c.passed()).toList();
    }
}
