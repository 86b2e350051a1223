package dev.tropism.jobs;

/**
 * A job failed. Published inside the transaction that marks it failed.
 *
 * @param model the job's {@code model}
 * @param resultModel the model it was producing, when it is {@code model} itself (pretraining); null otherwise
 */
public record JobFailed(String jobId, String teamId, String model, String resultModel, String code) {
}
