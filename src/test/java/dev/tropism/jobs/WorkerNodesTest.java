package dev.tropism.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tropism.TropismApplication;
import dev.tropism.datasets.DatasetPurpose;
import dev.tropism.engine.PolicyFamily;
import dev.tropism.models.ModelRecord;
import dev.tropism.models.ModelStore;
import dev.tropism.storage.ObjectStore;
import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import dev.tropism.support.TropismTestClient.Team;
import dev.tropism.web.Ids;
import java.io.ByteArrayInputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Import;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Training on worker nodes, end to end on real components: this API node ({@code tropism.role=api}) and two worker
 * JVMs ({@link WorkerProcess}, {@code tropism.role=worker}) share a PostgreSQL database and a local object store, and
 * step requests travel over the machine's RabbitMQ. The workers run the scripted GRPO runs of {@link JobsTestConfig}.
 * Skipped when no RabbitMQ listens on 127.0.0.1:5672 ({@code .ci/run} starts one).
 */
@TropismIntegrationTest
@Import(JobsTestConfig.class)
@TestPropertySource(properties = {"tropism.role=api", "tropism.jobs.checkpoint-interval=5",
        "tropism.jobs.poll-interval=100ms", "tropism.worker.heartbeat-interval=500ms", "tropism.jobs.max-attempts=2"})
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WorkerNodesTest {

    private static final Map<String, WorkerProcess> WORKERS = new LinkedHashMap<>();

    @Autowired TropismTestClient api;
    @Autowired JobsTestConfig.FakeCatalog catalog;
    @Autowired ModelStore models;
    @Autowired ObjectStore objects;
    @Autowired JdbcClient jdbc;
    @Autowired Environment env;
    @Autowired JsonMapper json;

    Team team;
    String baseModel;
    String prompts;
    String rewardSpec;

    @BeforeAll
    static void needsRabbitMq() {
        try (Socket s = new Socket("127.0.0.1", 5672)) {
            assumeTrue(s.isConnected());
        } catch (Exception e) {
            assumeTrue(false, "no RabbitMQ on 127.0.0.1:5672");
        }
    }

    @AfterAll
    static void stopWorkers() throws Exception {
        for (WorkerProcess w : WORKERS.values()) {
            w.kill();
        }
        WORKERS.clear();
    }

    @BeforeEach
    void setUp() throws Exception {
        team = api.newTeam("t-" + UUID.randomUUID().toString().substring(0, 8));
        baseModel = Ids.newId("model_");
        models.insert(new ModelRecord(0, baseModel, team.id(), "base", PolicyFamily.LANGUAGE_MODEL, "tiny-gpt",
                ModelRecord.READY, null, null, null, ModelRecord.prefixOf(baseModel), 1000L, Instant.now()));
        objects.put(ModelRecord.prefixOf(baseModel) + "config.json", new ByteArrayInputStream("{}".getBytes()));
        prompts = catalog.addDataset(team.id(), DatasetPurpose.PROMPTS,
                List.of(Map.of("prompt", "1+1=", "answer", "2"), Map.of("prompt", "2+2=", "answer", "4")));
        rewardSpec = catalog.addRewardSpec(team.id(), Set.of("answer"));
        ensureWorkers("w1", "w2");
    }

    /** Starts the named workers that are not running (in parallel: a worker JVM takes seconds to start). */
    private void ensureWorkers(String... names) throws Exception {
        List<Thread> starting = new ArrayList<>();
        List<Exception> failures = new ArrayList<>();
        for (String name : names) {
            WorkerProcess w = WORKERS.get(name);
            if (w != null && w.alive()) {
                continue;
            }
            Thread t = new Thread(() -> {
                try {
                    WorkerProcess started = WorkerProcess.start(name + "-" + UUID.randomUUID().toString().substring(0, 4),
                            workerProperties(), jdbc);
                    synchronized (WORKERS) {
                        WORKERS.put(name, started);
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

    private Map<String, String> workerProperties() {
        Map<String, String> p = new HashMap<>();
        p.put("spring.datasource.url", env.getRequiredProperty("spring.datasource.url"));
        p.put("spring.datasource.username", env.getProperty("spring.datasource.username", ""));
        p.put("spring.datasource.password", env.getProperty("spring.datasource.password", ""));
        p.put("spring.datasource.hikari.maximum-pool-size", "4");
        p.put("tropism.data-dir", env.getRequiredProperty("tropism.data-dir"));
        p.put("tropism.storage.local-root", env.getRequiredProperty("tropism.storage.local-root"));
        p.put("tropism.admin-key", TropismTestClient.ADMIN_KEY);
        p.put("tropism.jobs.max-concurrent", "2");
        p.put("tropism.jobs.checkpoint-interval", "5");
        p.put("tropism.jobs.poll-interval", "100ms");
        p.put("tropism.worker.heartbeat-interval", "500ms");
        p.put("tropism.engine.device", "cpu");
        return p;
    }

    private Map<String, Object> body(int maxSteps, Map<String, Object> metadata, Map<String, Object> resources) {
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

    private String submit(int maxSteps, Map<String, Object> metadata) {
        ApiResponse r = team.calls().post("/v1/jobs", body(maxSteps, metadata, null));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.json().get("id").asString();
    }

    private JsonNode job(String id) {
        ApiResponse r = team.calls().get("/v1/jobs/" + id);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return r.json();
    }

    private JsonNode await(String id, String status, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode j = job(id);
        while (!j.get("status").asString().equals(status)) {
            assertThat(System.nanoTime()).as("job %s never became %s: %s", id, status, j).isLessThan(deadline);
            Thread.sleep(50);
            j = job(id);
        }
        return j;
    }

    private JsonNode awaitStep(String id, int atLeast) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        JsonNode j = job(id);
        while (j.get("current_step").asInt() < atLeast) {
            assertThat(System.nanoTime()).as("job %s never reached step %s: %s", id, atLeast, j).isLessThan(deadline);
            Thread.sleep(20);
            j = job(id);
        }
        return j;
    }

    private List<Integer> steps(String id, String metric) {
        List<Integer> out = new ArrayList<>();
        team.calls().get("/v1/jobs/" + id + "/metrics?names=" + metric).json().get("metrics").path(metric)
                .forEach(p -> out.add(p.get("step").asInt()));
        return out;
    }

    private List<JsonNode> events(String id) {
        List<JsonNode> out = new ArrayList<>();
        team.calls().get("/v1/jobs/" + id + "/events?limit=100").json().get("data").forEach(out::add);
        return out;
    }

    private static List<Integer> range(int from, int to) {
        List<Integer> out = new ArrayList<>();
        for (int i = from; i <= to; i++) {
            out.add(i);
        }
        return out;
    }

    @Test
    @Order(1)
    void workersRegisterWithTheirLabelsAndAJobAskingForCudaWaitsOnCpuWorkersUntilCancelled() throws Exception {
        ApiResponse workers = api.admin().get("/v1/workers");
        assertThat(workers.status()).as(workers.toString()).isEqualTo(200);
        List<JsonNode> active = new ArrayList<>();
        workers.json().get("data").forEach(w -> {
            if (w.get("state").asString().equals("active")) {
                active.add(w);
            }
        });
        assertThat(active).hasSizeGreaterThanOrEqualTo(2).allSatisfy(w -> {
            assertThat(w.get("role").asString()).isEqualTo("worker");
            assertThat(w.get("labels").get("device").asString()).isEqualTo("cpu");
            assertThat(w.get("labels").get("pool").asString()).isEqualTo("default");
            assertThat(w.get("capacity").asInt()).isEqualTo(2);
        });
        assertThat(team.calls().get("/v1/workers").status()).isEqualTo(403);

        ApiResponse r = team.calls().post("/v1/jobs", body(3, Map.of(), Map.of("device", "cuda", "min_gpu_memory_gb", 24)));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        String id = r.json().get("id").asString();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        JsonNode j = job(id);
        while (j.get("wait_reason").isNull() && System.nanoTime() < deadline) {
            Thread.sleep(50);
            j = job(id);
        }
        assertThat(j.get("status").asString()).isEqualTo("queued");
        assertThat(j.get("wait_reason").asString()).contains("No live worker offers device=cuda, min_gpu_memory_gb=24")
                .contains("cpu/default");
        assertThat(j.get("resources").get("device").asString()).isEqualTo("cuda");
        Thread.sleep(500);
        assertThat(job(id).get("status").asString()).isEqualTo("queued");
        assertThat(team.calls().post("/v1/jobs/" + id + "/cancel", "").status()).isEqualTo(200);
        await(id, "cancelled", Duration.ofSeconds(10));

        ApiResponse bad = team.calls().post("/v1/jobs", body(3, Map.of(), Map.of("device", "tpu")));
        assertThat(bad.status()).isEqualTo(422);
        assertThat(bad.text()).contains("/resources/device");
    }

    @Test
    @Order(2)
    void aJobRunsOnAWorkerAndFinishesOnTheOtherWhenItsWorkerIsKilled() throws Exception {
        String id = submit(40, Map.of("step_millis", 100));
        JsonNode running = awaitStep(id, 12); // past the checkpoint at step 10
        String workerId = running.get("worker").get("id").asString();
        WorkerProcess victim = WORKERS.values().stream().filter(w -> workerId.equals(nodeId(w))).findFirst()
                .orElseThrow();
        victim.kill();
        Instant killed = Instant.now();

        JsonNode done = await(id, "succeeded", Duration.ofSeconds(90));
        assertThat(done.get("worker").get("id").asString()).isNotEqualTo(workerId);
        assertThat(done.get("attempts").asInt()).isZero(); // reset by the checkpoints after the resume
        assertThat(steps(id, "train/loss")).isEqualTo(range(1, 40));
        List<JsonNode> events = events(id);
        List<String> types = events.stream().map(e -> e.get("type").asString()).toList();
        assertThat(types).contains("job.recovered", "job.resumed", "job.succeeded");
        JsonNode resumed = events.stream().filter(e -> e.get("type").asString().equals("job.resumed")).findFirst()
                .orElseThrow();
        assertThat(resumed.get("data").get("step").asInt()).isIn(10, 15);
        System.out.printf("worker killed at %s; job resumed at %s%n", killed, resumed.get("created_at").asString());
    }

    private String nodeId(WorkerProcess w) {
        return jdbc.sql("SELECT id FROM nodes WHERE name = ? ORDER BY started_at DESC LIMIT 1").param(w.name)
                .query(String.class).optional().orElse("");
    }

    @Test
    @Order(3)
    void twoApiInstancesSharingTheDatabaseRunEachOfTwentyJobsExactlyOnce() throws Exception {
        Map<String, String> second = new HashMap<>();
        second.put("spring.datasource.url", env.getRequiredProperty("spring.datasource.url"));
        second.put("spring.datasource.username", env.getProperty("spring.datasource.username", ""));
        second.put("spring.datasource.password", env.getProperty("spring.datasource.password", ""));
        second.put("spring.datasource.hikari.maximum-pool-size", "4");
        second.put("tropism.data-dir", env.getRequiredProperty("tropism.data-dir"));
        second.put("tropism.storage.local-root", env.getRequiredProperty("tropism.storage.local-root"));
        second.put("tropism.admin-key", TropismTestClient.ADMIN_KEY);
        second.put("tropism.role", "api");
        second.put("tropism.jobs.poll-interval", "100ms");
        second.put("tropism.worker.heartbeat-interval", "500ms");
        second.put("server.port", "0");
        // As command-line arguments: they must win over application.yml, as a deployment's environment would.
        String[] args = second.entrySet().stream().map(e -> "--" + e.getKey() + "=" + e.getValue())
                .toArray(String[]::new);
        try (ConfigurableApplicationContext other = new SpringApplicationBuilder(TropismApplication.class,
                JobsTestConfig.class).run(args)) {
            catalog.copyTo(other.getBean(JobsTestConfig.FakeCatalog.class));
            int otherPort = Integer.parseInt(other.getEnvironment().getRequiredProperty("local.server.port"));
            HttpClient http = HttpClient.newHttpClient();
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                if (i % 2 == 0) {
                    ids.add(submit(3, Map.of("step_millis", 20)));
                } else {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                                    URI.create("http://127.0.0.1:" + otherPort + "/v1/jobs"))
                            .header("Authorization", "Bearer " + team.key()).header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(json.writeValueAsString(
                                    body(3, Map.of("step_millis", 20), null)))).build(), HttpResponse.BodyHandlers.ofString());
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
                    ids.add(json.readTree(r.body()).get("id").asString());
                }
            }
            for (String id : ids) {
                await(id, "succeeded", Duration.ofSeconds(120));
            }
            for (String id : ids) {
                List<String> types = events(id).stream().map(e -> e.get("type").asString()).toList();
                assertThat(types.stream().filter("job.started"::equals)).as("job %s: %s", id, types).hasSize(1);
                assertThat(types.stream().filter("job.dispatched"::equals)).as("job %s: %s", id, types).hasSize(1);
                assertThat(steps(id, "train/loss")).isEqualTo(range(1, 3));
                int launches = jdbc.sql("SELECT COUNT(*) FROM batch_job_execution_params WHERE parameter_name = 'job_id'"
                        + " AND parameter_value = ?").param(id).query(Integer.class).single();
                assertThat(launches).as("batch launches of %s", id).isEqualTo(1);
            }
            Set<String> dispatchers = Set.copyOf(jdbc.sql("SELECT DISTINCT dispatcher_id FROM jobs WHERE id IN ("
                    + String.join(",", ids.stream().map(i -> "'" + i + "'").toList()) + ")").query(String.class).list());
            System.out.println("dispatchers of the 20 jobs: " + dispatchers);
        }
    }

    @Test
    @Order(4)
    void aJobContinuesWhenTheBrokerDropsEveryConnection() throws Exception {
        assumeTrue(commandExists("rabbitmqctl"), "rabbitmqctl is not installed");
        String id = submit(30, Map.of("step_millis", 100));
        awaitStep(id, 5);
        Process p = new ProcessBuilder("rabbitmqctl", "close_all_connections", "test").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(out).isZero();
        await(id, "succeeded", Duration.ofSeconds(60));
        assertThat(steps(id, "train/loss")).isEqualTo(range(1, 30));
        // The consumers reconnected: a job submitted after the drop is dispatched and runs.
        String after = submit(3, Map.of());
        await(after, "succeeded", Duration.ofSeconds(60));
    }

    @Test
    @Order(5)
    void aStepThatKillsEveryWorkerFailsTheJobAfterMaxAttempts() throws Exception {
        String id = submit(20, Map.of("step_millis", 50, "halt_at_step", 3));
        JsonNode failed = await(id, "failed", Duration.ofSeconds(120));
        assertThat(failed.get("error").get("code").asString()).isEqualTo("worker_lost");
        assertThat(failed.get("error").get("message").asString()).contains("2 lost launches")
                .contains("tropism.jobs.max-attempts=2");
        List<String> types = events(id).stream().map(e -> e.get("type").asString()).toList();
        assertThat(types.stream().filter("job.started"::equals)).hasSize(2);
        assertThat(types).contains("job.recovered", "job.failed");
        assertThat(WORKERS.values().stream().filter(WorkerProcess::alive)).isEmpty();
    }

    private static boolean commandExists(String command) {
        try {
            return new ProcessBuilder("sh", "-c", "command -v " + command).start().waitFor() == 0;
        } catch (Exception e) {
            return false;
        }
    }
}
