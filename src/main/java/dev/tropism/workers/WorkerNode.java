package dev.tropism.workers;

import java.time.Instant;
import java.util.List;

/**
 * A registered node as the registry sees it.
 *
 * @param state {@code active}, {@code lost} (missed its heartbeats: its jobs are requeued) or {@code stopped}
 *        (shut down cleanly)
 * @param runningJobs the jobs it trains, as of its last heartbeat
 * @param heartbeatAgeMillis how long ago its last heartbeat was, by the database's clock
 */
public record WorkerNode(String id, String name, NodeRole role, String state, NodeLabels labels, int capacity,
        List<String> runningJobs, Instant startedAt, Instant heartbeatAt, long heartbeatAgeMillis) {

    public static final String ACTIVE = "active";
    public static final String LOST = "lost";
    public static final String STOPPED = "stopped";

    /** Whether it is active and has heartbeat recently enough. */
    public boolean alive() {
        return ACTIVE.equals(state);
    }
}
