package dev.tropism.jobs;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonRawValue;
import java.time.Instant;

/** One entry of a job's event log; {@code data} is a JSON object (as text) or null. */
public record JobEvent(@JsonIgnore long seq, String id, @JsonIgnore String jobId, Instant createdAt, String level,
        String type, String message, @JsonRawValue String data) {
}
