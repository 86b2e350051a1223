package dev.tropism.rewards;

import dev.tropism.web.JsonPointers;
import tools.jackson.databind.JsonNode;

/** Optional numeric fields of grader JSON, validated against a closed range with their JSON pointer. */
public final class GraderNumbers {

    private GraderNumbers() {
    }

    /**
     * {@code node.field}: {@code fallback} when absent or null; the value when it is a finite number in
     * {@code [min, max]}; otherwise null, with a violation at {@code pointer/field}.
     */
    public static Double optional(JsonNode node, String field, String pointer, double fallback, double min, double max,
            GraderCompiler.Context ctx) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isNumber() || !Double.isFinite(v.asDouble()) || v.asDouble() < min || v.asDouble() > max) {
            ctx.violation(JsonPointers.child(pointer, field), Double.isInfinite(min) && Double.isInfinite(max)
                    ? "must be a finite number" : "must be a number from " + bound(min) + " to " + bound(max));
            return null;
        }
        return v.asDouble();
    }

    /** Like {@link #optional} for a whole number. */
    public static Integer optionalInt(JsonNode node, String field, String pointer, int fallback, int min, int max,
            GraderCompiler.Context ctx) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < min || v.asInt() > max) {
            ctx.violation(JsonPointers.child(pointer, field), "must be a whole number from " + min + " to " + max);
            return null;
        }
        return v.asInt();
    }

    private static String bound(double b) {
        return b == Math.rint(b) && Math.abs(b) < 1e15 ? Long.toString((long) b) : Double.toString(b);
    }
}
