package dev.tropism.workers;

import java.util.Locale;

/**
 * What a Tropism process does ({@code tropism.role}). One jar plays every role.
 *
 * <ul>
 *   <li>{@link #ALL} (default): REST API, web UI, queue and serving, and it trains jobs itself: the single-process
 *       service with embedded defaults.</li>
 *   <li>{@link #API}: REST API, web UI, queue, dispatch and serving; it trains nothing.</li>
 *   <li>{@link #WORKER}: consumes step requests and trains; only health and metrics are served.</li>
 * </ul>
 */
public enum NodeRole {
    ALL, API, WORKER;

    /** Whether this node runs training steps. */
    public boolean trains() {
        return this != API;
    }

    /** Whether this node serves the REST API and dispatches queued jobs. */
    public boolean dispatches() {
        return this != WORKER;
    }

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static NodeRole of(String wire) {
        return valueOf(wire.toUpperCase(Locale.ROOT));
    }
}
