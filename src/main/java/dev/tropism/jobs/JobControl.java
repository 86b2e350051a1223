package dev.tropism.jobs;

import java.util.Locale;

/** A request that a running job's training loop honours between two steps. Stored by its wire name. */
public enum JobControl {
    /** Stop, and end {@code cancelled}. Wins over a pause. */
    CANCEL,
    /** Stop after a checkpoint, and wait {@code paused} for a resume. */
    PAUSE;

    /** {@code cancel} or {@code pause}. */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The control of a stored wire name; null for none. */
    static JobControl of(String wire) {
        return wire == null ? null : valueOf(wire.toUpperCase(Locale.ROOT));
    }
}
