package dev.tropism.jobs;

/**
 * A job was paused (on request, by its hacking monitor with {@code on_hacking: pause}, or by a budget). Published inside
 * the transaction that marks it paused, beside its {@code job.paused} event row.
 *
 * @param model the job's {@code model}
 * @param step the step it resumes from (its last checkpoint's)
 * @param reason why: {@link #REQUESTED}, {@link #HACKING}, {@link #BUDGET} (its {@code max_spend}) or
 *        {@link #TEAM_BUDGET} (its team's monthly limit)
 */
public record JobPaused(String jobId, String teamId, String model, int step, String reason) {

    public static final String REQUESTED = "requested";
    public static final String HACKING = "hacking";
    public static final String BUDGET = "budget";
    public static final String TEAM_BUDGET = "team_budget";
}
