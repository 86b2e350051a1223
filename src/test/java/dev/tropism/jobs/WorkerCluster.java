package dev.tropism.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.datasets.DatasetPurpose;
import dev.tropism.engine.PolicyFamily;
import dev.tropism.models.ModelRecord;
import dev.tropism.models.ModelStore;
import dev.tropism.storage.ObjectStore;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import dev.tropism.support.TropismTestClient.Team;
import dev.tropism.web.Ids;
import java.io.ByteArrayInputStream;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;

/**
 * What the worker-node tests and benchmarks share: a fresh team on the API node under test, with a ready base model,
 * a prompt set and a reward spec, scripted GRPO jobs ({@link JobsTestConfig}) to submit and watch, and worker JVMs
 * ({@link WorkerProcess}) pointed at the API node's database and object store.
 */
final class WorkerCluster {

    final TropismTestClient api;
    final JdbcClient jdbc;
    final Environment env;
    final Team team;
    final String baseModel;
    final String prompts;
    final String rewardSpec;
    /** The running worker processes by the test's name for them; shared across a test class's methods. */
    final Map<String, WorkerProcess> workers;

    WorkerCluster(TropismTestClient api, JobsTestConfig.FakeCatalog catalog, ModelStore models, ObjectStore objects,
            JdbcClient jdbc, Environment env, Map<String, WorkerProcess> workers) throws Exception {
        this.api = api;
        this.jdbc = jdbc;
        this.env = env;
        this.workers = workers;
        team = api.newTeam("t-" + UUID.randomUUID().toString().substring(0, 8));
        baseModel = Ids.newId("model_");
        models.insert(new ModelRecord(0, baseModel, team.id(), "base", PolicyFamily.LANGUAGE_MODEL, "tiny-gpt",
                ModelRecord.READY, null, null, null, ModelRecord.prefixOf(baseModel), 1000L, Instant.now()));
        objects.put(ModelRecord.prefixOf(baseModel) + "config.json", new ByteArrayInputStream("{}".getBytes()));
        prompts = catalog.addDataset(team.id(), DatasetPurpose.PROMPTS,
                List.of(Map.of("prompt", "1+1=", "answer", "2"), Map.of("prompt", "2+2=", "answer", "4")));
        rewardSpec = catalog.addRewardSpec(team.id(), Set.of("answer"));
    }

    /** Whether a RabbitMQ broker listens on 127.0.0.1:5672. */
    static boolean rabbitMqListens() {
        try (Socket s = new Socket("127.0.0.1", 5672)) {
            return s.isConnected();
        } catch (Exception e) {
            return false;
        }
    }

    /** Properties that put another node on the API node's database, object store and admin key. */
    Map<String, String> nodeProperties() {
        Map<String, String> p = new HashMap<>();
        p.put("spring.datasource.url", env.getRequiredProperty("spring.datasource.url"));
        p.put("spring.datasource.username", env.getProperty("spring.datasource.username", ""));
        p.put("spring.datasource.password", env.getProperty("spring.datasource.password", ""));
        p.put("spring.datasource.hikari.maximum-pool-size", "4");
        p.put("tropism.data-dir", env.getRequiredProperty("tropism.data-dir"));
        p.put("tropism.storage.local-root", env.getRequiredProperty("tropism.storage.local-root"));
        p.put("tropism.admin-key", TropismTestClient.ADMIN_KEY);
        p.put("tropism.jobs.checkpoint-interval", "5");
        p.put("tropism.jobs.poll-interval", "100ms");
        p.put("tropism.worker.heartbeat-interval", "500ms");
        p.put("tropism.engine.device", "cpu");
        return p;
    }

