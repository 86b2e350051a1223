package dev.tropism.dryruns;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code tropism.dry-runs.*}.
 *
 * @param threads dry-runs executing at once; default 1, so that dry-runs never take more than one core's
 *     worth of sampling from training jobs on the same machine
 * @param queueCapacity dry-runs waiting {@code queued} beyond those executing; a submission beyond it is
 *     answered 429 and nothing is stored
 */
@ConfigurationProperties("tropism.dry-runs")
record DryRunProperties(@DefaultValue("1") int threads, @DefaultValue("16") int queueCapacity) {

    DryRunProperties {
        if (threads < 1) {
            throw new IllegalArgumentException("tropism.dry-runs.threads must be >= 1, got " + threads);
        }
        if (queueCapacity < 0) {
            throw new IllegalArgumentException("tropism.dry-runs.queue-capacity must be >= 0, got " + queueCapacity);
        }
    }
}
