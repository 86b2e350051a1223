package dev.tropism.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.datasets.DatasetPurpose;
import dev.tropism.engine.PolicyFamily;
import dev.tropism.evaluations.EvaluationCompleted;
import dev.tropism.jobs.JobsTestConfig;
import dev.tropism.models.ModelRecord;
import dev.tropism.models.ModelStore;
import dev.tropism.storage.ObjectStore;
import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import dev.tropism.support.TropismTestClient.Team;
import dev.tropism.web.Ids;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.TestPropertySource;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Outbound webhooks on the real PostgreSQL with receivers on 127.0.0.1: the endpoints API and its validation,
 * Standard Webhooks signatures checked by the test's own HMAC, retries, redirects, rotation, redelivery, and the events
 * of real (scripted) jobs.
 */
@TropismIntegrationTest
@Import(JobsTestConfig.class)
@TestPropertySource(properties = {"tropism.webhooks.delivery.initial-backoff=100ms",
        "tropism.webhooks.delivery.max-backoff=200ms", "tropism.webhooks.delivery.poll-interval=50ms",
        "tropism.webhooks.delivery.timeout=2s", "tropism.webhooks.delivery.lease=5s",
        "tropism.webhooks.delivery.secret-grace=1h", "tropism.jobs.checkpoint-interval=5",
        "tropism.jobs.poll-interval=50ms"})
class WebhookEndpointsApiTest {

    static final String SECRET = "whsec_" + java.util.Base64.getEncoder().encodeToString(
            "0123456789abcdef0123456789abcdef".getBytes());
    static final Duration WAIT = Duration.ofSeconds(20);

    @Autowired TropismTestClient api;
    @Autowired JsonMapper json;
    @Autowired ApplicationEventPublisher publisher;
    @Autowired PlatformTransactionManager transactionManager;
    @Autowired JdbcClient jdbc;
    @Autowired JobsTestConfig.FakeCatalog catalog;
    @Autowired ModelStore models;
    @Autowired ObjectStore objects;

    Team team;
    WebhookReceiver receiver;

    @BeforeEach
    void setUp() throws Exception {
        team = api.newTeam("wh-" + UUID.randomUUID().toString().substring(0, 8));
        receiver = WebhookReceiver.start();
    }

    @AfterEach
    void tearDown() {
        receiver.close();
    }

    private String createEndpoint(String url, List<String> events, String secret) {
        Map<String, Object> body = new HashMap<>(Map.of("url", url, "events", events));
        if (secret != null) {
            body.put("secret", secret);
        }
        ApiResponse r = team.calls().post("/v1/webhook-endpoints", body);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.json().get("id").asString();
    }

    /** An evaluation's end, published as the evaluations module does: inside a transaction. */
    private void evaluationCompleted(String teamId, String evaluationId, boolean rollBack) {
        new TransactionTemplate(transactionManager).executeWithoutResult(s -> {
            publisher.publishEvent(new EvaluationCompleted(evaluationId, teamId, "suite_1", "arith", 2, "completed",
                    "failed", List.of("min_gold_correlation"), "rs_1", "helpfulness@candidate"));
            if (rollBack) {
                s.setRollbackOnly();
            }
        });
    }

    private JsonNode deliveries(String endpoint) {
        ApiResponse r = team.calls().get("/v1/webhook-endpoints/" + endpoint + "/deliveries");
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return r.json().get("data");
    }