    /**
     * Starts the named workers that are not running, in parallel (a worker JVM takes seconds to start), with
     * {@link #nodeProperties} and {@code overrides}.
     */
    void ensureWorkers(Map<String, String> overrides, String... names) throws Exception {
        List<Thread> starting = new ArrayList<>();
        List<Exception> failures = new ArrayList<>();
        Map<String, String> properties = nodeProperties();
        properties.putAll(overrides);
        for (String name : names) {
            WorkerProcess w = workers.get(name);
            if (w != null && w.alive()) {
                continue;
            }
            Thread t = new Thread(() -> {
                try {
                    WorkerProcess started = WorkerProcess.start(name + "-" + UUID.randomUUID().toString().substring(0, 4),
                            properties, jdbc);
                    synchronized (workers) {
                        workers.put(name, started);
                    }
                } catch (Exception e) {
                    synchronized (failures) {
                        failures.add(e);
                    }
                }
            });
            t.start();
            starting.add(t);
        }
        for (Thread t : starting) {
            t.join();
        }
        if (!failures.isEmpty()) {
            throw failures.get(0);
        }
    }

    /** Kills every worker. */
    void killWorkers() throws InterruptedException {
        for (WorkerProcess w : workers.values()) {
            w.kill();
        }
        workers.clear();
    }

    /** The node id a worker registered with. */
    String nodeId(WorkerProcess w) {
        return jdbc.sql("SELECT id FROM nodes WHERE name = ? ORDER BY started_at DESC LIMIT 1").param(w.name)
                .query(String.class).optional().orElse("");
    }

    /** The worker process that registered as node {@code nodeId}. */
    WorkerProcess process(String nodeId) {
        return workers.values().stream().filter(w -> nodeId.equals(nodeId(w))).findFirst().orElseThrow();
    }

    /** A scripted GRPO job of {@code maxSteps} steps, without evaluations. */
    Map<String, Object> body(int maxSteps, Map<String, Object> metadata, Map<String, Object> resources) {
        Map<String, Object> b = new HashMap<>();
        b.put("model", baseModel);
        b.put("dataset", prompts);
        b.put("reward_spec", rewardSpec);
        b.put("method", Map.of("type", "grpo", "grpo", Map.of("max_steps", maxSteps, "warmup_steps", 0,
                "eval_interval", 0)));
        b.put("metadata", metadata);
        if (resources != null) {
            b.put("resources", resources);
        }
        return b;
    }

    String submit(int maxSteps, Map<String, Object> metadata) {
        ApiResponse r = team.calls().post("/v1/jobs", body(maxSteps, metadata, null));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.json().get("id").asString();
    }

    JsonNode job(String id) {
        ApiResponse r = team.calls().get("/v1/jobs/" + id);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return r.json();
    }

    JsonNode await(String id, String status, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode j = job(id);
        while (!j.get("status").asString().equals(status)) {
            assertThat(System.nanoTime()).as("job %s never became %s: %s", id, status, j).isLessThan(deadline);
            Thread.sleep(50);
            j = job(id);
        }
        return j;
    }

    JsonNode awaitStep(String id, int atLeast) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        JsonNode j = job(id);
        while (j.get("current_step").asInt() < atLeast) {
            assertThat(System.nanoTime()).as("job %s never reached step %s: %s", id, atLeast, j).isLessThan(deadline);
            Thread.sleep(20);
            j = job(id);
        }
        return j;
    }

    /** The steps at which {@code metric} was recorded, in order. */
    List<Integer> steps(String id, String metric) {
        List<Integer> out = new ArrayList<>();
        team.calls().get("/v1/jobs/" + id + "/metrics?names=" + metric).json().get("metrics").path(metric)
                .forEach(p -> out.add(p.get("step").asInt()));
        return out;
    }

    /** The values of {@code metric}, in step order. */
    List<Double> values(String id, String metric) {
        List<Double> out = new ArrayList<>();
        team.calls().get("/v1/jobs/" + id + "/metrics?names=" + metric).json().get("metrics").path(metric)
                .forEach(p -> out.add(p.get("value").asDouble()));
        return out;
    }

    List<JsonNode> events(String id) {
        List<JsonNode> out = new ArrayList<>();
        team.calls().get("/v1/jobs/" + id + "/events?limit=100").json().get("data").forEach(out::add);
        return out;
    }

    /** The first event of {@code type}. */
    JsonNode event(String id, String type) {
        return events(id).stream().filter(e -> e.get("type").asString().equals(type)).findFirst().orElseThrow();
    }

    static List<Integer> range(int from, int to) {
        List<Integer> out = new ArrayList<>();
        for (int i = from; i <= to; i++) {
            out.add(i);
        }
        return out;
    }
}
