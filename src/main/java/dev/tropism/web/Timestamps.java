package dev.tropism.web;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** Creation timestamps, truncated to the microseconds PostgreSQL keeps so cursors compare exactly. */
public final class Timestamps {

    private Timestamps() {
    }

    public static Instant now() {
        return Instant.now().truncatedTo(ChronoUnit.MICROS);
    }
}
