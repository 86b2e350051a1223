package dev.tropism.dryruns;

import java.util.Locale;

/** {@code queued → running → succeeded | failed}. */
enum DryRunStatus {
    QUEUED, RUNNING, SUCCEEDED, FAILED;

    String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    static DryRunStatus of(String wire) {
        return valueOf(wire.toUpperCase(Locale.ROOT));
    }
}
