package dev.tropism.engine.rm;

import java.util.Map;
import java.util.Objects;

/**
 * One line of a {@code preferences} dataset: for {@code prompt}, a rater preferred {@code chosen} over
 * {@code rejected}. Any of the three may be empty (an unconditional pair has an empty prompt).
 */
public record PreferencePair(String prompt, String chosen, String rejected) {

    public PreferencePair {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(chosen, "chosen");
        Objects.requireNonNull(rejected, "rejected");
    }

    /** The pair of a parsed dataset line with string fields {@code prompt}, {@code chosen} and {@code rejected}. */
    public static PreferencePair of(Map<String, Object> item) {
        return new PreferencePair(field(item, "prompt"), field(item, "chosen"), field(item, "rejected"));
    }

    private static String field(Map<String, Object> item, String name) {
        if (!(item.get(name) instanceof String s)) {
            throw new IllegalArgumentException("preference item needs a string field '" + name + "'");
        }
        return s;
    }
}
