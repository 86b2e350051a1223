package dev.tropism.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tropism.TropismApplication;
import dev.tropism.bench.BenchmarkDocs;
import dev.tropism.models.ModelStore;
import dev.tropism.storage.ObjectStore;
import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Import;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * Worker-node dispatch, measured on this machine with the production defaults (poll interval 500 ms, heartbeat 5 s)
 * and scripted GRPO runs whose steps take a known time, so that what is measured is the service around the steps:
 * <ol>
 *   <li>dispatch overhead per training step: the same jobs in one process ({@code tropism.role=all}, local transport,
 *       embedded H2 as the demo runs) and on a worker JVM over RabbitMQ ({@code api} + {@code worker}, PostgreSQL);</li>
 *   <li>throughput of 4 CPU-bound jobs on 1 worker against 2 workers (capacity 1 each);</li>
 *   <li>time from a worker's {@code kill -9} to its job running again on the other worker.</li>
 * </ol>
 * Run: {@code ./mvnw -Pbench -Dskip.frontend test -Dtest=WorkerDispatchBenchmark}; it rewrites its section of
 * docs/benchmarks.md.
 */
@Tag("bench")
@TropismIntegrationTest
@Import(JobsTestConfig.class)
@TestPropertySource(properties = {"tropism.role=api", "tropism.jobs.checkpoint-interval=5"})
class WorkerDispatchBenchmark {

    private static final int STEPS = 20;
    private static final long STEP_MILLIS = 500;
    private static final int JOBS = 3;

    @Autowired TropismTestClient api;
    @Autowired JobsTestConfig.FakeCatalog catalog;
    @Autowired ModelStore models;
    @Autowired ObjectStore objects;
    @Autowired JdbcClient jdbc;
    @Autowired Environment env;

    private final Map<String, WorkerProcess> workers = new LinkedHashMap<>();

    @AfterEach
    void stopWorkers() throws Exception {
        for (WorkerProcess w : workers.values()) {
            w.kill();
        }
    }

    /** Production heartbeats and polling on the workers. */
    private static Map<String, String> workerDefaults() {
        return Map.of("tropism.worker.heartbeat-interval", "5s", "tropism.jobs.poll-interval", "500ms",
                "tropism.jobs.max-concurrent", "1");
    }

    @Test
    void dispatchOverheadThroughputAndRecovery() throws Exception {
        assumeTrue(WorkerCluster.rabbitMqListens(), "no RabbitMQ on 127.0.0.1:5672");
        StringBuilder table = new StringBuilder();

        // 1. Dispatch overhead: in one process (the demo's setup) against a worker over RabbitMQ.
        Overhead local;
        Path dataDir = Files.createTempDirectory("tropism-bench-local-");
        try (ConfigurableApplicationContext all = new SpringApplicationBuilder(TropismApplication.class,
                JobsTestConfig.class).run("--tropism.data-dir=" + dataDir, "--server.port=0",
                "--tropism.admin-key=" + TropismTestClient.ADMIN_KEY, "--tropism.jobs.checkpoint-interval=5")) {
            WorkerCluster inProcess = new WorkerCluster(TropismTestClient.of(all.getEnvironment()),
                    all.getBean(JobsTestConfig.FakeCatalog.class), all.getBean(ModelStore.class),
                    all.getBean(ObjectStore.class), all.getBean(JdbcClient.class), all.getEnvironment(),
                    new LinkedHashMap<>());
            local = overhead(inProcess);
        }
        WorkerCluster cluster = new WorkerCluster(api, catalog, models, objects, jdbc, env, workers);
        cluster.ensureWorkers(workerDefaults(), "w1");
        Overhead remote = overhead(cluster);
        table.append("| Dispatch | Jobs x steps | Wall per job | Steps per job | Around the steps, per job | Per step |"
                        + " Per step, % of a 0.5 s step |\n|---|---|---|---|---|---|---|\n")
                .append(local.row("in process (all, local, H2)")).append(remote.row("worker over RabbitMQ (api +"
                        + " worker, PostgreSQL)"));
        double extraPerStep = (remote.perJobSeconds() - local.perJobSeconds()) / STEPS;
        table.append(String.format("%nRemote minus in-process: %.3f s per job, %.4f s per step (%.2f%% of a %.1f s"
                + " step).%n%n", remote.perJobSeconds() - local.perJobSeconds(), extraPerStep,
                100 * extraPerStep / (STEP_MILLIS / 1000.0), STEP_MILLIS / 1000.0));
        // The demo's GRPO job: 200 steps of 0.453 s (the GRPO iteration row of this file).
        table.append(String.format("On the demo's GRPO job (200 steps of 0.453 s), the remote dispatch adds %.2f%% of a"
                + " step (target: at most 5%%).%n%n", 100 * (remote.perJobSeconds() - local.perJobSeconds()) / 200
                / 0.453));

        // 2. Throughput: 4 CPU-bound jobs (10 steps of 400 ms of one busy core) on 1 worker, then on 2.
        double oneWorker = makespan(cluster);
        cluster.ensureWorkers(workerDefaults(), "w2");
        double twoWorkers = makespan(cluster);
        table.append("| Workers (capacity 1 each) | 4 jobs x 10 CPU-bound steps of 0.4 s | Jobs per minute |\n"
                        + "|---|---|---|\n")
                .append(String.format("| 1 | %.1f s | %.2f |%n", oneWorker, 4 * 60 / oneWorker))
                .append(String.format("| 2 | %.1f s | %.2f |%n", twoWorkers, 4 * 60 / twoWorkers))
                .append(String.format("%nSpeed-up with 2 workers: %.2fx.%n%n", oneWorker / twoWorkers));

        // 3. Recovery: kill -9 the worker of a running job; the other worker takes it from its last checkpoint.
        table.append("| Run | Heartbeat interval | Kill to job taken back | Kill to job running again | Load"
                + " (dispatch to resumed) | Target: 2 intervals + load |\n|---|---|---|---|---|---|\n");
        for (int run = 1; run <= 2; run++) {
            cluster.ensureWorkers(workerDefaults(), "w1", "w2");
            String id = cluster.submit(60, Map.of("step_millis", 200));
            String workerId = cluster.awaitStep(id, 7).get("worker").get("id").asString();
            WorkerProcess victim = cluster.process(workerId);
            victim.kill();
            Instant killed = Instant.now();
            cluster.awaitStep(id, 12);
            Instant recovered = Instant.parse(cluster.event(id, "job.recovered").get("created_at").asString());
            Instant resumed = Instant.parse(cluster.event(id, "job.resumed").get("created_at").asString());
            List<JsonNode> dispatched = cluster.events(id).stream()
                    .filter(e -> e.get("type").asString().equals("job.dispatched")).toList();
            Instant redispatched = Instant.parse(dispatched.get(dispatched.size() - 1).get("created_at").asString());
            double load = seconds(redispatched, resumed);
            table.append(String.format("| %d | 5 s | %.2f s | %.2f s | %.2f s | %.2f s |%n", run,
                    seconds(killed, recovered), seconds(killed, resumed), load, 10 + load));
            cluster.await(id, "succeeded", Duration.ofSeconds(120));
            assertThat(cluster.steps(id, "train/loss")).isEqualTo(WorkerCluster.range(1, 60));
        }
        System.out.println(table);
        BenchmarkDocs.writeSection("worker-dispatch", "./mvnw -Pbench -Dskip.frontend test"
                + " -Dtest=WorkerDispatchBenchmark", table.toString());
    }

