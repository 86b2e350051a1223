package dev.tropism.workers;

import dev.tropism.web.Ids;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.SmartLifecycle;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;

/**
 * The nodes of a deployment, in the shared database ({@code nodes}). Every process registers itself when it starts
 * (a new id per process), heartbeats every {@code tropism.worker.heartbeat-interval} and marks itself
 * {@code stopped} when it shuts down cleanly. A node whose heartbeat is older than its {@code lost-after} is taken
 * for dead: {@link #markLost} (called by the dispatchers' sweep) marks it {@code lost}, and the jobs module
 * requeues its jobs. Ages are measured with the database's clock only, so the nodes' clocks may disagree.
 *
 * <p>Starts before and stops after the job queue (lifecycle phase 0), so a draining worker keeps heartbeating.
 */
@Service
public class NodeRegistry implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(NodeRegistry.class);
    /** Lost and stopped nodes stay listed this long. */
    private static final Duration KEEP_GONE = Duration.ofDays(1);
    private static final String COLUMNS = "id, name, role, state, device, gpu_model, gpu_memory_bytes, ram_bytes, pool,"
            + " capacity, running_jobs, started_at, heartbeat_at, lost_after_ms, CURRENT_TIMESTAMP AS db_now";

    private final JdbcClient jdbc;
    private final WorkerProperties properties;
    private final NodeRole role;
    private final int capacity;
    private final String engineDevice;
    private final ObjectProvider<NodeLoad> load;
    private final String id = Ids.newId("node_");
    private final String name;
    private NodeLabels labels;
    private ScheduledExecutorService heartbeats;
    private volatile boolean running;
    private volatile boolean draining;

    public NodeRegistry(JdbcClient jdbc, WorkerProperties properties, @Value("${tropism.role:all}") String role,
            @Value("${tropism.jobs.max-concurrent:1}") int capacity,
            @Value("${tropism.engine.device:auto}") String engineDevice, ObjectProvider<NodeLoad> load) {
        this.jdbc = jdbc;
        this.properties = properties;
        try {
            this.role = NodeRole.of(role.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("tropism.role must be all, api or worker, got '" + role + "'");
        }
        this.capacity = capacity;
        this.engineDevice = engineDevice;
        this.load = load;
        this.name = properties.name().isBlank() ? defaultName() : properties.name().trim();
    }

    /** This process's node id ({@code node_...}), new at every start. */
    public String nodeId() {
        return id;
    }

    public String nodeName() {
        return name;
    }

    public NodeRole role() {
        return role;
    }

    public WorkerProperties properties() {
        return properties;
    }

    @Override
    public int getPhase() {
        return 0;
    }

    @Override
    public synchronized void start() {
        draining = false;
        labels = labels != null ? labels : role.trains() ? NodeProbe.probe(engineDevice, properties.pool())
                : new NodeLabels(NodeLabels.CPU, null, null, 0, properties.pool());
        purgeGone();
        insert();
        log.info("registered node {} ({}) as {}: device={}{}, pool={}, capacity={}", id, name, role.wire(),
                labels.device(), labels.gpuModel() == null ? "" : " (" + labels.gpuModel() + ")", labels.pool(),
                role.trains() ? capacity : 0);
        heartbeats = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "node-heartbeat");
            t.setDaemon(true);
            return t;
        });
        long every = properties.heartbeatInterval().toMillis();
        heartbeats.scheduleAtFixedRate(this::heartbeatSafely, every, every, TimeUnit.MILLISECONDS);
        running = true;
    }

    /** Registers this node, or registers it again after a stop (a context may be stopped and started again). */
    private void insert() {
        int updated = jdbc.sql("UPDATE nodes SET state = 'active', capacity = ?, running_jobs = ?,"
                        + " heartbeat_at = CURRENT_TIMESTAMP WHERE id = ?")
                .params(role.trains() ? capacity : 0, runningJobs(), id).update();
        if (updated == 1) {
            return;
        }
        jdbc.sql("INSERT INTO nodes (id, name, role, state, device, gpu_model, gpu_memory_bytes, ram_bytes, pool,"
                        + " capacity, running_jobs, heartbeat_interval_ms, lost_after_ms, started_at, heartbeat_at)"
                        + " VALUES (?, ?, ?, 'active', ?, ?, ?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)")
                .params(id, name, role.wire(), labels.device(), labels.gpuModel(), labels.gpuMemoryBytes(),
                        labels.ramBytes(), labels.pool(), role.trains() ? capacity : 0, runningJobs(),
                        properties.heartbeatInterval().toMillis(), properties.lostAfter().toMillis())
                .update();
    }

    private void heartbeatSafely() {
        try {
            heartbeat();
        } catch (RuntimeException e) {
            log.warn("heartbeat of node {} failed (the database may be down); retrying in {}", id,
                    properties.heartbeatInterval(), e);
        }
    }

    /** Writes this node's heartbeat and load; re-registers it if its row is gone, revives it if it was taken for lost. */
    void heartbeat() {
        String state = jdbc.sql("SELECT state FROM nodes WHERE id = ?").param(id).query(String.class).optional()
                .orElse(null);
        if (state == null) {
            insert();
            return;
        }
        if (WorkerNode.LOST.equals(state)) {
            log.warn("node {} was taken for lost (no heartbeat for over {}); its jobs were requeued and any launch it"
                    + " still runs is fenced off at its next step", id, properties.lostAfter());
        }
        jdbc.sql("UPDATE nodes SET heartbeat_at = CURRENT_TIMESTAMP, state = ?, running_jobs = ? WHERE id = ?")
                .params(draining ? WorkerNode.DRAINING : WorkerNode.ACTIVE, runningJobs(), id).update();
    }

    private String runningJobs() {
        NodeLoad l = load.getIfAvailable();
        return l == null ? "" : String.join(",", new TreeSet<>(l.runningJobs()));
    }

    /**
     * Announces that this node is stopping: dispatchers send it no new jobs while it checkpoints and gives back the
     * ones it runs (which are not taken for lost meanwhile: it keeps heartbeating).
     */
    public void drain() {
        draining = true;
        try {
            jdbc.sql("UPDATE nodes SET state = 'draining' WHERE id = ? AND state = 'active'").param(id).update();
        } catch (RuntimeException e) {
            log.warn("could not mark node {} draining", id, e);
        }
    }

    @Override
    public synchronized void stop() {
        running = false;
        if (heartbeats != null) {
            heartbeats.shutdownNow();
        }
        try {
            jdbc.sql("UPDATE nodes SET state = 'stopped', running_jobs = '', heartbeat_at = CURRENT_TIMESTAMP"
                    + " WHERE id = ?").param(id).update();
        } catch (RuntimeException e) {
            log.warn("could not mark node {} stopped; it will be taken for lost after {}", id, properties.lostAfter(), e);
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Every registered node (of any role), newest first, with its state as of now. */
    public List<WorkerNode> nodes() {
        return jdbc.sql("SELECT " + COLUMNS + " FROM nodes ORDER BY started_at DESC, id").query(NodeRegistry::map)
                .list();
    }

    /** Nodes that train ({@code worker} and {@code all}), newest first, with their state as of now. */
    public List<WorkerNode> workers() {
        return trainers(nodes());
    }

    /** The nodes of {@code nodes} that train. */
    public static List<WorkerNode> trainers(List<WorkerNode> nodes) {
        return nodes.stream().filter(n -> n.role().trains()).toList();
    }

    /** The names of all registered nodes by id. */
    public java.util.Map<String, String> names() {
        java.util.Map<String, String> names = new java.util.HashMap<>();
        jdbc.sql("SELECT id, name FROM nodes").query((rs, row) -> names.put(rs.getString(1), rs.getString(2))).list();
        return names;
    }

    /** Training nodes that are active and heartbeating: where jobs may be dispatched. */
    public List<WorkerNode> liveWorkers() {
        return workers().stream().filter(WorkerNode::accepting).toList();
    }

    /** Ids of all nodes (of any role) that are active and heartbeating. */
    public Set<String> liveIds() {
        return liveIds(nodes());
    }

    /** The ids of the nodes of {@code nodes} that are alive (active or draining, heartbeating). */
    public static Set<String> liveIds(List<WorkerNode> nodes) {
        Set<String> ids = new HashSet<>();
        nodes.stream().filter(WorkerNode::alive).forEach(n -> ids.add(n.id()));
        return ids;
    }

    /**
     * Marks {@code lost} every active node whose heartbeat is older than its {@code lost-after}, and returns them.
     * Safe to call from several dispatchers at once: each node is reported by the one whose update moved it.
     */
    public List<WorkerNode> markLost() {
        List<WorkerNode> lost = new ArrayList<>();
        List<WorkerNode> stale = jdbc.sql("SELECT " + COLUMNS + " FROM nodes WHERE state IN ('active', 'draining')")
                .query(NodeRegistry::map).list().stream().filter(n -> !n.alive()).toList();
        for (WorkerNode n : stale) {
            // Conditional on the heartbeat we judged stale: a node that heartbeat since is not marked.
            if (jdbc.sql("UPDATE nodes SET state = 'lost', running_jobs = '' WHERE id = ?"
                            + " AND state IN ('active', 'draining') AND heartbeat_at <= ?")
                    .params(n.id(), n.heartbeatAt().atOffset(java.time.ZoneOffset.UTC)).update() == 1) {
                log.warn("node {} ({}) missed its heartbeats for {} ms: taken for lost", n.id(), n.name(),
                        n.heartbeatAgeMillis());
                lost.add(n);
            }
        }
        return lost;
    }

    private void purgeGone() {
        jdbc.sql("DELETE FROM nodes WHERE state <> 'active' AND heartbeat_at < ?")
                .param(OffsetDateTime.now(java.time.ZoneOffset.UTC).minus(KEEP_GONE)).update();
    }

    private static WorkerNode map(ResultSet rs, int row) throws SQLException {
        Instant heartbeat = rs.getObject("heartbeat_at", OffsetDateTime.class).toInstant();
        Instant now = rs.getObject("db_now", OffsetDateTime.class).toInstant();
        long age = Math.max(0, Duration.between(heartbeat, now).toMillis());
        String state = rs.getString("state");
        if ((WorkerNode.ACTIVE.equals(state) || WorkerNode.DRAINING.equals(state)) && age > rs.getLong("lost_after_ms")) {
            state = WorkerNode.LOST; // as good as lost: the next sweep marks it
        }
        long gpuMemory = rs.getLong("gpu_memory_bytes");
        Long gpu = rs.wasNull() ? null : gpuMemory;
        String jobs = rs.getString("running_jobs");
        List<String> running = jobs == null || jobs.isEmpty() ? List.of() : Arrays.asList(jobs.split(","));
        NodeLabels labels = new NodeLabels(rs.getString("device"), rs.getString("gpu_model"), gpu,
                rs.getLong("ram_bytes"), rs.getString("pool"));
        return new WorkerNode(rs.getString("id"), rs.getString("name"), NodeRole.of(rs.getString("role")), state,
                labels, rs.getInt("capacity"), running, rs.getObject("started_at", OffsetDateTime.class).toInstant(),
                heartbeat, age);
    }

    private static String defaultName() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            host = "localhost";
        }
        return host + "-" + ManagementFactory.getRuntimeMXBean().getPid();
    }
}
