package dev.tropism.rewards;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tropism.engine.RewardBatch;
import dev.tropism.engine.RewardError;
import dev.tropism.engine.RewardResult;
import dev.tropism.engine.ScoringContext;
import dev.tropism.rewards.ScorerServer.Answer;
import dev.tropism.rewards.webhook.WebhookGrader;
import dev.tropism.rewards.webhook.WebhookProperties;
import dev.tropism.rewards.webhook.WebhookTransport;
import dev.tropism.web.Violation;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** The webhook grader against real HTTP scorers on 127.0.0.1. */
class WebhookGraderTest {

    /** Breakers that trip fast: 4 calls, ≥ 50% failed, open for 400 ms, one probe. */
    static final WebhookProperties.CircuitBreaker BREAKER = new WebhookProperties.CircuitBreaker(50, 4, 4,
            Duration.ofMillis(400), 1);
    static final WebhookTransport TRANSPORT = new WebhookTransport(WebhookProperties.allowing(List.of("127.0.0.1"), BREAKER));
    static final GraderCompiler COMPILER = GraderCompiler.standard(List.of(new WebhookGrader.Type(TRANSPORT)));

    @AfterAll
    static void closeTransport() {
        TRANSPORT.close();
    }

    static Grader compile(String json) {
        GraderCompiler.Result r = COMPILER.compile(GraderTests.JSON.readTree(json), "/grader");
        assertThat(r.violations()).isEmpty();
        return r.grader();
    }

    static String webhook(ScorerServer server, String extra) {
        return "{\"type\":\"webhook\",\"name\":\"hook\",\"url\":\"" + server.url() + "\"" + extra + "}";
    }

    /** {@code groups} groups of {@code g} samples; item k's answer is "a<k>". */
    static List<RewardResult> score(Grader grader, int groups, int g, List<String> outputs) {
        List<Map<String, Object>> items = new ArrayList<>();
        for (int k = 0; k < groups; k++) {
            items.addAll(Collections.nCopies(g, Map.of("answer", "a" + k, "k", k)));
        }
        return new GraderRewardFunction(grader).score(new RewardBatch(items, outputs, g, ScoringContext.NONE));
    }

    static List<RewardResult> scoreOne(Grader grader, String output) {
        return score(grader, 1, 1, List.of(output));
    }

    static List<String> kinds(List<RewardResult> results) {
        List<String> out = new ArrayList<>();
        results.forEach(r -> r.errors().forEach(e -> out.add(e.kind())));
        return out;
    }

    @Test
    void scoresInConcurrentBatchesWithGroupIndexes() throws Exception {
        try (ScorerServer server = ScorerServer.start((body, call) -> Answer.ok(ScorerServer.exactMatch(body)).after(150))) {
            Grader hook = compile(webhook(server, ",\"batch_size\":6,\"max_concurrency\":2"));
            // 4 groups × 5 samples; in group k, samples 0 and 3 answer "a<k>", the rest are wrong.
            List<String> outputs = new ArrayList<>();
            for (int k = 0; k < 4; k++) {
                outputs.addAll(List.of("a" + k, "x", "a" + (k + 1), "a" + k, ""));
            }
            List<RewardResult> results = score(hook, 4, 5, outputs);

            double[] expected = new double[20];
            for (int k = 0; k < 4; k++) {
                expected[5 * k] = 1.0;
                expected[5 * k + 3] = 1.0;
            }
            assertThat(results.stream().mapToDouble(RewardResult::reward).toArray()).containsExactly(expected);
            assertThat(results.get(0).subRewards()).containsExactly(Map.entry("hook", 1.0));
            assertThat(kinds(results)).isEmpty();
            // 20 samples in requests of at most 6: 6, 6, 6, 2, never more than 2 at once (each takes 150 ms).
            assertThat(server.calls()).isEqualTo(4);
            assertThat(server.seen()).extracting(s -> s.body().get("samples").size())
                    .containsExactlyInAnyOrder(6, 6, 6, 2);
            assertThat(server.maxInFlight()).isEqualTo(2);
            // The first request holds samples 0..5: group 0's five and group 1's first, one item each.
            JsonNode first = server.seen().stream().filter(s -> s.body().get("items").get(0).get("k").asInt() == 0)
                    .findFirst().orElseThrow().body();
            assertThat(first.get("items")).hasSize(2);
            assertThat(first.get("items").get(1).get("answer").asString()).isEqualTo("a1");
            List<Integer> groups = new ArrayList<>();
            first.get("samples").forEach(s -> groups.add(s.get("group").asInt()));
            assertThat(groups).containsExactly(0, 0, 0, 0, 0, 1);
            assertThat(first.get("samples").get(5).get("output_text").asString()).isEqualTo("a1");
        }
    }

