package dev.tropism.evaluations;

import java.util.List;

/**
 * An evaluation ended: completed with a verdict, failed with an error, or cancelled. Published inside the
 * transaction that records its final state, so a synchronous listener (the outbound webhooks' outbox) commits with
 * it.
 *
 * @param status {@code completed}, {@code failed} or {@code cancelled}
 * @param verdict {@code passed} or {@code failed} when completed, else null
 * @param failedThresholds the names of the thresholds that failed (empty unless the verdict is failed)
 * @param candidateId the resolved candidate (a reward spec or reward model id)
 * @param candidateAlias the alias the candidate was given as, or null
 */
public record EvaluationCompleted(String evaluationId, String teamId, String suiteId, String suiteName, int suiteVersion,
        String status, String verdict, List<String> failedThresholds, String candidateId, String candidateAlias) {
}
