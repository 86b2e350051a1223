package dev.tropism.engine;

import java.util.regex.Pattern;

/**
 * One per-sample reward error. {@code kind} is a short snake_case word that becomes part of the metric
 * {@code train/reward/errors/<kind>}; {@code message} says what went wrong for a human.
 *
 * <p>Kinds used by the engine itself: {@link #NON_FINITE} (a score that is NaN or infinite, replaced by
 * 0) and {@link #EXCEPTION} (a reward function that threw; the whole batch scores 0).
 */
public record RewardError(String kind, String message) {

    public static final String NON_FINITE = "non_finite";
    public static final String EXCEPTION = "exception";

    private static final Pattern KIND = Pattern.compile("[a-z0-9_]{1,40}");

    public RewardError {
        if (kind == null || !KIND.matcher(kind).matches()) {
            throw new IllegalArgumentException("reward error kind must be 1 to 40 of [a-z0-9_], got " + kind);
        }
        message = message == null ? "" : message;
    }

    @Override
    public String toString() {
        return kind + ": " + message;
    }
}
