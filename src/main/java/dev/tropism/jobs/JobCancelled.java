package dev.tropism.jobs;

/**
 * A job was cancelled. Published inside the transaction that marks it cancelled.
 *
 * @param model the job's {@code model}
 * @param resultModel the model it was producing, when it is {@code model} itself (pretraining); null otherwise
 */
public record JobCancelled(String jobId, String teamId, String model, String resultModel) {
}
