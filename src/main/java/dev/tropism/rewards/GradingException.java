package dev.tropism.rewards;

/**
 * A per-sample grading failure with its kind (the {@code <kind>} of {@code train/reward/errors/<kind>}).
 * Graders throw it from their per-sample code; the sample then scores its grader's fallback.
 */
public final class GradingException extends Exception {

    /** An item lacks a field a template names. */
    public static final String MISSING_FIELD = "missing_field";
    /** The output (or a field rendered into a grader) is not the JSON the grader needs. */
    static final String JSON_PARSE = "json_parse";
    /** A graded value is not a number where one is needed. */
    public static final String NOT_A_NUMBER = "not_a_number";
    /** The grader needs a model the context lacks (likelihood graders outside a run). */
    public static final String UNSUPPORTED = "unsupported";

    private final String kind;

    public GradingException(String kind, String message) {
        super(message, null, false, false);
        this.kind = kind;
    }

    public String kind() {
        return kind;
    }
}
