package dev.tropism.rewards.composite;

import dev.tropism.rewards.Grader;
import dev.tropism.rewards.GraderCompiler;
import dev.tropism.web.JsonPointers;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * An object of nested graders keyed by a name local to their parent ({@code "graders": {"correct": {…}}}),
 * with optional weights keyed the same way ({@code "weights": {"correct": 0.7}}, default 1.0). Shared
 * by {@code multi} ({@code graders}/{@code weights}) and {@code gated} ({@code dense}/{@code weights}).
 */
final class NamedGraders {

    /** One compiled nested grader, its key and its weight. */
    record Part(String key, Grader grader, double weight) {
    }

    private NamedGraders() {
    }

    /** The keys of {@code node.field} when it is a non-empty object, in order; otherwise empty. */
    static List<String> keys(JsonNode node, String field) {
        JsonNode graders = node.get(field);
        return graders != null && graders.isObject() ? List.copyOf(graders.propertyNames()) : List.of();
    }

    /**
     * Compiles {@code node.field}. Returns null (with a violation) when it is not a non-empty object;
     * a nested grader with violations is left out of the list (its violations are in {@code ctx}).
     * {@code weightsField} may be null when the parent has no weights.
     */
    static List<Part> compile(JsonNode node, String field, String weightsField, String pointer,
            GraderCompiler.Context ctx) {
        JsonNode graders = node.get(field);
        String gp = JsonPointers.child(pointer, field);
        if (graders == null || !graders.isObject() || graders.isEmpty()) {
            ctx.violation(gp, "must be a non-empty object of named graders");
            return null;
        }
        JsonNode weights = weightsField == null ? null : node.get(weightsField);
        if (weights != null && !weights.isNull() && !weights.isObject()) {
            ctx.violation(JsonPointers.child(pointer, weightsField), "must be an object of numbers keyed by grader");
            weights = null;
        }
        if (weights != null && weights.isObject()) {
            String wp = JsonPointers.child(pointer, weightsField);
            for (String key : weights.propertyNames()) {
                JsonNode w = weights.get(key);
                if (!graders.has(key)) {
                    ctx.violation(JsonPointers.child(wp, key), "no grader named '" + key + "' in " + field);
                } else if (!w.isNumber() || !Double.isFinite(w.asDouble())) {
                    ctx.violation(JsonPointers.child(wp, key), "must be a finite number");
                }
            }
        }
        List<Part> parts = new ArrayList<>();
        for (String key : graders.propertyNames()) {
            Grader g = ctx.grader(graders.get(key), JsonPointers.child(gp, key));
            if (g == null) {
                continue;
            }
            JsonNode w = weights == null ? null : weights.get(key);
            parts.add(new Part(key, g, w != null && w.isNumber() ? w.asDouble() : 1.0));
        }
        return parts;
    }
}
