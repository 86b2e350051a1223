package dev.tropism.quotas;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.jobs.JobsTestConfig;
import dev.tropism.jobs.ScriptedJobs;
import dev.tropism.models.ModelStore;
import dev.tropism.storage.ObjectStore;
import dev.tropism.storage.StoredObject;
import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Import;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * Team quotas through the API: reading and setting them, and the 409 {@code quota_exceeded} of each place that takes
 * more (job submission and resume, dataset upload, model upload). The same context as the retention tests.
 */
@TropismIntegrationTest
@Import({JobsTestConfig.class, ScriptedJobs.Recorder.class})
@TestPropertySource(properties = {"tropism.jobs.checkpoint-interval=5", "tropism.jobs.poll-interval=50ms",
        "tropism.jobs.max-concurrent=1"})
class QuotasApiTest {

    @Autowired TropismTestClient api;
    @Autowired JobsTestConfig.FakeCatalog catalog;
    @Autowired ModelStore models;
    @Autowired ObjectStore objects;

    ScriptedJobs jobs;

    @BeforeEach
    void setUp() {
        jobs = new ScriptedJobs(api.newTeam("q-" + UUID.randomUUID().toString().substring(0, 8)), catalog, models);
    }

    private String quotas() {
        return "/v1/teams/" + jobs.team.id() + "/quotas";
    }

    private ApiResponse put(String body) {
        return api.admin().exchange(HttpMethod.PUT, quotas(), MediaType.APPLICATION_JSON, body);
    }

    private ApiResponse uploadDataset() {
        return jobs.team.calls().upload("/v1/datasets", "p.jsonl",
                "{\"prompt\":\"1+1=\",\"answer\":\"2\"}\n".getBytes(StandardCharsets.UTF_8), Map.of("purpose", "prompts"));
    }

    /** A 409 {@code quota_exceeded} problem naming {@code quota} with this limit and usage. */
    private static void assertQuotaExceeded(ApiResponse r, String quota, long limit, long used, String howToRaise) {
        assertThat(r.status()).as(r.toString()).isEqualTo(409);
        assertThat(r.contentType().toString()).startsWith("application/problem+json");
        JsonNode p = r.json();
        assertThat(p.get("code").asString()).isEqualTo("quota_exceeded");
        assertThat(p.get("quota").asString()).isEqualTo(quota);
        assertThat(p.get("limit").asLong()).isEqualTo(limit);
        assertThat(p.get("used").asLong()).isEqualTo(used);
        assertThat(p.get("detail").asString()).contains(howToRaise);
    }

    @Test
    void quotasAreUnlimitedByDefaultAndOnlyTheTeamAndOperatorsSeeThem() {
        ApiResponse r = jobs.team.calls().get(quotas());
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        JsonNode q = r.json();
        assertThat(q.get("team_id").asString()).isEqualTo(jobs.team.id());
        assertThat(q.get("max_concurrent_jobs").isNull()).isTrue();
        assertThat(q.get("max_stored_bytes").isNull()).isTrue();
        assertThat(q.get("used").get("concurrent_jobs").asLong()).isZero();
        assertThat(q.get("used").get("stored_bytes").asLong()).isZero();
        assertThat(q.get("source").asString()).isEqualTo("default");

        var other = api.newTeam("o-" + UUID.randomUUID().toString().substring(0, 8));
        assertThat(other.calls().get(quotas()).status()).isEqualTo(404);
        assertThat(api.admin().get(quotas()).status()).isEqualTo(200);
        assertThat(api.admin().get("/v1/teams/team_nope/quotas").status()).isEqualTo(404);
        // Setting them is for operators (the admin key) only.
        ApiResponse byTeam = jobs.team.calls().exchange(HttpMethod.PUT, quotas(), MediaType.APPLICATION_JSON,
                "{\"max_concurrent_jobs\": 100}");
        assertThat(byTeam.status()).isEqualTo(403);
        assertThat(api.admin().exchange(HttpMethod.PUT, "/v1/teams/team_nope/quotas", MediaType.APPLICATION_JSON,
                "{\"max_concurrent_jobs\": 1}").status()).isEqualTo(404);
    }