    @Test
    void nullScoresAndScorerErrors() throws Exception {
        try (ScorerServer server = ScorerServer.start((body, call) ->
                Answer.ok("{\"scores\":[0.25,null,null,-2],\"errors\":[null,\"too long\",null,\"soft warning\"]}"))) {
            List<RewardResult> r = score(compile(webhook(server, "")), 1, 4, List.of("a", "b", "c", "d"));
            assertThat(r).extracting(RewardResult::reward).containsExactly(0.25, 0.0, 0.0, -2.0);
            assertThat(r.get(0).errors()).isEmpty();
            assertThat(r.get(1).errors()).containsExactly(new RewardError("scorer_error", "hook: too long"));
            assertThat(r.get(2).errors()).containsExactly(new RewardError("scorer_error", "hook: the scorer gave no score"));
            assertThat(r.get(3).errors()).containsExactly(new RewardError("scorer_error", "hook: soft warning"));
        }
    }

    @Test
    void slowScorerNeverHoldsTheStepPastTimeout() throws Exception {
        try (ScorerServer server = ScorerServer.start((body, call) -> Answer.ok(ScorerServer.exactMatch(body)).after(3_000))) {
            Grader hook = compile(webhook(server, ",\"timeout_ms\":300,\"batch_size\":2,\"max_concurrency\":1"));
            long start = System.nanoTime();
            List<RewardResult> r = score(hook, 3, 2, List.of("a0", "a0", "a1", "a1", "a2", "a2"));
            long elapsedMs = (System.nanoTime() - start) / 1_000_000;
            assertThat(elapsedMs).as("grading time").isBetween(300L, 300L + 200);
            assertThat(r).extracting(RewardResult::reward).containsOnly(0.0);
            assertThat(kinds(r)).hasSize(6).containsOnly("timeout");
            // max_concurrency 1: the first request was still out at the deadline, so the others were never sent.
            assertThat(server.calls()).isEqualTo(1);
            assertThat(r.get(5).errors().get(0).message()).isEqualTo("hook: no answer within timeout_ms=300");
        }
    }

    @Test
    void attemptTimeoutIsRetriedWithinTheDeadline() throws Exception {
        try (ScorerServer server = ScorerServer.start((body, call) ->
                Answer.ok(ScorerServer.exactMatch(body)).after(call == 1 ? 2_000 : 0))) {
            Grader hook = compile(webhook(server, ",\"timeout_ms\":3000,\"attempt_timeout_ms\":300"));
            long start = System.nanoTime();
            List<RewardResult> r = scoreOne(hook, "a0");
            assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(1_500);
            assertThat(r.get(0).reward()).isEqualTo(1.0);
            assertThat(server.calls()).isEqualTo(2);
        }
    }

    @Test
    void retries500And429ThenSucceeds() throws Exception {
        for (int status : new int[] {500, 503, 429}) {
            try (ScorerServer server = ScorerServer.start((body, call) ->
                    call == 1 ? Answer.status(status, "busy") : Answer.ok(ScorerServer.exactMatch(body)))) {
                List<RewardResult> r = scoreOne(compile(webhook(server, "")), "a0");
                assertThat(r.get(0).reward()).isEqualTo(1.0);
                assertThat(r.get(0).errors()).isEmpty();
                assertThat(server.calls()).as("status " + status).isEqualTo(2);
            }
        }
        // Retries run out: 1 + max_retries attempts, then the last status is reported.
        try (ScorerServer server = ScorerServer.start((body, call) -> Answer.status(502, "bad gateway"))) {
            List<RewardResult> r = scoreOne(compile(webhook(server, ",\"max_retries\":1")), "a0");
            assertThat(server.calls()).isEqualTo(2);
            assertThat(r.get(0).errors()).containsExactly(new RewardError("http_status", "hook: HTTP 502: bad gateway"));
        }
    }

