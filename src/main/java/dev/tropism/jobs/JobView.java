package dev.tropism.jobs;

import com.fasterxml.jackson.annotation.JsonRawValue;
import dev.tropism.billing.Spend;
import java.math.BigDecimal;
import java.time.Instant;

/**
 * A job as the API shows it. {@code rewardSpecAlias} and {@code evalRewardSpecAlias}: the alias the request named for
 * {@code reward_spec} and {@code eval_reward_spec}, resolved at submission to the ids shown (null for an id).
 * {@code retention}: the job's checkpoint retention with every default spelled out, null when it keeps every checkpoint.
 */
public record JobView(
        String id,
        String object,
        String status,
        String model,
        String dataset,
        String evalDataset,
        String rewardSpec,
        String evalRewardSpec,
        String rewardSpecAlias,
        String evalRewardSpecAlias,
        @JsonRawValue String rewardOptions,
        @JsonRawValue String method,
        long seed,
        String suffix,
        @JsonRawValue String metadata,
        Error error,
        String resultModel,
        int currentStep,
        Integer totalSteps,
        Instant createdAt,
        Instant startedAt,
        Instant finishedAt,
        @JsonRawValue String debug,
        @JsonRawValue String resources,
        Worker worker,
        String waitReason,
        int attempts,
        SpendView spend,
        Budget budget,
        @JsonRawValue String retention) {

    /**
     * What a job has cost so far ({@code amount}, {@code device_seconds}) and was estimated to cost before it started
     * ({@code estimate}, null when nothing was known to estimate from; {@code estimate_basis} says how).
     */
    public record SpendView(BigDecimal amount, double deviceSeconds, BigDecimal estimate, String estimateBasis,
            String currency) {
    }

    /** A job's budget: it pauses once its spend reaches {@code max_spend}. */
    public record Budget(BigDecimal maxSpend) {
    }

    /** Why a job failed. */
    public record Error(String code, String message) {
    }

    /** The node that trains (or last trained) a job. */
    public record Worker(String id, String name) {
    }

    /** @param nodeNames names of the registered nodes by id ({@code NodeRegistry#names}) */
    public static JobView of(JobRecord j, java.util.Map<String, String> nodeNames) {
        return of(j, nodeNames, null, null);
    }

    /**
     * @param spend the job's spend row, null when it has none yet
     * @param currency {@code tropism.pricing.currency}
     */
    public static JobView of(JobRecord j, java.util.Map<String, String> nodeNames, Spend.JobSpend spend,
            String currency) {
        SpendView spent = currency == null ? null : spend == null
                ? new SpendView(BigDecimal.ZERO, 0, null, null, currency)
                : new SpendView(spend.spend(), spend.deviceSeconds(), spend.estimate(), spend.estimateBasis(), currency);
        Budget budget = spend == null || spend.maxSpend() == null ? null : new Budget(spend.maxSpend());
        return new JobView(j.id(), "job", j.status().wire(), j.model(), j.dataset(), j.evalDataset(), j.rewardSpec(),
                j.evalRewardSpec(), j.rewardSpecAlias(), j.evalRewardSpecAlias(), j.rewardOptions(), j.method(), j.seed(),
                j.suffix(), j.metadata(),
                j.errorCode() == null ? null : new Error(j.errorCode(), j.errorMessage()), j.resultModel(),
                j.currentStep(), j.totalSteps(), j.createdAt(), j.startedAt(), j.finishedAt(), j.debug(), j.resources(),
                j.workerId() == null ? null : new Worker(j.workerId(), nodeNames.getOrDefault(j.workerId(), j.workerId())),
                j.status() == JobStatus.QUEUED ? j.waitReason() : null, j.attempts(), spent, budget, j.retention());
    }
}