    @Test
    void anOperatorSetsQuotasFieldByField() {
        JsonNode q = put("{\"max_concurrent_jobs\": 3}").json();
        assertThat(q.get("max_concurrent_jobs").asLong()).isEqualTo(3);
        assertThat(q.get("max_stored_bytes").isNull()).isTrue();
        assertThat(q.get("source").asString()).isEqualTo("team");
        q = put("{\"max_stored_bytes\": 1000000}").json();
        assertThat(q.get("max_concurrent_jobs").asLong()).as("left out: kept").isEqualTo(3);
        assertThat(q.get("max_stored_bytes").asLong()).isEqualTo(1_000_000);
        q = put("{\"max_concurrent_jobs\": null}").json();
        assertThat(q.get("max_concurrent_jobs").isNull()).as("null: unlimited").isTrue();
        assertThat(jobs.team.calls().get(quotas()).json().get("max_stored_bytes").asLong()).isEqualTo(1_000_000);

        ApiResponse bad = put("{\"max_concurrent_jobs\": -1, \"max_stored_bytes\": \"1GB\", \"max_gpus\": 2}");
        assertThat(bad.status()).isEqualTo(422);
        assertThat(bad.json().get("errors").valueStream().map(e -> e.get("pointer").asString()).toList())
                .containsExactlyInAnyOrder("/max_concurrent_jobs", "/max_stored_bytes", "/max_gpus");
        assertThat(put("[1]").status()).isEqualTo(422);
        assertThat(put("{\"max_concurrent_jobs\": 1.5}").status()).isEqualTo(422);
        assertThat(jobs.team.calls().get(quotas()).json().get("max_stored_bytes").asLong()).as("unchanged")
                .isEqualTo(1_000_000);
    }

    @Test
    void concurrentJobsAreRefusedAboveTheQuotaAtSubmissionAndAtResume() throws Exception {
        put("{\"max_concurrent_jobs\": 1}");
        String first = jobs.submit(jobs.grpo(jobs.baseModel, 1000, 0, Map.of("step_millis", 20)));
        ApiResponse refused = jobs.team.calls().post("/v1/jobs", jobs.grpo(jobs.baseModel, 3, 0, Map.of()));
        assertQuotaExceeded(refused, "concurrent_jobs", 1, 1, "max_concurrent_jobs");
        assertThat(jobs.team.calls().get(quotas()).json().get("used").get("concurrent_jobs").asLong()).isEqualTo(1);

        jobs.await(first, "running");
        assertThat(jobs.team.calls().post("/v1/jobs/" + first + "/pause", "").status()).isEqualTo(200);
        jobs.await(first, "paused");
        // A paused job does not count: another may run, and then the paused one cannot resume.
        String second = jobs.submit(jobs.grpo(jobs.baseModel, 1000, 0, Map.of("step_millis", 20)));
        assertQuotaExceeded(jobs.team.calls().post("/v1/jobs/" + first + "/resume", ""), "concurrent_jobs", 1, 1,
                "max_concurrent_jobs");
        assertThat(jobs.job(first).get("status").asString()).isEqualTo("paused");

        assertThat(jobs.team.calls().post("/v1/jobs/" + second + "/cancel", "").status()).isEqualTo(200);
        jobs.await(second, "cancelled");
        assertThat(jobs.team.calls().post("/v1/jobs/" + first + "/resume", "").status()).isEqualTo(200);
        assertThat(jobs.team.calls().post("/v1/jobs/" + first + "/cancel", "").status()).isEqualTo(200);
        jobs.await(first, "cancelled");
    }

