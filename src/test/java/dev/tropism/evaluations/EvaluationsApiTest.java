package dev.tropism.evaluations;

import static dev.tropism.jobs.RealEngineJobs.lines;
import static dev.tropism.jobs.RealEngineJobs.pointers;
import static dev.tropism.jobs.RealEngineJobs.upload;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import dev.tropism.support.TropismTestClient.Team;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * Suites and evaluations through REST on PostgreSQL, without a policy model: validation (every field at its
 * pointer), versions, a preferences-only evaluation whose accuracy is checked by hand, a baseline with a regression
 * threshold, listing, events and the report formats' errors.
 */
@TropismIntegrationTest
@TestPropertySource(properties = {"tropism.evaluations.poll-interval=100ms", "tropism.evaluations.lease=2s",
        "tropism.webhooks.allowed-hosts=127.0.0.1", "tropism.webhooks.delivery.poll-interval=100ms"})
class EvaluationsApiTest {

    @Autowired TropismTestClient api;

    /** Four pairs: the chosen answer is longer in three, as long in one. */
    private static final List<Map<String, Object>> PAIRS = List.of(
            Map.of("prompt", "a", "chosen", "xxxx", "rejected", "x"),
            Map.of("prompt", "b", "chosen", "xxx", "rejected", "xx"),
            Map.of("prompt", "c", "chosen", "xx", "rejected", "x"),
            Map.of("prompt", "d", "chosen", "xy", "rejected", "yx"));

    private static String spec(Team team, String name, Map<String, Object> grader) {
        ApiResponse r = team.calls().post("/v1/reward-specs", Map.of("name", name, "grader", grader));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.json().get("id").asString();
    }

    /** Rewards characters: 0.25 per character up to 4. */
    private static Map<String, Object> longer() {
        return Map.of("type", "length", "name", "long", "min", 4, "max", 4, "falloff", 4);
    }

    @Test
    void suitesAreValidatedFieldByFieldAndVersionedByName() {
        Team team = api.newTeam("suites");
        String pairs = upload(team, lines(PAIRS), "preferences");
        String prompts = upload(team, lines(List.of(Map.of("prompt", "1+1=", "answer", "2"))), "prompts");

        ApiResponse empty = team.calls().post("/v1/eval-suites", Map.of());
        assertThat(empty.status()).isEqualTo(422);
        assertThat(pointers(empty)).contains("/name", "");

        Map<String, Object> bad = new LinkedHashMap<>();
        bad.put("name", "no spaces allowed");
        bad.put("preferences", prompts); // wrong purpose
        bad.put("prompts", prompts);      // needs gold and policy
        bad.put("n_samples", 0);
        bad.put("temperature", 3);
        bad.put("baseline", "nobody@production");
        bad.put("thresholds", Map.of("min_pairwise_accuracy", 1.5, "max_regression", Map.of("ece", -1)));
        ApiResponse r = team.calls().post("/v1/eval-suites", bad);
        assertThat(r.status()).as(r.toString()).isEqualTo(422);
        assertThat(pointers(r)).contains("/name", "/preferences", "/gold_reward_spec", "/policy", "/n_samples",
                "/temperature", "/baseline", "/thresholds/min_pairwise_accuracy", "/thresholds/max_regression/ece");

        ApiResponse unmeasurable = team.calls().post("/v1/eval-suites", Map.of("name", "p", "preferences", pairs,
                "thresholds", Map.of("min_gold_correlation", 0.5, "max_regression", Map.of("pairwise_accuracy", 0.1))));
        assertThat(unmeasurable.status()).isEqualTo(422);
        assertThat(pointers(unmeasurable)).containsExactlyInAnyOrder("/thresholds/min_gold_correlation",
                "/thresholds/max_regression");

        ApiResponse unknown = team.calls().post("/v1/eval-suites", Map.of("name", "p", "preferences", pairs,
                "thresholds", Map.of("min_accuracy", 0.5)));
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(pointers(unknown)).containsExactly("/thresholds/min_accuracy");

        ApiResponse v1 = team.calls().post("/v1/eval-suites", Map.of("name", "pairs", "preferences", pairs));
        assertThat(v1.status()).as(v1.toString()).isEqualTo(201);
        assertThat(v1.json().get("version").asInt()).isEqualTo(1);
        assertThat(v1.json().get("n_samples").asInt()).isEqualTo(32);
        ApiResponse v2 = team.calls().post("/v1/eval-suites", Map.of("name", "pairs", "preferences", pairs,
                "thresholds", Map.of("min_pairwise_accuracy", 0.5)));
        assertThat(v2.json().get("version").asInt()).isEqualTo(2);
        assertThat(v2.json().get("thresholds").get("min_pairwise_accuracy").asDouble()).isEqualTo(0.5);
        JsonNode listed = team.calls().get("/v1/eval-suites?name=pairs").json().get("data");
        assertThat(listed).extracting(s -> s.get("version").asInt()).containsExactly(1, 2);
        assertThat(api.newTeam("other").calls().get("/v1/eval-suites/" + v1.json().get("id").asString()).status())
                .isEqualTo(404);
    }

