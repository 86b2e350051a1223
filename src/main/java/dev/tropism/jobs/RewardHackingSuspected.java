package dev.tropism.jobs;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The hacking monitor raised an alarm on a job. Published in the training step's transaction, beside the
 * {@code reward_hacking_suspected} event row.
 *
 * @param message the event's message
 * @param evidence the event's data: the rule that fired, the step, the values behind it and the {@code action}
 *     ({@code warn} or {@code pause})
 */
public record RewardHackingSuspected(String jobId, String teamId, int step, String message, Map<String, Object> evidence) {

    public RewardHackingSuspected {
        evidence = Collections.unmodifiableMap(new LinkedHashMap<>(evidence));
    }
}
