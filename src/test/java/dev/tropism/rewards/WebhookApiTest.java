package dev.tropism.rewards;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.rewards.ScorerServer.Answer;
import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
import tools.jackson.databind.JsonNode;

/** Webhook reward specs through the REST API, on PostgreSQL, with the test allow-list {@code 127.0.0.1}. */
@TropismIntegrationTest
class WebhookApiTest {

    static final String SECRET = "tok-9f8e7d6c5b4a";

    @Autowired
    TropismTestClient api;
    @Autowired
    JdbcTemplate jdbc;
    TropismTestClient.Team team;

    @BeforeEach
    void team() {
        team = api.newTeam("hooks");
    }

    static String spec(String url, String extra) {
        return "{\"name\":\"remote\",\"grader\":{\"type\":\"webhook\",\"name\":\"remote\",\"url\":\"" + url + "\"" + extra + "}}";
    }

    @Test
    void urlOffTheAllowListOrUnsafeIsRejectedWithItsPointer() {
        for (String url : new String[] {"https://scorer.example.com/score", "file:///etc/passwd",
                "http://user:" + SECRET + "@127.0.0.1/score", "http://localhost/score"}) {
            ApiResponse r = team.calls().post("/v1/reward-specs", spec(url, ",\"secret\":\"" + SECRET + "\""));
            assertThat(r.status()).as(url).isEqualTo(422);
            assertThat(r.contentType().toString()).startsWith("application/problem+json");
            assertThat(r.json().get("code").asString()).isEqualTo("validation_failed");
            assertThat(RewardSpecsApiTest.pointers(r)).containsExactly("/grader/url");
            assertThat(r.text()).doesNotContain(SECRET);
        }
        ApiResponse bad = team.calls().post("/v1/reward-specs/validate", "{\"grader\":{\"type\":\"webhook\",\"name\":\"w\","
                + "\"url\":\"http://127.0.0.1:1/x\",\"timeout_ms\":\"soon\",\"headers\":{\"Cookie\":\"" + SECRET + "\"}}}");
        assertThat(bad.status()).isEqualTo(422);
        assertThat(RewardSpecsApiTest.pointers(bad)).containsExactlyInAnyOrder("/grader/timeout_ms", "/grader/headers/Cookie");
        assertThat(bad.text()).doesNotContain(SECRET);
        assertThat(team.calls().get("/v1/reward-specs").json().get("data")).isEmpty();
    }

    @Test
    void secretIsEncryptedAtRestNeverShownAndSentToTheScorer() throws Exception {
        try (ScorerServer server = ScorerServer.start((body, call) -> Answer.ok(ScorerServer.exactMatch(body)))) {
            ApiResponse created = team.calls().post("/v1/reward-specs",
                    spec(server.url(), ",\"batch_size\":2,\"secret\":\"" + SECRET + "\",\"headers\":{\"X-Team\":\"hooks\"}"));
            assertThat(created.status()).as(created.toString()).isEqualTo(201);
            String id = created.json().get("id").asString();
            assertThat(created.text()).doesNotContain(SECRET);
            assertThat(created.json().at("/grader/secret").asString()).isEqualTo("********");
            assertThat(created.json().at("/grader/headers/X-Team").asString()).isEqualTo("hooks");

            ApiResponse got = team.calls().get("/v1/reward-specs/" + id);
            assertThat(got.text()).doesNotContain(SECRET).doesNotContain("v1:");
            assertThat(got.json().at("/grader/secret").asString()).isEqualTo("********");
            assertThat(team.calls().get("/v1/reward-specs").text()).doesNotContain(SECRET);

            String stored = jdbc.queryForObject("select grader from reward_specs where id = ?", String.class, id);
            assertThat(stored).doesNotContain(SECRET);
            JsonNode storedJson = ScorerServer.JSON.readTree(stored);
            assertThat(storedJson.at("/secret/encrypted").asString()).startsWith("v1:");

            // "Try it" calls the scorer with the decrypted secret: 3 samples in requests of 2 and 1.
            ApiResponse run = team.calls().post("/v1/reward-specs/" + id + "/run", Map.of("item", Map.of("answer", "42"),
                    "samples", List.of(Map.of("output_text", "42"), Map.of("output_text", "24"), Map.of("output_text", "42"))));
            assertThat(run.status()).as(run.toString()).isEqualTo(200);
            JsonNode results = run.json().get("results");
            assertThat(results).hasSize(3);
            assertThat(results.get(0).get("reward").asDouble()).isEqualTo(1.0);
            assertThat(results.get(1).get("reward").asDouble()).isEqualTo(0.0);
            assertThat(results.get(2).get("reward").asDouble()).isEqualTo(1.0);
            assertThat(results.get(0).get("sub_rewards").get("remote").asDouble()).isEqualTo(1.0);
            assertThat(results.get(0).get("errors")).isEmpty();
            assertThat(server.calls()).isEqualTo(2);
            assertThat(server.seen()).allSatisfy(s -> {
                assertThat(s.headers().getFirst("Authorization")).isEqualTo("Bearer " + SECRET);
                assertThat(s.headers().getFirst("X-Team")).isEqualTo("hooks");
            });
        }
    }

    @Test
    void runReportsScorerFailuresAsErrorsNotServerErrors() throws Exception {
        String id;
        try (ScorerServer server = ScorerServer.start((body, call) -> Answer.ok("{\"scores\":[\"high\"]}"))) {
            ApiResponse created = team.calls().post("/v1/reward-specs", spec(server.url(), ",\"max_retries\":0"));
            id = created.json().get("id").asString();
            ApiResponse run = team.calls().post("/v1/reward-specs/" + id + "/run",
                    Map.of("item", Map.of(), "sample", Map.of("output_text", "x")));
            assertThat(run.status()).isEqualTo(200);
            assertThat(run.json().get("reward").asDouble()).isEqualTo(0.0);
            assertThat(run.json().at("/errors/0/kind").asString()).isEqualTo("malformed_response");
        }
        // The scorer is gone: a connection error, still a 200 with a per-sample error.
        ApiResponse down = team.calls().post("/v1/reward-specs/" + id + "/run",
                Map.of("item", Map.of(), "sample", Map.of("output_text", "x")));
        assertThat(down.status()).isEqualTo(200);
        assertThat(down.json().at("/errors/0/kind").asString()).isEqualTo("connection");
    }
}
