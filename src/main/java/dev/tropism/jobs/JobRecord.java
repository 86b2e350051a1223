package dev.tropism.jobs;

import java.time.Instant;

/**
 * A row of {@code jobs}. {@code method}, {@code metadata}, {@code rewardOptions} and {@code debug} are JSON text; {@code control} is a pending
 * request ({@code cancel} or {@code pause}) that the training loop honours between two steps. {@code resources} (JSON) is
 * what it asks of its worker; {@code workerId} the node that trains (or last trained) it, {@code dispatcherId} the
 * node whose manager step launched it; {@code waitReason} why a queued job waits; {@code attempts} how many of its
 * workers were lost since its last checkpoint. {@code rewardSpecAlias} and {@code evalRewardSpecAlias}: the reward
 * aliases the request named, resolved at submission to {@code rewardSpec} and {@code evalRewardSpec} (null for ids).
 * {@code retention} (JSON): its {@link RetentionPolicy}, null when it keeps every checkpoint.
 */
public record JobRecord(
        long seq,
        String id,
        String teamId,
        JobStatus status,
        JobControl control,
        String model,
        String dataset,
        String evalDataset,
        String rewardSpec,
        String method,
        long seed,
        String suffix,
        String metadata,
        String errorCode,
        String errorMessage,
        String resultModel,
        int currentStep,
        Integer totalSteps,
        Instant createdAt,
        Instant startedAt,
        Instant finishedAt,
        Long batchJobExecutionId,
        String evalRewardSpec,
        String rewardOptions,
        String debug,
        String resources,
        String workerId,
        String dispatcherId,
        String waitReason,
        int attempts,
        String rewardSpecAlias,
        String evalRewardSpecAlias,
        String retention) {
}
