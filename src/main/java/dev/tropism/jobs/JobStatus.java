package dev.tropism.jobs;

import java.util.Locale;

/** A job's life: validating → queued → running (⇄ paused) → succeeded | failed | cancelled. */
public enum JobStatus {
    VALIDATING, QUEUED, RUNNING, PAUSED, SUCCEEDED, FAILED, CANCELLED;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public boolean terminal() {
        return this == SUCCEEDED || this == FAILED || this == CANCELLED;
    }

    public static JobStatus of(String wire) {
        return valueOf(wire.toUpperCase(Locale.ROOT));
    }
}
