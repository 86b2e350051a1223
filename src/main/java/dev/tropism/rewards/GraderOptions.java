package dev.tropism.rewards;

import dev.tropism.web.JsonPointers;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * Optional grader fields with defaults, validated into {@link GraderCompiler.Context} violations (the
 * required ones are {@link GraderCompiler.Context#string} and {@link GraderCompiler.Context#template}).
 * Each method returns the default when the field is absent or JSON null, and null (after adding a
 * violation at the field's pointer) when it is present but invalid.
 */
public final class GraderOptions {

    private GraderOptions() {
    }

    public static boolean absent(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull();
    }

    /** A template field, or {@code fallback} (a valid template text) when absent. */
    public static Template template(GraderCompiler.Context ctx, JsonNode node, String field, String pointer,
            String fallback) {
        return absent(node, field) ? Template.parse(fallback, JsonPointers.child(pointer, field), ctx)
                : ctx.template(node, field, pointer);
    }

    /** A required regular expression ({@link Regexes}: RE2 syntax, bounded), compiled with RE2J {@code flags}. */
    public static Regexes.Bounded pattern(GraderCompiler.Context ctx, JsonNode node, String field, String pointer,
            int flags) {
        JsonNode v = node.get(field);
        String p = JsonPointers.child(pointer, field);
        if (v == null || v.isNull()) {
            ctx.violation(p, "is required");
        } else if (!v.isString()) {
            ctx.violation(p, "must be a string");
        } else {
            try {
                return Regexes.compile(v.asString(), flags);
            } catch (IllegalArgumentException e) {
                ctx.violation(p, e.getMessage());
            }
        }
        return null;
    }

    /** A finite number ≥ 0. */
    public static Double nonNegative(GraderCompiler.Context ctx, JsonNode node, String field, String pointer,
            double fallback) {
        if (absent(node, field)) {
            return fallback;
        }
        JsonNode v = node.get(field);
        if (!v.isNumber() || !Double.isFinite(v.asDouble()) || v.asDouble() < 0) {
            ctx.violation(JsonPointers.child(pointer, field), "must be a finite number ≥ 0");
            return null;
        }
        return v.asDouble();
    }

    /** A whole number in {@code [min, max]}; {@code fallback} (which may be null) when absent. */
    public static Integer integer(GraderCompiler.Context ctx, JsonNode node, String field, String pointer, int min,
            int max, Integer fallback) {
        if (absent(node, field)) {
            return fallback;
        }
        JsonNode v = node.get(field);
        if (!isWhole(v) || v.asDouble() < min || v.asDouble() > max) {
            ctx.violation(JsonPointers.child(pointer, field), "must be a whole number from " + min + " to " + max);
            return null;
        }
        return v.asInt();
    }

    /** True for JSON integers and for floats with no fractional part (1.0). */
    public static boolean isWhole(JsonNode v) {
        return v.isNumber() && Double.isFinite(v.asDouble()) && v.asDouble() == Math.rint(v.asDouble());
    }

    /** One of {@code type}'s constants, named in lower case ({@code FULLMATCH} is {@code "fullmatch"}). */
    public static <E extends Enum<E>> E choice(GraderCompiler.Context ctx, JsonNode node, String field, String pointer,
            Class<E> type, E fallback) {
        if (absent(node, field)) {
            return fallback;
        }
        JsonNode v = node.get(field);
        E e = v.isString() ? named(type, v.asString()) : null;
        if (e == null) {
            ctx.violation(JsonPointers.child(pointer, field), "must be one of " + names(type));
        }
        return e;
    }

    /** An array of distinct constants of {@code type} (lower-case names); empty when absent. */
    public static <E extends Enum<E>> Set<E> choices(GraderCompiler.Context ctx, JsonNode node, String field,
            String pointer, Class<E> type) {
        Set<E> out = EnumSet.noneOf(type);
        if (absent(node, field)) {
            return out;
        }
        JsonNode v = node.get(field);
        String p = JsonPointers.child(pointer, field);
        if (!v.isArray()) {
            ctx.violation(p, "must be an array of " + names(type));
            return null;
        }
        boolean ok = true;
        for (int i = 0; i < v.size(); i++) {
            E e = v.get(i).isString() ? named(type, v.get(i).asString()) : null;
            if (e == null) {
                ctx.violation(p + "/" + i, "must be one of " + names(type));
                ok = false;
            } else {
                out.add(e);
            }
        }
        return ok ? out : null;
    }

    private static <E extends Enum<E>> E named(Class<E> type, String name) {
        for (E e : type.getEnumConstants()) {
            if (e.name().toLowerCase(Locale.ROOT).equals(name)) {
                return e;
            }
        }
        return null;
    }

    public static <E extends Enum<E>> String names(Class<E> type) {
        return Arrays.stream(type.getEnumConstants()).map(e -> e.name().toLowerCase(Locale.ROOT)).toList().toString();
    }
}
