package dev.tropism.evaluations;

import java.time.Instant;

/**
 * One evaluation's row.
 *
 * @param candidate what is measured, resolved at submission
 * @param baseline what it is compared with (the request's or the suite's, resolved at submission), or null
 * @param failedThresholds JSON array of the failed checks, or null until completed
 * @param report the JSON report, or null until completed
 */
record Evaluation(long seq, String id, String teamId, String suiteId, RewardRefs.Ref candidate, RewardRefs.Ref baseline,
        EvaluationStatus status, String verdict, String failedThresholds, String phase, int progressDone,
        int progressTotal, boolean cancelRequested, String claimedBy, Instant heartbeatAt, int attempts,
        String errorCode, String errorMessage, String report, Instant createdAt, Instant startedAt,
        Instant finishedAt) {
}
