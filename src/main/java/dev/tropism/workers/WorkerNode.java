package dev.tropism.workers;

import java.time.Instant;
import java.util.List;

/**
 * A registered node as the registry sees it.
 *
 * @param state {@code active}, {@code draining} (stopping: it finishes its current steps, checkpoints and gives its
 *        jobs back, and takes no new ones), {@code lost} (missed its heartbeats: its jobs are requeued) or
 *        {@code stopped} (shut down cleanly)
 * @param runningJobs the jobs it trains, as of its last heartbeat
 * @param heartbeatAgeMillis how long ago its last heartbeat was, by the database's clock
 */
public record WorkerNode(String id, String name, NodeRole role, String state, NodeLabels labels, int capacity,
        List<String> runningJobs, Instant startedAt, Instant heartbeatAt, long heartbeatAgeMillis) {

    public static final String ACTIVE = "active";
    public static final String DRAINING = "draining";
    public static final String LOST = "lost";
    public static final String STOPPED = "stopped";

    /** Whether it heartbeats (active or draining): its jobs are not taken from it. */
    public boolean alive() {
        return ACTIVE.equals(state) || DRAINING.equals(state);
    }

    /** Whether it takes new jobs. */
    public boolean accepting() {
        return ACTIVE.equals(state);
    }
}
