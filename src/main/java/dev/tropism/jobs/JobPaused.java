package dev.tropism.jobs;

/**
 * A job was paused (on request, or by its hacking monitor with {@code on_hacking: pause}). Published inside the
 * transaction that marks it paused, beside its {@code job.paused} event row.
 *
 * @param model the job's {@code model}
 * @param step the step it resumes from (its last checkpoint's)
 */
public record JobPaused(String jobId, String teamId, String model, int step) {
}
