package dev.tropism.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.models.ModelStore;
import dev.tropism.storage.ObjectStore;
import dev.tropism.support.TcpProxy;
import dev.tropism.support.TestDatabaseInitializer;
import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Import;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * The database goes away for a few seconds while a job trains (single process, {@code tropism.role=all}): the job is
 * neither failed nor left hanging; it continues, from its last checkpoint if its launch was lost, to the end, with
 * every metric step once.
 */
@TropismIntegrationTest
@Import(JobsTestConfig.class)
@TestPropertySource(properties = {TestDatabaseInitializer.DATABASE_PROXY_PROPERTY + "=true",
        "tropism.jobs.checkpoint-interval=5", "tropism.jobs.poll-interval=100ms",
        "tropism.worker.heartbeat-interval=500ms"})
class JobDatabaseOutageTest {

    @Autowired TropismTestClient api;
    @Autowired TcpProxy database;
    @Autowired JobsTestConfig.FakeCatalog catalog;
    @Autowired ModelStore models;
    @Autowired ObjectStore objects;
    @Autowired JdbcClient jdbc;
    @Autowired Environment env;

    @AfterEach
    void restore() {
        database.restore();
    }

    @Test
    void aJobOutlivesADatabaseOutage() throws Exception {
        WorkerCluster cluster = new WorkerCluster(api, catalog, models, objects, jdbc, env, new LinkedHashMap<>());
        String id = cluster.submit(40, Map.of("step_millis", 100));
        cluster.awaitStep(id, 12);
        database.cut();
        Thread.sleep(3000);
        database.restore();

        JsonNode done = awaitSucceeded(cluster, id);
        assertThat(done.get("current_step").asInt()).isEqualTo(40);
        assertThat(cluster.steps(id, "train/loss")).isEqualTo(WorkerCluster.range(1, 40));
        List<String> types = cluster.events(id).stream().map(e -> e.get("type").asString()).toList();
        assertThat(types).doesNotContain("job.failed");
    }

    /** Waits for success, tolerating the 503s of the first calls after the outage (Hikari reconnecting). */
    private static JsonNode awaitSucceeded(WorkerCluster cluster, String id) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            var r = cluster.team.calls().get("/v1/jobs/" + id);
            if (r.status() == 200) {
                last = r.json();
                if (last.get("status").asString().equals("succeeded")) {
                    return last;
                }
                assertThat(last.get("status").asString()).as("%s", last).isIn("running", "queued");
            }
            Thread.sleep(100);
        }
        throw new AssertionError("job " + id + " did not succeed after the outage: " + last);
    }
}