    @Test
    void aPreferencesSuiteMeasuresAccuracyAgainstABaseline() throws Exception {
        Team team = api.newTeam("pairs-eval");
        List<JsonNode> delivered = new CopyOnWriteArrayList<>();
        HttpServer receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        receiver.createContext("/", exchange -> {
            try (exchange) {
                delivered.add(dev.tropism.jobs.RealEngineJobs.JSON.readTree(exchange.getRequestBody().readAllBytes()));
                exchange.sendResponseHeaders(204, -1);
            }
        });
        receiver.start();
        ApiResponse endpoint = team.calls().post("/v1/webhook-endpoints", Map.of("url", "http://127.0.0.1:"
                + receiver.getAddress().getPort() + "/hook", "events", List.of("evaluation.completed")));
        assertThat(endpoint.status()).as(endpoint.toString()).isEqualTo(201);
        String pairs = upload(team, lines(PAIRS), "preferences");
        String longer = spec(team, "longer", longer());
        String shorter = spec(team, "shorter", Map.of("type", "length", "name", "short", "max", 1, "falloff", 4));
        ApiResponse suite = team.calls().post("/v1/eval-suites", Map.of("name", "lengths", "preferences", pairs,
                "baseline", longer, "thresholds", Map.of("min_pairwise_accuracy", 0.8,
                        "max_regression", Map.of("pairwise_accuracy", 0.1))));
        assertThat(suite.status()).as(suite.toString()).isEqualTo(201);

        // Validation of the evaluation itself.
        ApiResponse missing = team.calls().post("/v1/evaluations", Map.of());
        assertThat(pointers(missing)).containsExactlyInAnyOrder("/suite", "/candidate");
        ApiResponse wrong = team.calls().post("/v1/evaluations", Map.of("suite", "nope", "candidate", "nobody@x"));
        assertThat(wrong.status()).isEqualTo(422);
        assertThat(pointers(wrong)).containsExactlyInAnyOrder("/suite", "/candidate");

        // The baseline itself: 3 longer chosen, 1 tie -> (3 + 0.5) / 4.
        JsonNode same = RewardGateTest.evaluate(team, "lengths", longer);
        assertThat(same.get("verdict").asString()).isEqualTo("passed");
        JsonNode sameReport = team.calls().get("/v1/evaluations/" + same.get("id").asString() + "/report").json();
        assertThat(sameReport.get("candidate").get("pairwise").get("accuracy").asDouble()).isEqualTo(0.875);
        assertThat(sameReport.get("candidate").get("pairwise").get("ties").asInt()).isEqualTo(1);
        assertThat(sameReport.get("deltas").get("pairwise_accuracy").asDouble()).isEqualTo(0.0);

        // The reverse spec: (0 + 0.5) / 4; fails the floor and the regression against the baseline.
        JsonNode reversed = RewardGateTest.evaluate(team, "lengths", shorter);
        assertThat(reversed.get("verdict").asString()).isEqualTo("failed");
        assertThat(reversed.get("failed_thresholds")).extracting(f -> f.get("name").asString())
                .containsExactlyInAnyOrder("min_pairwise_accuracy", "max_regression.pairwise_accuracy");
        JsonNode report = team.calls().get("/v1/evaluations/" + reversed.get("id").asString() + "/report").json();
        assertThat(report.get("candidate").get("pairwise").get("accuracy").asDouble()).isEqualTo(0.125);
        assertThat(report.get("baseline").get("pairwise").get("accuracy").asDouble()).isEqualTo(0.875);
        assertThat(report.get("deltas").get("pairwise_accuracy").asDouble()).isCloseTo(-0.75,
                org.assertj.core.data.Offset.offset(1e-9));
        assertThat(report.get("candidate").get("gold").isNull()).isTrue();

        // Lists, events, formats.
        JsonNode list = team.calls().get("/v1/evaluations?suite=lengths&status=completed").json().get("data");
        assertThat(list).extracting(e -> e.get("id").asString())
                .containsExactly(reversed.get("id").asString(), same.get("id").asString());
        JsonNode events = team.calls().get("/v1/evaluations/" + reversed.get("id").asString() + "/events").json()
                .get("data");
        assertThat(events).extracting(e -> e.get("type").asString())
                .containsSubsequence("evaluation.queued", "evaluation.started", "evaluation.completed");
        assertThat(team.calls().get("/v1/evaluations/" + reversed.get("id").asString() + "/report?format=pdf")
                .status()).isEqualTo(400);
        assertThat(team.calls().get("/v1/evaluations/" + reversed.get("id").asString() + "/report/curve.png")
                .status()).as("no prompts, no curve").isEqualTo(404);
        assertThat(team.calls().post("/v1/evaluations/" + reversed.get("id").asString() + "/cancel", Map.of())
                .status()).isEqualTo(409);
        assertThat(team.calls().get("/v1/evaluations?status=done").status()).isEqualTo(400);
        assertThat(api.newTeam("nosy").calls().get("/v1/evaluations/" + reversed.get("id").asString()).status())
                .isEqualTo(404);

        // A gate counts only evaluations against the suite's own baseline: a caller cannot pass it by choosing an
        // easier baseline.
        assertThat(team.calls().post("/v1/eval-suites", Map.of("name", "no-worse", "preferences", pairs, "baseline",
                longer, "thresholds", Map.of("max_regression", Map.of("pairwise_accuracy", 0.1)))).status())
                .isEqualTo(201);
        ApiResponse easy = team.calls().post("/v1/evaluations", Map.of("suite", "no-worse", "candidate", shorter,
                "baseline", shorter));
        assertThat(easy.status()).as(easy.toString()).isEqualTo(201);
        JsonNode easyDone = awaitEnded(team, easy.json().get("id").asString());
        assertThat(easyDone.get("verdict").asString()).as("no worse than itself").isEqualTo("passed");
        ApiResponse gated = team.calls().post("/v1/aliases/lengths@production", Map.of("target", shorter,
                "require_passing_suite", "no-worse"));
        assertThat(gated.status()).as(gated.toString()).isEqualTo(409);
        assertThat(gated.json().get("evaluation").isNull()).as(gated.toString()).isTrue();

        // Each of the three verdicts went out as an evaluation.completed webhook.
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (delivered.size() < 3 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        receiver.stop(0);
        assertThat(delivered).hasSize(3);
        JsonNode last = delivered.stream().filter(d -> d.get("data").get("evaluation").asString()
                .equals(reversed.get("id").asString())).findFirst().orElseThrow();
        assertThat(last.get("type").asString()).isEqualTo("evaluation.completed");
        assertThat(last.get("data").get("status").asString()).isEqualTo("completed");
        assertThat(last.get("data").get("verdict").asString()).isEqualTo("failed");
        assertThat(last.get("data").get("failed_thresholds")).extracting(JsonNode::asString)
                .containsExactlyInAnyOrder("min_pairwise_accuracy", "max_regression.pairwise_accuracy");
        assertThat(last.get("data").get("suite_name").asString()).isEqualTo("lengths");
    }

    /**
     * A cancel reaches a running evaluation: its candidate is a webhook grader whose scorer holds the first request
     * until the test lets it go, so the evaluation is certainly running when the cancel is asked. It ends
     * {@code cancelled}, never completed; a queued one is cancelled at once; cancelling again is harmless.
     */
    @Test
    void aCancelledEvaluationEndsCancelledWhetherRunningOrQueued() throws Exception {
        Team team = api.newTeam("cancel-eval");
        java.util.concurrent.CountDownLatch arrived = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        HttpServer scorer = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        scorer.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        scorer.createContext("/score", exchange -> {
            try (exchange) {
                JsonNode request = dev.tropism.jobs.RealEngineJobs.JSON.readTree(exchange.getRequestBody().readAllBytes());
                arrived.countDown();
                release.await(30, java.util.concurrent.TimeUnit.SECONDS);
                StringBuilder scores = new StringBuilder("{\"scores\":[");
                for (int i = 0; i < request.get("samples").size(); i++) {
                    scores.append(i == 0 ? "" : ",").append("1");
                }
                byte[] body = scores.append("]}").toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        scorer.start();
        try {
            String pairs = upload(team, lines(PAIRS), "preferences");
            String slow = spec(team, "slow", Map.of("type", "webhook", "name", "slow", "url", "http://127.0.0.1:"
                    + scorer.getAddress().getPort() + "/score", "timeout_ms", 60000, "max_retries", 0));
            String longer = spec(team, "longer", longer());
            assertThat(team.calls().post("/v1/eval-suites", Map.of("name", "held", "preferences", pairs)).status())
                    .isEqualTo(201);

            String running = team.calls().post("/v1/evaluations", Map.of("suite", "held", "candidate", slow)).json()
                    .get("id").asString();
            assertThat(arrived.await(30, java.util.concurrent.TimeUnit.SECONDS)).as("the scorer was called").isTrue();
            // one evaluation runs at a time here: this one waits behind the held one
            String queued = team.calls().post("/v1/evaluations", Map.of("suite", "held", "candidate", longer)).json()
                    .get("id").asString();
            ApiResponse cancelQueued = team.calls().post("/v1/evaluations/" + queued + "/cancel", Map.of());
            assertThat(cancelQueued.status()).isEqualTo(200);
            assertThat(cancelQueued.json().get("status").asString()).isEqualTo("cancelled");

            ApiResponse cancel = team.calls().post("/v1/evaluations/" + running + "/cancel", Map.of());
            assertThat(cancel.status()).as(cancel.toString()).isEqualTo(200);
            assertThat(cancel.json().get("status").asString()).isEqualTo("running");
            JsonNode done = awaitEnded(team, running);
            release.countDown();
            assertThat(done.get("status").asString()).as(done.toString()).isEqualTo("cancelled");
            assertThat(done.get("verdict").isNull()).isTrue();
            assertThat(team.calls().get("/v1/evaluations/" + running + "/events").json().get("data"))
                    .extracting(e -> e.get("type").asString())
                    .contains("evaluation.cancel_requested", "evaluation.cancelled")
                    .doesNotContain("evaluation.completed");
            assertThat(team.calls().post("/v1/evaluations/" + running + "/cancel", Map.of()).status()).isEqualTo(200);
            assertThat(team.calls().get("/v1/evaluations/" + running + "/report").status()).isEqualTo(409);
        } finally {
            release.countDown();
            scorer.stop(0);
        }
    }

    private static JsonNode awaitEnded(Team team, String id) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (true) {
            JsonNode e = team.calls().get("/v1/evaluations/" + id).json();
            if (!e.get("status").asString().equals("queued") && !e.get("status").asString().equals("running")) {
                return e;
            }
            assertThat(System.nanoTime()).as("evaluation %s never ended: %s", id, e).isLessThan(deadline);
            Thread.sleep(50);
        }
    }
}
