package dev.tropism.jobs;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonRawValue;
import java.time.Instant;

/**
 * A saved, resumable training state of a job; its files live under {@code objectPrefix}.
 *
 * @param sizeBytes the bytes stored under {@code objectPrefix}; null for checkpoints saved before sizes were recorded
 */
public record Checkpoint(String id, @JsonIgnore String jobId, int step, Instant createdAt,
        @JsonRawValue String metrics, String objectPrefix, Long sizeBytes) {

    public static String prefixOf(String jobId, String checkpointId) {
        return "jobs/" + jobId + "/checkpoints/" + checkpointId + "/";
    }
}