    @Test
    void clientErrorsAndRedirectsAreNotRetried() throws Exception {
        for (int status : new int[] {400, 404, 302}) {
            try (ScorerServer server = ScorerServer.start((body, call) -> Answer.status(status, ""))) {
                List<RewardResult> r = scoreOne(compile(webhook(server, ",\"max_retries\":3")), "a0");
                assertThat(server.calls()).as("status " + status).isEqualTo(1);
                assertThat(r.get(0).reward()).isEqualTo(0.0);
                assertThat(r.get(0).errors()).extracting(RewardError::kind).containsExactly("http_status");
                assertThat(r.get(0).errors().get(0).message()).startsWith("hook: HTTP " + status);
            }
        }
    }

    @Test
    void malformedAnswersAreReportedAndNotRetried() throws Exception {
        Map<String, String> bodies = Map.of(
                "not json", "answer is not JSON",
                "[1, 2]", "answer must be a JSON object",
                "{\"score\":[1]}", "answer has no \"scores\" array",
                "{\"scores\":[1]}", "answer has 1 scores for 2 samples",
                "{\"scores\":[1,2],\"errors\":[null]}", "\"errors\" must be an array");
        for (Map.Entry<String, String> b : bodies.entrySet()) {
            try (ScorerServer server = ScorerServer.start((body, call) -> Answer.ok(b.getKey()))) {
                List<RewardResult> r = score(compile(webhook(server, "")), 1, 2, List.of("a0", "a0"));
                assertThat(server.calls()).isEqualTo(1);
                assertThat(r).extracting(RewardResult::reward).containsOnly(0.0);
                assertThat(kinds(r)).containsExactly("malformed_response", "malformed_response");
                assertThat(r.get(1).errors().get(0).message()).as(b.getKey()).startsWith("hook: " + b.getValue());
            }
        }
        // A wrong entry spoils only its own sample.
        try (ScorerServer server = ScorerServer.start((body, call) -> Answer.ok("{\"scores\":[\"0.9\",0.5,true]}"))) {
            List<RewardResult> r = score(compile(webhook(server, "")), 1, 3, List.of("a", "b", "c"));
            assertThat(r).extracting(RewardResult::reward).containsExactly(0.0, 0.5, 0.0);
            assertThat(r.get(0).errors()).containsExactly(new RewardError("malformed_response",
                    "hook: score 0 is string, not a number or null"));
            assertThat(r.get(1).errors()).isEmpty();
            assertThat(kinds(r)).containsExactly("malformed_response", "malformed_response");
        }
    }

    @Test
    void nonFiniteScoresScoreZero() throws Exception {
        // NaN and Infinity as Python's json.dumps writes them; 1e999 overflows a double.
        try (ScorerServer server = ScorerServer.start((body, call) ->
                Answer.ok("{\"scores\":[NaN,-Infinity,1e999,0.5]}"))) {
            List<RewardResult> r = score(compile(webhook(server, "")), 1, 4, List.of("a", "b", "c", "d"));
            assertThat(r).extracting(RewardResult::reward).containsExactly(0.0, 0.0, 0.0, 0.5);
            assertThat(kinds(r)).containsExactly("non_finite", "non_finite", "non_finite");
            assertThat(r.get(0).errors().get(0).message()).isEqualTo("hook: score was NaN; scored 0.0");
            assertThat(r.get(0).subRewards()).containsEntry("hook", 0.0);
        }
    }