    /** What a job costs around its steps. */
    private record Overhead(double wallSeconds, double stepSeconds) {

        double perJobSeconds() {
            return (wallSeconds - stepSeconds) / JOBS;
        }

        String row(String mode) {
            double perJob = perJobSeconds();
            return String.format("| %s | %d x %d | %.2f s | %.2f s | %.3f s | %.4f s | %.2f%% |%n", mode, JOBS, STEPS,
                    wallSeconds / JOBS, stepSeconds / JOBS, perJob, perJob / STEPS,
                    100 * perJob / STEPS / (STEP_MILLIS / 1000.0));
        }
    }

    /** Runs {@link #JOBS} jobs one after another; wall time from creation to finish, and their steps' time. */
    private static Overhead overhead(WorkerCluster cluster) throws Exception {
        double wall = 0;
        double steps = 0;
        cluster.await(cluster.submit(2, Map.of()), "succeeded", Duration.ofSeconds(120)); // warm-up
        for (int i = 0; i < JOBS; i++) {
            String id = cluster.submit(STEPS, Map.of("step_millis", STEP_MILLIS));
            JsonNode done = cluster.await(id, "succeeded", Duration.ofSeconds(120));
            wall += seconds(Instant.parse(done.get("created_at").asString()),
                    Instant.parse(done.get("finished_at").asString()));
            steps += cluster.values(id, "perf/step_seconds").stream().mapToDouble(Double::doubleValue).sum();
        }
        return new Overhead(wall, steps);
    }

    /** Seconds from the first of 4 CPU-bound jobs submitted to the last finished. */
    private static double makespan(WorkerCluster cluster) throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            ids.add(cluster.submit(10, Map.of("burn_millis", 400)));
        }
        Instant first = null;
        Instant last = null;
        for (String id : ids) {
            JsonNode done = cluster.await(id, "succeeded", Duration.ofSeconds(300));
            Instant created = Instant.parse(done.get("created_at").asString());
            Instant finished = Instant.parse(done.get("finished_at").asString());
            first = first == null || created.isBefore(first) ? created : first;
            last = last == null || finished.isAfter(last) ? finished : last;
        }
        return seconds(first, last);
    }

    private static double seconds(Instant from, Instant to) {
        return Duration.between(from, to).toNanos() / 1e9;
    }
}
