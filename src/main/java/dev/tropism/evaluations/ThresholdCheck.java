package dev.tropism.evaluations;

/**
 * One threshold of a suite checked against one evaluation: a JUnit test case, a row of the Markdown report, and
 * (when it failed) an entry of the evaluation's {@code failed_thresholds}.
 *
 * @param name the threshold, e.g. {@code min_gold_correlation} or {@code max_regression.pairwise_accuracy}
 * @param threshold the suite's bound
 * @param value what was measured (for {@code max_regression.*}, the worsening against the baseline), or null when
 *     it was not measured, in which case the check fails
 * @param passed whether the value is within the bound
 * @param detail one readable sentence: the comparison and its context, or "not measured: …" with the reason
 */
public record ThresholdCheck(String name, double threshold, Double value, boolean passed, String detail) {
}
