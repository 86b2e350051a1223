package dev.tropism.engine.serve;

import java.time.Duration;

/**
 * Thrown by {@link Generator#submit} at once, without queueing, when every batch slot is busy and the
 * admission queue is full: the service answers 429 with {@code Retry-After: }{@link #retryAfter()}.
 */
public final class QueueFullException extends RuntimeException {

    private final Duration retryAfter;

    QueueFullException(int capacity, Duration retryAfter) {
        super("the generation queue is full (" + capacity + " waiting); retry after " + retryAfter.toSeconds() + " s");
        this.retryAfter = retryAfter;
    }

    /** Estimated wait until a queue place frees up, whole seconds, at least one. */
    public Duration retryAfter() {
        return retryAfter;
    }
}
