package dev.tropism.workers;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code tropism.worker.*}: how this node announces itself (every role registers; nodes that train are listed at
 * {@code GET /v1/workers}).
 *
 * @param name shown in the API and the UI; blank means the host name and process id
 * @param pool the pool this node serves; jobs that ask for a pool run only on its workers. Default {@code default}.
 * @param heartbeatInterval how often the node writes its heartbeat to the database. Default 5 s.
 * @param lostAfter how long without a heartbeat before the node is taken for lost and its jobs are requeued.
 *        Default (unset): 1.5 heartbeat intervals, so that a dead worker's job runs again within two intervals
 *        plus its load time. Must exceed one interval.
 */
@ConfigurationProperties("tropism.worker")
public record WorkerProperties(
        @DefaultValue("") String name,
        @DefaultValue("default") String pool,
        @DefaultValue("5s") Duration heartbeatInterval,
        Duration lostAfter) {

    public WorkerProperties {
        if (heartbeatInterval.toMillis() < 100) {
            throw new IllegalArgumentException("tropism.worker.heartbeat-interval must be at least 100ms, got "
                    + heartbeatInterval);
        }
        if (lostAfter == null) {
            lostAfter = heartbeatInterval.multipliedBy(3).dividedBy(2);
        }
        if (lostAfter.compareTo(heartbeatInterval) <= 0) {
            throw new IllegalArgumentException("tropism.worker.lost-after (" + lostAfter
                    + ") must be longer than tropism.worker.heartbeat-interval (" + heartbeatInterval
                    + "), or a live node would be taken for lost between two heartbeats");
        }
        if (!pool.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
            throw new IllegalArgumentException("tropism.worker.pool must be 1-64 letters, digits, '.', '_' or '-'"
                    + " starting with a letter or digit, got '" + pool + "'");
        }
    }
}
