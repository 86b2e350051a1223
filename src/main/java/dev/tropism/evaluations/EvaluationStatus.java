package dev.tropism.evaluations;

import java.util.Locale;

/** Where an evaluation stands. {@code completed} means measured, with a verdict; {@code failed} means it could not be. */
enum EvaluationStatus {
    QUEUED, RUNNING, COMPLETED, FAILED, CANCELLED;

    String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    static EvaluationStatus of(String wire) {
        return valueOf(wire.toUpperCase(Locale.ROOT));
    }

    boolean finished() {
        return this == COMPLETED || this == FAILED || this == CANCELLED;
    }
}
