package dev.tropism.jobs;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code tropism.jobs.*}.
 *
 * @param maxConcurrent jobs this node trains at once (a worker's capacity); the rest wait {@code queued}
 * @param checkpointInterval steps between checkpoints (one is also saved at the end, on pause and on shutdown)
 * @param pollInterval how often the queue looks for queued jobs and lost workers, managers poll their workers'
 *        steps, and event streams look for new events
 * @param maxAttempts lost launches (a worker that died or was cut off under the job) since the job's last checkpoint
 *        after which the job fails with {@code worker_lost} instead of being queued again. Default 3.
 * @param noSignalThreshold the fraction of prompt groups with zero reward variance ({@code train/frac_reward_zero_std})
 *        at or above which a step counts as giving no learning signal. Default 0.9 (issue 15).
 * @param noSignalWindow how many such steps in a row before the job gets a {@code no_learning_signal} warning.
 *        Default 10.
 */
@ConfigurationProperties("tropism.jobs")
public record JobsProperties(
        @DefaultValue("1") int maxConcurrent,
        @DefaultValue("50") int checkpointInterval,
        @DefaultValue("500ms") Duration pollInterval,
        @DefaultValue("3") int maxAttempts,
        @DefaultValue("0.9") double noSignalThreshold,
        @DefaultValue("10") int noSignalWindow) {

    public JobsProperties {
        if (maxConcurrent < 1) {
            throw new IllegalArgumentException("tropism.jobs.max-concurrent must be >= 1, got " + maxConcurrent);
        }
        if (!(noSignalThreshold > 0 && noSignalThreshold <= 1)) {
            throw new IllegalArgumentException("tropism.jobs.no-signal-threshold must be in (0, 1], got "
                    + noSignalThreshold);
        }
        if (noSignalWindow < 1) {
            throw new IllegalArgumentException("tropism.jobs.no-signal-window must be >= 1, got " + noSignalWindow);
        }
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("tropism.jobs.max-attempts must be >= 1, got " + maxAttempts);
        }
        if (checkpointInterval < 1) {
            throw new IllegalArgumentException("tropism.jobs.checkpoint-interval must be >= 1, got " + checkpointInterval);
        }
    }
}