    @Test
    void concurrentSubmissionsCannotBothTakeTheLastSlot() throws Exception {
        put("{\"max_concurrent_jobs\": 2}");
        int clients = 8;
        var pool = java.util.concurrent.Executors.newFixedThreadPool(clients);
        try {
            var start = new java.util.concurrent.CountDownLatch(1);
            List<java.util.concurrent.Future<ApiResponse>> calls = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                calls.add(pool.submit(() -> {
                    start.await();
                    return jobs.team.calls().post("/v1/jobs", jobs.grpo(jobs.baseModel, 1000, 0,
                            Map.of("step_millis", 20)));
                }));
            }
            start.countDown();
            List<String> accepted = new ArrayList<>();
            int refused = 0;
            for (var call : calls) {
                ApiResponse r = call.get();
                if (r.status() == 201) {
                    accepted.add(r.json().get("id").asString());
                } else {
                    assertQuotaExceeded(r, "concurrent_jobs", 2, 2, "max_concurrent_jobs");
                    refused++;
                }
            }
            assertThat(accepted).hasSize(2);
            assertThat(refused).isEqualTo(clients - 2);
            for (String id : accepted) {
                assertThat(jobs.team.calls().post("/v1/jobs/" + id + "/cancel", "").status()).isEqualTo(200);
                jobs.await(id, "cancelled");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void storedBytesAreCountedAndRefusedOnceAtTheQuota() throws Exception {
        // Sizes: a job's checkpoints and aligned model count, each object once.
        String id = jobs.submit(jobs.grpo(jobs.baseModel, 7, 0, Map.of()));
        JsonNode done = jobs.await(id, "succeeded");
        long checkpoints = objects.list("jobs/" + id + "/").stream().mapToLong(StoredObject::size).sum();
        long model = objects.list("models/" + done.get("result_model").asString() + "/").stream()
                .mapToLong(StoredObject::size).sum();
        assertThat(checkpoints).isPositive();
        assertThat(model).isPositive();
        long sum = 0;
        for (JsonNode c : jobs.checkpoints(id)) {
            sum += c.get("size_bytes").asLong();
        }
        assertThat(sum).isEqualTo(checkpoints);
        assertThat(jobs.team.calls().get(quotas()).json().get("used").get("stored_bytes").asLong())
                .isEqualTo(checkpoints + model);

        ApiResponse dataset = uploadDataset();
        assertThat(dataset.status()).as(dataset.toString()).isEqualTo(201);
        long used = checkpoints + model + dataset.json().get("size_bytes").asLong();
        assertThat(jobs.team.calls().get(quotas()).json().get("used").get("stored_bytes").asLong()).isEqualTo(used);

        // At the quota: every place that would store more is refused, with the quota, the limit and what is used.
        put("{\"max_stored_bytes\": " + used + "}");
        assertQuotaExceeded(uploadDataset(), "stored_bytes", used, used, "max_stored_bytes");
        assertQuotaExceeded(jobs.team.calls().post("/v1/datasets/generate", Map.of("generator", "arithmetic")),
                "stored_bytes", used, used, "DELETE /v1/datasets/{id}");
        assertQuotaExceeded(jobs.team.calls().upload("/v1/models", "m.tar.gz", new byte[] {1, 2, 3},
                Map.of("name", "m")), "stored_bytes", used, used, "max_stored_bytes");
        Map<String, Object> body = new HashMap<>(jobs.grpo(jobs.baseModel, 3, 0, Map.of()));
        assertQuotaExceeded(jobs.team.calls().post("/v1/jobs", body), "stored_bytes", used, used, "max_stored_bytes");
        // Deleting a dataset frees its bytes; below the quota again, an upload is taken.
        assertThat(jobs.team.calls().delete("/v1/datasets/" + dataset.json().get("id").asString()).status())
                .isEqualTo(204);
        assertThat(uploadDataset().status()).isEqualTo(201);
        // At the quota again: an invalid job is refused by its validation first, a valid one by the quota.
        assertQuotaExceeded(jobs.team.calls().post("/v1/jobs", body), "stored_bytes", used, used, "max_stored_bytes");
        body.put("model", "model_nope");
        assertThat(jobs.team.calls().post("/v1/jobs", body).status()).isEqualTo(422);
    }
}
