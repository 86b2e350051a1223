package dev.tropism.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tropism.TropismApplication;
import dev.tropism.models.ModelStore;
import dev.tropism.storage.ObjectStore;
import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
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

    WorkerCluster cluster;

    @BeforeAll
    static void needsRabbitMq() {
        assumeTrue(WorkerCluster.rabbitMqListens(), "no RabbitMQ on 127.0.0.1:5672");
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
        cluster = new WorkerCluster(api, catalog, models, objects, jdbc, env, WORKERS);
        cluster.ensureWorkers(Map.of("tropism.jobs.max-concurrent", "2"), "w1", "w2");
    }

    private String submit(int maxSteps, Map<String, Object> metadata) {
        return cluster.submit(maxSteps, metadata);
    }

    private JsonNode job(String id) {
        return cluster.job(id);
    }

    private JsonNode await(String id, String status, Duration timeout) throws InterruptedException {
        return cluster.await(id, status, timeout);
    }

    private List<Integer> steps(String id, String metric) {
        return cluster.steps(id, metric);
    }

    private List<JsonNode> events(String id) {
        return cluster.events(id);
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
        assertThat(cluster.team.calls().get("/v1/workers").status()).isEqualTo(403);

        ApiResponse r = cluster.team.calls().post("/v1/jobs", cluster.body(3, Map.of(), Map.of("device", "cuda", "min_gpu_memory_gb", 24)));
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
        assertThat(cluster.team.calls().post("/v1/jobs/" + id + "/cancel", "").status()).isEqualTo(200);
        await(id, "cancelled", Duration.ofSeconds(10));

        ApiResponse bad = cluster.team.calls().post("/v1/jobs", cluster.body(3, Map.of(), Map.of("device", "tpu")));
        assertThat(bad.status()).isEqualTo(422);
        assertThat(bad.text()).contains("/resources/device");
    }

    @Test
    @Order(2)
    void aJobRunsOnAWorkerAndFinishesOnTheOtherWhenItsWorkerIsKilled() throws Exception {
        String id = submit(40, Map.of("step_millis", 100));
        JsonNode running = cluster.awaitStep(id, 12); // past the checkpoint at step 10
        String workerId = running.get("worker").get("id").asString();
        WorkerProcess victim = cluster.process(workerId);
        victim.kill();
        Instant killed = Instant.now();

        JsonNode done = await(id, "succeeded", Duration.ofSeconds(90));
        assertThat(done.get("worker").get("id").asString()).isNotEqualTo(workerId);
        assertThat(done.get("attempts").asInt()).isZero(); // reset by the checkpoints after the resume
        assertThat(steps(id, "train/loss")).isEqualTo(WorkerCluster.range(1, 40));
        List<JsonNode> events = events(id);
        List<String> types = events.stream().map(e -> e.get("type").asString()).toList();
        assertThat(types).contains("job.recovered", "job.resumed", "job.succeeded");
        JsonNode resumed = events.stream().filter(e -> e.get("type").asString().equals("job.resumed")).findFirst()
                .orElseThrow();
        assertThat(resumed.get("data").get("step").asInt()).isIn(10, 15);
        System.out.printf("worker killed at %s; job resumed at %s%n", killed, resumed.get("created_at").asString());
    }

    @Test
    @Order(3)
    void aFrozenWorkerThatWakesUpAfterItsJobMovedOnIsFencedOff() throws Exception {
        String id = submit(60, Map.of("step_millis", 100));
        String workerId = cluster.awaitStep(id, 12).get("worker").get("id").asString();
        WorkerProcess frozen = cluster.process(workerId);
        signal("STOP", frozen); // as a partition or a long pause: no heartbeats, the launch holds its step
        JsonNode moved = cluster.awaitStep(id, 20);
        assertThat(moved.get("worker").get("id").asString()).isNotEqualTo(workerId);
        signal("CONT", frozen); // it wakes up mid-step, on a job that runs elsewhere now

        JsonNode done = await(id, "succeeded", Duration.ofSeconds(90));
        assertThat(done.get("worker").get("id").asString()).isNotEqualTo(workerId);
        // The woken launch wrote nothing: every step once, from the launch that owns the job.
        assertThat(steps(id, "train/loss")).isEqualTo(WorkerCluster.range(1, 60));
        assertThat(cluster.values(id, "train/loss").get(59)).isEqualTo(JobsTestConfig.CountingRun.loss(60));
        // And the node, alive again, heartbeats and takes work again.
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!"active".equals(jdbc.sql("SELECT state FROM nodes WHERE id = ?").param(workerId).query(String.class)
                .single())) {
            assertThat(System.nanoTime()).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    private static void signal(String signal, WorkerProcess w) throws Exception {
        assertThat(new ProcessBuilder("kill", "-" + signal, Long.toString(w.process.pid())).start().waitFor())
                .isZero();
    }

    @Test
    @Order(4)
    void aWorkerStoppedCleanlyGivesItsJobBackAndTakesNoNewOne() throws Exception {
        String id = submit(40, Map.of("step_millis", 100));
        String workerId = cluster.awaitStep(id, 7).get("worker").get("id").asString();
        WorkerProcess draining = cluster.process(workerId);
        draining.close(); // SIGTERM: checkpoint, give the job back, deregister

        JsonNode done = await(id, "succeeded", Duration.ofSeconds(90));
        assertThat(done.get("worker").get("id").asString()).isNotEqualTo(workerId);
        assertThat(done.get("attempts").asInt()).isZero();
        List<String> types = events(id).stream().map(e -> e.get("type").asString()).toList();
        assertThat(types).contains("job.requeued", "job.resumed").doesNotContain("job.recovered");
        assertThat(steps(id, "train/loss")).isEqualTo(WorkerCluster.range(1, 40));
        assertThat(jdbc.sql("SELECT state FROM nodes WHERE id = ?").param(workerId).query(String.class).single())
                .isEqualTo("stopped");
    }

    @Test
    @Order(5)
    void twoApiInstancesSharingTheDatabaseRunEachOfTwentyJobsExactlyOnce() throws Exception {
        Map<String, String> second = cluster.nodeProperties();
        second.put("tropism.role", "api");
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
                            .header("Authorization", "Bearer " + cluster.team.key()).header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(json.writeValueAsString(
                                    cluster.body(3, Map.of("step_millis", 20), null)))).build(), HttpResponse.BodyHandlers.ofString());
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
                assertThat(steps(id, "train/loss")).isEqualTo(WorkerCluster.range(1, 3));
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
    @Order(6)
    void aJobContinuesWhenTheBrokerDropsEveryConnection() throws Exception {
        assumeTrue(commandExists("rabbitmqctl"), "rabbitmqctl is not installed");
        String id = submit(30, Map.of("step_millis", 100));
        cluster.awaitStep(id, 5);
        Process p = new ProcessBuilder("rabbitmqctl", "close_all_connections", "test").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(out).isZero();
        // The job trains on; paused and resumed, it is dispatched again through the reconnected consumers.
        cluster.awaitStep(id, 10);
        assertThat(cluster.team.calls().post("/v1/jobs/" + id + "/pause", "").status()).isEqualTo(200);
        int pausedAt = await(id, "paused", Duration.ofSeconds(30)).get("current_step").asInt();
        assertThat(pausedAt).isGreaterThanOrEqualTo(10).isLessThan(30);
        assertThat(cluster.team.calls().post("/v1/jobs/" + id + "/resume", "").status()).isEqualTo(200);
        await(id, "succeeded", Duration.ofSeconds(60));
        assertThat(steps(id, "train/loss")).isEqualTo(WorkerCluster.range(1, 30));
        assertThat(cluster.event(id, "job.resumed").get("data").get("step").asInt()).isEqualTo(pausedAt);
    }

    @Test
    @Order(7)
    void aJobOutlivesABrokerRestartAndDispatchingWorksAfterIt() throws Exception {
        assumeTrue(commandExists("rabbitmqctl"), "rabbitmqctl is not installed");
        String id = submit(40, Map.of("step_millis", 100));
        cluster.awaitStep(id, 5);
        rabbitmqctl("stop_app");
        try {
            Thread.sleep(2000);
        } finally {
            rabbitmqctl("start_app");
            rabbitmqctl("await_startup");
        }
        await(id, "succeeded", Duration.ofSeconds(90));
        assertThat(steps(id, "train/loss")).isEqualTo(WorkerCluster.range(1, 40));
        // The exchange and the workers' durable queues survived; publishers and consumers reconnected.
        String after = submit(3, Map.of());
        await(after, "succeeded", Duration.ofSeconds(90));
    }

    private static void rabbitmqctl(String command) throws Exception {
        Process p = new ProcessBuilder("rabbitmqctl", command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(out).isZero();
    }

    @Test
    @Order(8)
    void aStepThatKillsEveryWorkerFailsTheJobAfterMaxAttempts() throws Exception {
        String id = submit(20, Map.of("step_millis", 50, "halt_at_step", 3));
        JsonNode failed = await(id, "failed", Duration.ofSeconds(120));
        assertThat(failed.get("error").get("code").asString()).isEqualTo("worker_lost");
        assertThat(failed.get("error").get("message").asString()).contains("2 lost launches")
                .contains("tropism.jobs.max-attempts=2");
        List<String> types = events(id).stream().map(e -> e.get("type").asString()).toList();
        assertThat(types.stream().filter("job.started"::equals)).hasSize(2);
        assertThat(types).contains("job.recovered", "job.failed");
        for (WorkerProcess w : WORKERS.values()) { // both halted in the step (exit status 137), none was spared
            assertThat(w.process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).as(w.name).isTrue();
            assertThat(w.process.exitValue()).as(w.name).isEqualTo(137);
        }
    }

    private static boolean commandExists(String command) {
        try {
            return new ProcessBuilder("sh", "-c", "command -v " + command).start().waitFor() == 0;
        } catch (Exception e) {
            return false;
        }
    }
}