    /** Waits until the endpoint's only (or first) delivery is {@code status}, and returns it. */
    private JsonNode awaitDelivery(String endpoint, String status) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            JsonNode data = deliveries(endpoint);
            if (!data.isEmpty() && data.get(0).get("status").asString().equals(status)) {
                return data.get(0);
            }
            assertThat(System.nanoTime()).as("delivery never %s: %s", status, data).isLessThan(deadline);
            Thread.sleep(25);
        }
    }

    private ApiResponse patch(String path, Object body) throws Exception {
        HttpResponse<byte[]> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(api.baseUrl() + path))
                .header("Authorization", "Bearer " + team.key()).header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString(json.writeValueAsString(body))).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        return new ApiResponse(r.statusCode(), null, r.body());
    }

    private static List<String> pointers(ApiResponse r) {
        List<String> out = new ArrayList<>();
        r.json().get("errors").forEach(e -> out.add(e.get("pointer").asString()));
        return out;
    }

    @Test
    void aDeliveryIsSignedAsStandardWebhooksSaysAndVerifiesWithAnIndependentHmac() throws Exception {
        String endpoint = createEndpoint(receiver.url("/hooks/ci"), List.of("evaluation.completed"), SECRET);
        evaluationCompleted(team.id(), "eval_rolledback", true); // rolled back: no event, no delivery
        evaluationCompleted(team.id(), "eval_1", false);

        WebhookReceiver.Request got = receiver.await(1, WAIT).get(0);
        assertThat(got.path()).isEqualTo("/hooks/ci");
        assertThat(got.header("content-type")).isEqualTo("application/json");
        String id = got.header("webhook-id");
        String timestamp = got.header("webhook-timestamp");
        assertThat(id).startsWith("msg_");
        assertThat(Long.parseLong(timestamp)).isBetween(Instant.now().getEpochSecond() - 30, Instant.now().getEpochSecond() + 1);
        assertThat(got.header("webhook-signature"))
                .isEqualTo("v1," + WebhookReceiver.expectedSignature(SECRET, id, timestamp, got.body()));
        String tampered = got.body().replace("eval_1", "eval_2");
        assertThat(got.header("webhook-signature"))
                .isNotEqualTo("v1," + WebhookReceiver.expectedSignature(SECRET, id, timestamp, tampered));

        JsonNode body = json.readTree(got.body());
        assertThat(body.propertyNames()).containsExactly("type", "timestamp", "data");
        assertThat(body.get("type").asString()).isEqualTo("evaluation.completed");
        assertThat(Instant.parse(body.get("timestamp").asString())).isBefore(Instant.now());
        JsonNode data = body.get("data");
        assertThat(data.get("evaluation").asString()).isEqualTo("eval_1");
        assertThat(data.get("status").asString()).isEqualTo("completed");
        assertThat(data.get("verdict").asString()).isEqualTo("failed");
        assertThat(data.get("failed_thresholds").get(0).asString()).isEqualTo("min_gold_correlation");
        assertThat(data.get("suite_version").asInt()).isEqualTo(2);
        assertThat(data.get("candidate").get("alias").asString()).isEqualTo("helpfulness@candidate");

        JsonNode delivery = awaitDelivery(endpoint, "delivered");
        assertThat(delivery.get("id").asString()).isEqualTo(id);
        assertThat(delivery.get("event_type").asString()).isEqualTo("evaluation.completed");
        assertThat(delivery.get("attempts").asInt()).isEqualTo(1);
        assertThat(delivery.get("last_status_code").asInt()).isEqualTo(200);
        assertThat(delivery.get("payload")).isEqualTo(body);
        assertThat(delivery.get("next_attempt_at").isNull()).isTrue();
        assertThat(deliveries(endpoint)).hasSize(1); // the rolled-back event left nothing
        Thread.sleep(300);
        assertThat(receiver.requests()).hasSize(1);
    }

    @Test
    void aReceiverThatFailsThreeTimesGetsTheEventOnTheFourthTry() throws Exception {
        receiver.answer(500, 500, 503);
        String endpoint = createEndpoint(receiver.url("/flaky"), List.of("*"), null);
        evaluationCompleted(team.id(), "eval_flaky", false);

        List<WebhookReceiver.Request> got = receiver.await(4, WAIT);
        JsonNode delivery = awaitDelivery(endpoint, "delivered");
        assertThat(delivery.get("attempts").asInt()).isEqualTo(4);
        assertThat(delivery.get("attempt_log")).extracting(a -> a.get("status_code").asInt())
                .containsExactly(500, 500, 503, 200);
        assertThat(delivery.get("attempt_log")).extracting(a -> a.get("attempt").asInt()).containsExactly(1, 2, 3, 4);
        assertThat(delivery.get("attempt_log").get(0).get("error").asString()).contains("HTTP 500");
        assertThat(delivery.get("attempt_log").get(3).get("error").isNull()).isTrue();
        assertThat(delivery.get("attempt_log").get(3).get("delivered").asBoolean()).isTrue();
        // The same message every time: one id, one body; the retries back off (100 ms doubling, equal jitter).
        assertThat(got).extracting(WebhookReceiver.Request::body).containsOnly(got.get(0).body());
        assertThat(got).extracting(r -> r.header("webhook-id")).containsOnly(delivery.get("id").asString());
        for (int i = 1; i < 4; i++) {
            assertThat(Duration.between(got.get(i - 1).at(), got.get(i).at())).isGreaterThanOrEqualTo(Duration.ofMillis(50));
        }
        assertThat(receiver.await(4, WAIT)).hasSize(4);
    }

    @Test
    void redirectsAreNeverFollowedAndCountAsFailures() throws Exception {
        try (WebhookReceiver target = WebhookReceiver.start()) {
            receiver.otherwise(302).redirectTo(target.url("/elsewhere"));
            String endpoint = createEndpoint(receiver.url("/moved"), List.of("evaluation.completed"), null);
            evaluationCompleted(team.id(), "eval_redirect", false);

            receiver.await(2, WAIT);
            JsonNode delivery = deliveries(endpoint).get(0);
            assertThat(delivery.get("status").asString()).isEqualTo("pending");
            assertThat(delivery.get("attempt_log").get(0).get("status_code").asInt()).isEqualTo(302);
            assertThat(delivery.get("attempt_log").get(0).get("error").asString())
                    .contains("HTTP 302", "redirects are not followed");
            assertThat(target.requests()).isEmpty();
            assertThat(team.calls().delete("/v1/webhook-endpoints/" + endpoint).status()).isEqualTo(204);
        }
    }

    @Test
    void createValidatesEveryFieldAndRefusesHostsOffTheAllowList() {
        ApiResponse offList = team.calls().post("/v1/webhook-endpoints",
                Map.of("url", "https://hooks.example.com/tropism", "events", List.of("job.succeeded")));
        assertThat(offList.status()).isEqualTo(422);
        assertThat(pointers(offList)).containsExactly("/url");
        assertThat(offList.json().get("errors").get(0).get("detail").asString()).contains("allow-list");

        ApiResponse bad = team.calls().post("/v1/webhook-endpoints", Map.of("url", "ftp://127.0.0.1/x",
                "events", List.of("job.succeeded", "job.exploded", "job.succeeded"), "secret", "whsec_c2hvcnQ=",
                "description", 7));
        assertThat(bad.status()).isEqualTo(422);
        assertThat(bad.json().get("code").asString()).isEqualTo("validation_failed");
        assertThat(pointers(bad)).containsExactlyInAnyOrder("/url", "/events/1", "/events/2", "/description", "/secret");
        assertThat(bad.text()).doesNotContain("c2hvcnQ");

        assertThat(pointers(team.calls().post("/v1/webhook-endpoints", Map.of()))).containsExactlyInAnyOrder("/url", "/events");
        assertThat(pointers(team.calls().post("/v1/webhook-endpoints", Map.of("url", receiver.url("/"), "events",
                List.of())))).containsExactly("/events");
        assertThat(pointers(team.calls().post("/v1/webhook-endpoints", Map.of("url", receiver.url("/"), "events",
                List.of("*", "job.failed"))))).containsExactly("/events/0");
        assertThat(pointers(team.calls().post("/v1/webhook-endpoints", Map.of("url", "http://user:pw@127.0.0.1/",
                "events", List.of("*"))))).containsExactly("/url");
        assertThat(pointers(team.calls().post("/v1/webhook-endpoints", Map.of("url", receiver.url("/"), "events",
                List.of("*"), "secret", "whsec_not base64!")))).containsExactly("/secret");
        ApiResponse unknown = team.calls().post("/v1/webhook-endpoints", Map.of("url", receiver.url("/"), "events",
                List.of("*"), "retries", 3));
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(pointers(unknown)).containsExactly("/retries");

        ApiResponse ok = team.calls().post("/v1/webhook-endpoints", Map.of("url", receiver.url("/ok"), "events",
                List.of("JOB.SUCCEEDED", "model.ready"), "description", "CI"));
        assertThat(ok.status()).isEqualTo(201);
        assertThat(ok.json().get("events")).extracting(JsonNode::asString).containsExactly("job.succeeded", "model.ready");
        assertThat(ok.json().get("secret").asString()).startsWith("whsec_");
        assertThat(WebhookSignatures.problem(ok.json().get("secret").asString())).isNull();
        assertThat(ok.json().get("enabled").asBoolean()).isTrue();
        assertThat(ok.headers().getLocation().getPath()).isEqualTo("/v1/webhook-endpoints/" + ok.json().get("id").asString());
        // The secret is shown once, and stored encrypted.
        JsonNode got = team.calls().get("/v1/webhook-endpoints/" + ok.json().get("id").asString()).json();
        assertThat(got.has("secret")).isFalse();
        assertThat(got.get("description").asString()).isEqualTo("CI");
        String stored = jdbc.sql("SELECT secret FROM webhook_endpoints WHERE id = ?").param(got.get("id").asString())
                .query(String.class).single();
        assertThat(stored).startsWith("v1:").doesNotContain(ok.json().get("secret").asString().substring(6));
    }

    @Test
    void rotatingTheSecretSignsWithBothDuringTheGracePeriod() throws Exception {
        String endpoint = createEndpoint(receiver.url("/rotating"), List.of("evaluation.completed"), SECRET);
        ApiResponse rotated = team.calls().post("/v1/webhook-endpoints/" + endpoint + "/rotate-secret", null);
        assertThat(rotated.status()).as(rotated.toString()).isEqualTo(200);
        String fresh = rotated.json().get("secret").asString();
        assertThat(fresh).startsWith("whsec_").isNotEqualTo(SECRET);
        Instant graceEnd = Instant.parse(rotated.json().get("previous_secret_expires_at").asString());
        assertThat(graceEnd).isBetween(Instant.now().plus(Duration.ofMinutes(59)), Instant.now().plus(Duration.ofMinutes(61)));
        assertThat(team.calls().get("/v1/webhook-endpoints/" + endpoint).json().has("secret")).isFalse();

        evaluationCompleted(team.id(), "eval_rotated", false);
        WebhookReceiver.Request got = receiver.await(1, WAIT).get(0);
        String[] signatures = got.header("webhook-signature").split(" ");
        assertThat(signatures).containsExactly(
                "v1," + WebhookReceiver.expectedSignature(fresh, got.header("webhook-id"), got.header("webhook-timestamp"), got.body()),
                "v1," + WebhookReceiver.expectedSignature(SECRET, got.header("webhook-id"), got.header("webhook-timestamp"), got.body()));

        // The grace ends (as it would after 1 h): only the new secret signs.
        jdbc.sql("UPDATE webhook_endpoints SET previous_secret_until = ? WHERE id = ?")
                .params(java.time.OffsetDateTime.now().minusSeconds(1), endpoint).update();
        assertThat(team.calls().get("/v1/webhook-endpoints/" + endpoint).json().get("previous_secret_expires_at").isNull())
                .isTrue();
        evaluationCompleted(team.id(), "eval_after_grace", false);
        WebhookReceiver.Request second = receiver.await(2, WAIT).get(1);
        assertThat(second.header("webhook-signature")).isEqualTo("v1," + WebhookReceiver.expectedSignature(fresh,
                second.header("webhook-id"), second.header("webhook-timestamp"), second.body()));

        String given = "whsec_" + java.util.Base64.getEncoder().encodeToString(new byte[24]);
        ApiResponse chosen = team.calls().post("/v1/webhook-endpoints/" + endpoint + "/rotate-secret", Map.of("secret", given));
        assertThat(chosen.json().get("secret").asString()).isEqualTo(given);
        assertThat(pointers(team.calls().post("/v1/webhook-endpoints/" + endpoint + "/rotate-secret",
                Map.of("secret", "whsec_" + java.util.Base64.getEncoder().encodeToString(new byte[8]))))).containsExactly("/secret");
    }

    @Test
    void redeliverMakesANewAttemptEvenOfAFailedDelivery() throws Exception {
        String endpoint = createEndpoint(receiver.url("/again"), List.of("evaluation.completed"), SECRET);
        evaluationCompleted(team.id(), "eval_again", false);
        String id = awaitDelivery(endpoint, "delivered").get("id").asString();

        ApiResponse again = team.calls().post("/v1/webhook-endpoints/" + endpoint + "/deliveries/" + id + "/redeliver", null);
        assertThat(again.status()).as(again.toString()).isEqualTo(202);
        assertThat(again.json().get("status").asString()).isEqualTo("pending");
        List<WebhookReceiver.Request> got = receiver.await(2, WAIT);
        assertThat(got.get(1).header("webhook-id")).isEqualTo(id);
        assertThat(got.get(1).body()).isEqualTo(got.get(0).body());
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (deliveries(endpoint).get(0).get("attempts").asInt() < 2) {
            assertThat(System.nanoTime()).isLessThan(deadline);
            Thread.sleep(25);
        }
        assertThat(deliveries(endpoint).get(0).get("status").asString()).isEqualTo("delivered");

        // A delivery that was given up (as after 24 h of failures) is sent once more on request.
        jdbc.sql("UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL WHERE id = ?").param(id).update();
        assertThat(deliveries(endpoint).get(0).get("status").asString()).isEqualTo("failed");
        assertThat(team.calls().post("/v1/webhook-endpoints/" + endpoint + "/deliveries/" + id + "/redeliver", null)
                .status()).isEqualTo(202);
        receiver.await(3, WAIT);
        JsonNode delivery = awaitDelivery(endpoint, "delivered");
        assertThat(delivery.get("attempts").asInt()).isEqualTo(3);
        assertThat(delivery.get("attempt_log")).hasSize(3);

        assertThat(team.calls().post("/v1/webhook-endpoints/" + endpoint + "/deliveries/msg_nope/redeliver", null)
                .status()).isEqualTo(404);
    }

    @Test
    void patchChangesAnEndpointAndDeleteStopsItsDeliveries() throws Exception {
        String endpoint = createEndpoint(receiver.url("/a"), List.of("job.succeeded"), null);
        ApiResponse bad = patch("/v1/webhook-endpoints/" + endpoint, Map.of("enabled", "no", "url", "https://example.org/x",
                "events", List.of("model.unready")));
        assertThat(bad.status()).isEqualTo(422);
        assertThat(pointers(bad)).containsExactlyInAnyOrder("/enabled", "/url", "/events/0");
        assertThat(patch("/v1/webhook-endpoints/" + endpoint, Map.of("secret", SECRET)).status()).isEqualTo(400);

        ApiResponse off = patch("/v1/webhook-endpoints/" + endpoint, Map.of("enabled", false));
        assertThat(off.status()).isEqualTo(200);
        assertThat(off.json().get("enabled").asBoolean()).isFalse();
        assertThat(off.json().get("url").asString()).isEqualTo(receiver.url("/a"));
        evaluationCompleted(team.id(), "eval_while_disabled", false); // not subscribed, and disabled anyway

        ApiResponse on = patch("/v1/webhook-endpoints/" + endpoint, Map.of("enabled", true, "url", receiver.url("/b"),
                "events", List.of("evaluation.completed"), "description", "moved"));
        assertThat(on.status()).as(on.toString()).isEqualTo(200);
        assertThat(on.json().get("events")).extracting(JsonNode::asString).containsExactly("evaluation.completed");
        assertThat(on.json().get("description").asString()).isEqualTo("moved");
        evaluationCompleted(team.id(), "eval_enabled", false);
        WebhookReceiver.Request got = receiver.await(1, WAIT).get(0);
        assertThat(got.path()).isEqualTo("/b");
        assertThat(got.body()).contains("eval_enabled");
        assertThat(deliveries(endpoint)).hasSize(1);

        // A delivery still retrying when its endpoint goes is dropped with it.
        receiver.otherwise(500);
        evaluationCompleted(team.id(), "eval_doomed", false);
        receiver.await(2, WAIT);
        assertThat(team.calls().delete("/v1/webhook-endpoints/" + endpoint).status()).isEqualTo(204);
        assertThat(team.calls().get("/v1/webhook-endpoints/" + endpoint).status()).isEqualTo(404);
        assertThat(team.calls().get("/v1/webhook-endpoints/" + endpoint + "/deliveries").status()).isEqualTo(404);
        assertThat(jdbc.sql("SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = ?").param(endpoint)
                .query(Integer.class).single()).isZero();
        int after = receiver.requests().size();
        Thread.sleep(500);
        assertThat(receiver.requests().size()).isLessThanOrEqualTo(after + 1); // at most the attempt in flight
    }

    @Test
    void anotherTeamsEndpointsAreNotFoundAndListsArePaged() throws Exception {
        String first = createEndpoint(receiver.url("/1"), List.of("*"), null);
        String second = createEndpoint(receiver.url("/2"), List.of("*"), null);
        Team other = api.newTeam("wh-other-" + UUID.randomUUID().toString().substring(0, 8));
        String base = "/v1/webhook-endpoints/" + first;
        assertThat(other.calls().get(base).status()).isEqualTo(404);
        assertThat(other.calls().delete(base).status()).isEqualTo(404);
        assertThat(other.calls().post(base + "/rotate-secret", null).status()).isEqualTo(404);
        assertThat(other.calls().get(base + "/deliveries").status()).isEqualTo(404);
        assertThat(other.calls().get("/v1/webhook-endpoints").json().get("data")).isEmpty();
        // Another team's events are not delivered to this team's endpoints.
        evaluationCompleted(other.id(), "eval_other_team", false);

        JsonNode page = team.calls().get("/v1/webhook-endpoints?limit=1").json();
        assertThat(page.get("object").asString()).isEqualTo("list");
        assertThat(page.get("data")).extracting(e -> e.get("id").asString()).containsExactly(first);
        assertThat(page.get("has_more").asBoolean()).isTrue();
        JsonNode next = team.calls().get("/v1/webhook-endpoints?limit=1&after=" + first).json();
        assertThat(next.get("data")).extracting(e -> e.get("id").asString()).containsExactly(second);
        assertThat(next.get("has_more").asBoolean()).isFalse();
        assertThat(team.calls().get("/v1/webhook-endpoints/" + first + "/deliveries?status=lost").status()).isEqualTo(400);
        Thread.sleep(300);
        assertThat(receiver.requests()).isEmpty();
        assertThat(api.admin().get("/v1/webhook-endpoints").status()).isEqualTo(400); // team_required
    }

    /**
     * A GRPO job on a new ready base model, with the scripted engine of {@link JobsTestConfig}: {@code maxSteps} steps,
     * evaluations every {@code evalInterval}, checkpoints every 5.
     */
    private Map<String, Object> jobBody(int maxSteps, int evalInterval) throws Exception {
        String model = Ids.newId("model_");
        models.insert(new ModelRecord(0, model, team.id(), "base", PolicyFamily.LANGUAGE_MODEL, "tiny-gpt",
                ModelRecord.READY, null, null, null, ModelRecord.prefixOf(model), 1000L, Instant.now()));
        objects.put(ModelRecord.prefixOf(model) + "config.json", new ByteArrayInputStream("{}".getBytes()));
        String prompts = catalog.addDataset(team.id(), DatasetPurpose.PROMPTS,
                List.of(Map.of("prompt", "1+1=", "answer", "2"), Map.of("prompt", "2+2=", "answer", "4")));
        String spec = catalog.addRewardSpec(team.id(), Set.of("answer"));
        return new HashMap<>(Map.of("model", model, "dataset", prompts, "reward_spec", spec, "method",
                Map.of("type", "grpo", "grpo", Map.of("max_steps", maxSteps, "warmup_steps", 0, "eval_interval", evalInterval)),
                "suffix", "hooked"));
    }

    /** Waits for a delivered message of {@code type} and returns its body. */
    private JsonNode awaitMessage(String type) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            for (WebhookReceiver.Request r : receiver.requests()) {
                JsonNode b = json.readTree(r.body());
                if (b.get("type").asString().equals(type)) {
                    return b;
                }
            }
            assertThat(System.nanoTime()).as("no %s among %s", type, receiver.requests()).isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    @Test
    void theHackingMonitorsAlarmThePauseItCausesAndACancelAreDelivered() throws Exception {
        createEndpoint(receiver.url("/monitor"), List.of("job.reward_hacking_suspected", "job.paused", "job.cancelled"),
                null);
        Map<String, Object> job = jobBody(40, 2);
        job.put("metadata", Map.of("gold_slope", -1.0)); // the scripted gold reward falls while the proxy rises
        job.put("eval_dataset", job.get("dataset"));
        job.put("eval_reward_spec", catalog.addRewardSpec(team.id(), Set.of("answer")));
        job.put("reward_options", Map.of("hacking_monitor", Map.of("window", 10, "on_hacking", "pause")));
        ApiResponse submitted = team.calls().post("/v1/jobs", job);
        assertThat(submitted.status()).as(submitted.toString()).isEqualTo(201);
        String jobId = submitted.json().get("id").asString();

        JsonNode alarm = awaitMessage("job.reward_hacking_suspected").get("data");
        assertThat(alarm.get("job").asString()).isEqualTo(jobId);
        assertThat(alarm.get("step").asInt()).isEqualTo(5); // as JobsApiTest's monitor test works out
        assertThat(alarm.get("message").asString()).startsWith("Reward hacking suspected at step 5");
        assertThat(alarm.get("evidence").get("rule").asString()).isEqualTo("proxy_up_gold_down");
        assertThat(alarm.get("evidence").get("action").asString()).isEqualTo("pause");
        JsonNode paused = awaitMessage("job.paused").get("data");
        assertThat(paused.get("job").asString()).isEqualTo(jobId);
        assertThat(paused.get("status").asString()).isEqualTo("paused");
        assertThat(paused.get("step").asInt()).isEqualTo(5);
        assertThat(paused.get("reason").asString()).isEqualTo("hacking");
        assertThat(team.calls().get("/v1/jobs/" + jobId).json().get("status").asString()).isEqualTo("paused");

        assertThat(team.calls().post("/v1/jobs/" + jobId + "/cancel", "").status()).isEqualTo(200);
        JsonNode cancelled = awaitMessage("job.cancelled").get("data");
        assertThat(cancelled.get("job").asString()).isEqualTo(jobId);
        assertThat(cancelled.get("model").asString()).isEqualTo(job.get("model"));
    }

    @Test
    void aRealJobDeliversJobSucceededAndModelReady() throws Exception {
        String endpoint = createEndpoint(receiver.url("/jobs"), List.of("job.succeeded", "job.failed", "model.ready"), SECRET);
        Map<String, Object> job = jobBody(6, 3);
        String model = (String) job.get("model");
        ApiResponse submitted = team.calls().post("/v1/jobs", job);
        assertThat(submitted.status()).as(submitted.toString()).isEqualTo(201);
        String jobId = submitted.json().get("id").asString();

        // Checkpoint at step 5 (a model @5), then the final one at 6 (@6) and the aligned model; then job.succeeded.
        List<JsonNode> bodies = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (bodies.stream().noneMatch(b -> b.get("type").asString().equals("job.succeeded"))) {
            assertThat(System.nanoTime()).as("no job.succeeded: %s", bodies).isLessThan(deadline);
            Thread.sleep(50);
            bodies.clear();
            for (WebhookReceiver.Request r : receiver.requests()) {
                assertThat(r.header("webhook-signature")).isEqualTo("v1," + WebhookReceiver.expectedSignature(SECRET,
                        r.header("webhook-id"), r.header("webhook-timestamp"), r.body()));
                bodies.add(json.readTree(r.body()));
            }
        }
        JsonNode done = team.calls().get("/v1/jobs/" + jobId).json();
        assertThat(done.get("status").asString()).isEqualTo("succeeded");
        String aligned = done.get("result_model").asString();
        JsonNode succeeded = bodies.stream().filter(b -> b.get("type").asString().equals("job.succeeded")).findFirst()
                .orElseThrow().get("data");
        assertThat(succeeded.get("job").asString()).isEqualTo(jobId);
        assertThat(succeeded.get("status").asString()).isEqualTo("succeeded");
        assertThat(succeeded.get("model").asString()).isEqualTo(model);
        assertThat(succeeded.get("result_model").asString()).isEqualTo(aligned);
        assertThat(succeeded.get("checkpoint").asString()).startsWith("ckpt_");

        List<JsonNode> ready = bodies.stream().filter(b -> b.get("type").asString().equals("model.ready"))
                .map(b -> b.get("data")).toList();
        JsonNode alignedReady = ready.stream().filter(d -> d.get("model").asString().equals(aligned)).findFirst()
                .orElseThrow(() -> new AssertionError("no model.ready for " + aligned + ": " + ready));
        assertThat(alignedReady.get("name").asString()).isEqualTo("base:hooked");
        assertThat(alignedReady.get("family").asString()).isEqualTo("language-model");
        assertThat(alignedReady.get("source").asString()).isEqualTo("job");
        assertThat(alignedReady.get("parent").asString()).isEqualTo(model);
        assertThat(alignedReady.get("job").asString()).isEqualTo(jobId);
        assertThat(ready).filteredOn(d -> d.get("source").asString().equals("checkpoint"))
                .extracting(d -> d.get("name").asString()).containsExactlyInAnyOrder("base:hooked@5", "base:hooked@6");

        // A failing job: job.failed with its code.
        Map<String, Object> failing = new HashMap<>(job);
        failing.put("metadata", Map.of("fail_at_step", 2));
        String failedId = team.calls().post("/v1/jobs", failing).json().get("id").asString();
        JsonNode failed = awaitMessage("job.failed").get("data");
        assertThat(failed.get("job").asString()).isEqualTo(failedId);
        assertThat(failed.get("code").asString()).isNotBlank();
        deadline = System.nanoTime() + WAIT.toNanos();
        while (!deliveries(endpoint).valueStream().allMatch(d -> d.get("status").asString().equals("delivered"))) {
            assertThat(System.nanoTime()).as("undelivered: %s", deliveries(endpoint)).isLessThan(deadline);
            Thread.sleep(25);
        }
    }
}
