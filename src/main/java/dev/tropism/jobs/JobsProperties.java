package dev.tropism.jobs;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code tropism.jobs.*}.
 *
 * @param maxConcurrent jobs training at once in this service; the rest wait {@code queued}
 * @param checkpointInterval steps between checkpoints (one is also saved at the end, on pause and on shutdown)
 * @param pollInterval how often the queue looks for queued jobs and event streams for new events
 */
@ConfigurationProperties("tropism.jobs")
public record JobsProperties(
        @DefaultValue("1") int maxConcurrent,
        @DefaultValue("50") int checkpointInterval,
        @DefaultValue("500ms") Duration pollInterval) {

    public JobsProperties {
        if (maxConcurrent < 1) {
            throw new IllegalArgumentException("tropism.jobs.max-concurrent must be >= 1, got " + maxConcurrent);
        }
        if (checkpointInterval < 1) {
            throw new IllegalArgumentException("tropism.jobs.checkpoint-interval must be >= 1, got " + checkpointInterval);
        }
    }
}
