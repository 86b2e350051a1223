package dev.tropism.evaluations;

import dev.tropism.web.ApiException;
import dev.tropism.web.JsonPointers;
import dev.tropism.web.Violation;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;
import tools.jackson.databind.JsonNode;

/**
 * The fields of a JSON object request body, read with every violation collected: an unknown field is 400
 * {@code unknown_field} at once, a wrong type or range is a {@link Violation} at its pointer, and an explicit
 * {@code null} means the default.
 */
final class RequestFields {

    private final String base;
    private final Map<String, JsonNode> given = new LinkedHashMap<>();
    private final List<Violation> violations;

    private RequestFields(String base, List<Violation> violations) {
        this.base = base;
        this.violations = violations;
    }

    /** The object's fields; 422 at {@code base} when {@code node} is not an object, 400 for an unknown field. */
    static RequestFields of(JsonNode node, String base, List<String> known, List<Violation> violations) {
        if (node == null || !node.isObject()) {
            throw ApiException.invalid(base, "must be a JSON object");
        }
        RequestFields f = new RequestFields(base, violations);
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (!known.contains(e.getKey())) {
                String pointer = JsonPointers.child(base, e.getKey());
                throw new ApiException(HttpStatus.BAD_REQUEST, "unknown_field", "Unknown field '" + e.getKey() + "' at "
                        + pointer + ".", List.of(new Violation(pointer, "unknown field; known: " + String.join(", ", known))));
            }
            if (!e.getValue().isNull()) {
                f.given.put(e.getKey(), e.getValue());
            }
        }
        return f;
    }

    String pointer(String field) {
        return JsonPointers.child(base, field);
    }

    boolean has(String field) {
        return given.containsKey(field);
    }

    JsonNode node(String field) {
        return given.get(field);
    }

    /** A string field, or null when absent or not a string (reported). */
    String string(String field, int maxLength) {
        JsonNode v = given.get(field);
        if (v == null) {
            return null;
        }
        if (!v.isString()) {
            violations.add(new Violation(pointer(field), "must be a string"));
            return null;
        }
        String s = v.asString();
        if (s.isBlank() || s.length() > maxLength) {
            violations.add(new Violation(pointer(field), "must be 1 to " + maxLength + " characters"));
            return null;
        }
        return s;
    }

    /** An integer field in [min, max], or {@code fallback} when absent or invalid (reported). */
    int integer(String field, int min, int max, int fallback) {
        JsonNode v = given.get(field);
        if (v == null) {
            return fallback;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < min || v.asInt() > max) {
            violations.add(new Violation(pointer(field), "must be an integer between " + min + " and " + max));
            return fallback;
        }
        return v.asInt();
    }

    /** A long field ≥ 0, or {@code fallback}. */
    long nonNegativeLong(String field, long fallback) {
        JsonNode v = given.get(field);
        if (v == null) {
            return fallback;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
            violations.add(new Violation(pointer(field), "must be a non-negative integer"));
            return fallback;
        }
        return v.asLong();
    }

    /**
     * A number field in the interval (or null when absent or invalid, reported).
     *
     * @param minOpen whether {@code min} itself is excluded
     */
    Double number(String field, double min, boolean minOpen, double max) {
        JsonNode v = given.get(field);
        if (v == null) {
            return null;
        }
        double d = v.isNumber() ? v.asDouble() : Double.NaN;
        if (!Double.isFinite(d) || (minOpen ? d <= min : d < min) || d > max) {
            violations.add(new Violation(pointer(field), "must be a number " + (minOpen ? "> " : ">= ") + fmt(min)
                    + (max == Double.MAX_VALUE ? "" : " and <= " + fmt(max))));
            return null;
        }
        return d;
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }
}