    @Test
    void connectionRefusedIsAConnectionError() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Grader hook = compile("{\"type\":\"webhook\",\"name\":\"hook\",\"url\":\"http://127.0.0.1:" + port
                + "/score\",\"max_retries\":1}");
        List<RewardResult> r = scoreOne(hook, "a0");
        assertThat(r.get(0).reward()).isEqualTo(0.0);
        assertThat(r.get(0).errors()).extracting(RewardError::kind).containsExactly("connection");
    }

    @Test
    void circuitOpensAfterRepeatedFailuresThenProbes() throws Exception {
        boolean[] healthy = {false};
        try (ScorerServer server = ScorerServer.start((body, call) ->
                healthy[0] ? Answer.ok(ScorerServer.exactMatch(body)) : Answer.status(503, "down"))) {
            Grader hook = compile(webhook(server, ",\"max_retries\":0"));
            // The breaker sees 4 calls, all failed (≥ 50% of a window of 4): it opens.
            for (int i = 0; i < 4; i++) {
                assertThat(kinds(scoreOne(hook, "a0"))).containsExactly("http_status");
            }
            assertThat(server.calls()).isEqualTo(4);
            // Open: answered at once without a call, even once the scorer is back.
            healthy[0] = true;
            List<RewardResult> r = scoreOne(hook, "a0");
            assertThat(kinds(r)).containsExactly("circuit_open");
            assertThat(r.get(0).errors().get(0).message()).contains("circuit breaker for http://127.0.0.1:")
                    .contains("/score is open");
            // The breaker is per URL: a grader of another name on the same URL is refused too.
            assertThat(kinds(scoreOne(compile(webhook(server, "").replace("\"hook\"", "\"other\"")), "a0")))
                    .containsExactly("circuit_open");
            assertThat(server.calls()).isEqualTo(4);
            // After open-duration (400 ms) one probe goes through; it succeeds and the breaker closes.
            Thread.sleep(500);
            assertThat(scoreOne(hook, "a0").get(0).reward()).isEqualTo(1.0);
            assertThat(scoreOne(hook, "a0").get(0).reward()).isEqualTo(1.0);
            assertThat(server.calls()).isEqualTo(6);
        }
    }

    @Test
    void secretIsSentAsBearerOrCustomHeaderAndMaskedInErrors() throws Exception {
        try (ScorerServer server = ScorerServer.start((body, call) -> Answer.ok(ScorerServer.exactMatch(body)))) {
            scoreOne(compile(webhook(server, ",\"secret\":\"s3cr3t-t0ken\",\"headers\":{\"X-Team\":\"research\"}")), "a0");
            scoreOne(compile(webhook(server, ",\"secret\":\"k-123\",\"secret_header\":\"X-Api-Key\"")), "a0");
            List<ScorerServer.Seen> seen = server.seen();
            assertThat(seen.get(0).headers().getFirst("Authorization")).isEqualTo("Bearer s3cr3t-t0ken");
            assertThat(seen.get(0).headers().getFirst("X-Team")).isEqualTo("research");
            assertThat(seen.get(0).headers().getFirst("Content-Type")).isEqualTo("application/json");
            assertThat(seen.get(1).headers().getFirst("X-Api-Key")).isEqualTo("k-123");
            assertThat(seen.get(1).headers().containsKey("Authorization")).isFalse();
        }
        // A scorer that echoes the credentials back does not get them into error messages.
        try (ScorerServer server = ScorerServer.start((body, call) ->
                Answer.status(401, "bad token Bearer s3cr3t-t0ken"))) {
            List<RewardResult> r = scoreOne(compile(webhook(server, ",\"secret\":\"s3cr3t-t0ken\"")), "a0");
            assertThat(r.get(0).errors()).containsExactly(new RewardError("http_status",
                    "hook: HTTP 401: bad token Bearer ********"));
        }
    }

    @Test
    void storedSpecOffTheAllowListCompilesButIsNeverCalled() throws Exception {
        WebhookTransport closed = new WebhookTransport(WebhookProperties.allowing(List.of(), BREAKER));
        try (ScorerServer server = ScorerServer.start((body, call) -> Answer.ok(ScorerServer.exactMatch(body)))) {
            GraderCompiler compiler = GraderCompiler.standard(List.of(new WebhookGrader.Type(closed)));
            JsonNode spec = GraderTests.JSON.readTree(webhook(server, ""));
            assertThat(compiler.compile(spec, "/grader").violations()).extracting(Violation::pointer)
                    .containsExactly("/grader/url");
            GraderCompiler.Result stored = compiler.compileStored(spec, "/grader", null);
            assertThat(stored.valid()).isTrue();
            List<RewardResult> r = scoreOne(stored.grader(), "a0");
            assertThat(r.get(0).errors()).containsExactly(new RewardError("host_not_allowed",
                    "hook: host '127.0.0.1' is not on tropism.webhooks.allowed-hosts"));
            assertThat(server.calls()).isZero();
        } finally {
            closed.close();
        }
    }

    @Test
    void reportsEveryBadFieldWithItsPointer() {
        GraderCompiler.Result r = COMPILER.compile(GraderTests.JSON.readTree("{\"type\":\"multi\",\"name\":\"m\",\"graders\":{"
                + "\"a\":{\"type\":\"webhook\",\"name\":\"a\",\"url\":\"ftp://127.0.0.1/x\",\"timeout_ms\":0,"
                + "\"batch_size\":2.5,\"max_concurrency\":33,\"max_retries\":-1,\"extra\":1},"
                + "\"b\":{\"type\":\"webhook\",\"name\":\"b\",\"url\":\"https://scorer.example.com/x\",\"timeout_ms\":1000,"
                + "\"attempt_timeout_ms\":2000,\"secret\":12,\"headers\":{\"Authorization\":\"Bearer leak\","
                + "\"X-Ok\":\"fine\",\"X-Bad\":\"a\\r\\nInjected: 1\",\"Host\":\"h\",\"bad name\":\"v\"}},"
                + "\"c\":{\"type\":\"webhook\",\"name\":\"c\",\"url\":\"http://user:pw@127.0.0.1/x\",\"secret_header\":\"X-Key\"},"
                + "\"d\":{\"type\":\"webhook\",\"name\":\"d\"},"
                + "\"e\":{\"type\":\"webhook\",\"name\":\"e\",\"url\":\"http://127.0.0.1:1/x\",\"secret\":\"ok-secret\","
                + "\"secret_header\":\"X-Key\",\"headers\":{\"x-key\":\"dup\"}}}}"), "/grader");
        assertThat(r.violations()).extracting(Violation::pointer).containsExactlyInAnyOrder(
                "/grader/graders/a/url", "/grader/graders/a/timeout_ms", "/grader/graders/a/batch_size",
                "/grader/graders/a/max_concurrency", "/grader/graders/a/max_retries", "/grader/graders/a/extra",
                "/grader/graders/b/url", "/grader/graders/b/attempt_timeout_ms", "/grader/graders/b/secret",
                "/grader/graders/b/headers/Authorization", "/grader/graders/b/headers/X-Bad",
                "/grader/graders/b/headers/Host", "/grader/graders/b/headers/bad name",
                "/grader/graders/c/url", "/grader/graders/c/secret_header",
                "/grader/graders/d/url",
                "/grader/graders/e/headers/x-key");
        assertThat(r.violations()).filteredOn(v -> v.pointer().equals("/grader/graders/b/url"))
                .extracting(Violation::reason).containsExactly("host 'scorer.example.com' is not on this server's webhook "
                        + "allow-list (tropism.webhooks.allowed-hosts); ask the operator to add it");
        assertThat(r.violations()).extracting(Violation::reason).noneMatch(m -> m.contains("leak") || m.contains("pw"));
    }

    @Test
    void allowListMatchesExactHostsAndSubdomainWildcards() {
        WebhookProperties p = WebhookProperties.allowing(List.of("Scorer.Internal", "*.example.com", "10.0.0.7"), BREAKER);
        assertThat(p.allows("scorer.internal")).isTrue();
        assertThat(p.allows("SCORER.internal")).isTrue();
        assertThat(p.allows("a.example.com")).isTrue();
        assertThat(p.allows("a.b.example.com")).isTrue();
        assertThat(p.allows("example.com")).isFalse();
        assertThat(p.allows("evilexample.com")).isFalse();
        assertThat(p.allows("example.com.evil.net")).isFalse();
        assertThat(p.allows("10.0.0.7")).isTrue();
        assertThat(p.allows("10.0.0.70")).isFalse();
        assertThat(p.allows(null)).isFalse();
        assertThat(WebhookProperties.allowing(List.of(), BREAKER).allows("localhost")).isFalse();
        assertThat(WebhookProperties.allowing(List.of("[::1]"), BREAKER).allows("[::1]")).isTrue();
        for (String bad : new String[] {"*", "*.", "http://x", "a/b", "*.*.example.com"}) {
            assertThatThrownBy(() -> WebhookProperties.allowing(List.of(bad), BREAKER)).as(bad)
                    .hasMessageContaining("tropism.webhooks.allowed-hosts");
        }
    }
}
