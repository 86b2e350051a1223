package dev.tropism.ratelimits;

import java.util.Locale;

/** The two buckets of every key: inference routes draw from {@code serving}, every other route from {@code api}. */
enum RatePolicy {
    API, SERVING;

    /** Its name in the {@code RateLimit} headers. */
    String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}
