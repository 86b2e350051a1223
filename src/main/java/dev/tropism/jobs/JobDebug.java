package dev.tropism.jobs;

import dev.tropism.web.Violation;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * A job's {@code debug} options.
 *
 * @param checkFinite anomaly mode ({@code check_finite}, default false): the first NaN or infinite layer output or
 *        gradient fails the job, and its failure message and {@code job.failed} event name the step, the pass
 *        (forward or backward), the layer and the tensor. Steps are 10-20% slower; results are unchanged.
 */
public record JobDebug(boolean checkFinite) {

    static final String CHECK_FINITE = "check_finite";

    /** Parses {@code debug}; absent or null is all defaults. Violations name their JSON pointers. */
    public static JobDebug parse(JsonNode node, String pointer, List<Violation> violations) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return new JobDebug(false);
        }
        if (!node.isObject()) {
            violations.add(new Violation(pointer, "must be an object such as {\"check_finite\": true}"));
            return new JobDebug(false);
        }
        boolean checkFinite = false;
        for (String key : node.propertyNames()) {
            JsonNode value = node.get(key);
            if (!key.equals(CHECK_FINITE)) {
                violations.add(new Violation(pointer + "/" + key, "unknown debug option; the only one is " + CHECK_FINITE));
            } else if (!value.isBoolean()) {
                violations.add(new Violation(pointer + "/" + key, "must be true or false"));
            } else {
                checkFinite = value.booleanValue();
            }
        }
        return new JobDebug(checkFinite);
    }

    /** The stored JSON text; null for the defaults, so jobs without debug options show none. */
    public String toJson() {
        return checkFinite ? "{\"" + CHECK_FINITE + "\":true}" : null;
    }

    /** The options of a stored job ({@code debug} column text, possibly null). */
    static JobDebug of(JobRecord job, tools.jackson.databind.json.JsonMapper json) {
        if (job.debug() == null) {
            return new JobDebug(false);
        }
        return new JobDebug(json.readTree(job.debug()).path(CHECK_FINITE).asBoolean(false));
    }
}
