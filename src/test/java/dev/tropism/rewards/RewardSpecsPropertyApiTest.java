package dev.tropism.rewards;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;

import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Random specs POSTed to the real API (PostgreSQL, full app): every one is either created (201) or
 * answered with RFC 9457 problem details (4xx, a {@code code}, pointers into the body), never a 5xx;
 * and every created one scores random samples with 200 and a finite reward.
 */
@TropismIntegrationTest
class RewardSpecsPropertyApiTest {

    @Autowired
    TropismTestClient api;
    TropismTestClient.Team team;

    @BeforeEach
    void team() {
        team = api.newTeam("fuzz");
    }

    /** Asserts {@code r} is a problem-details 4xx whose violations point into the request body. */
    static void assertProblem(ApiResponse r) {
        assertThat(r.status()).as(r.toString()).isBetween(400, 499);
        assertThat(r.contentType().isCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)).as(r.toString()).isTrue();
        JsonNode body = r.json();
        assertThat(body.get("status").asInt()).isEqualTo(r.status());
        assertThat(body.get("code").asString()).matches("[a-z_]+");
        if (r.status() == 422 && body.has("errors")) {
            assertThat(body.get("errors")).isNotEmpty().allSatisfy(e -> {
                assertThat(e.get("pointer").asString()).matches("/(grader|name)(/.*)?");
                assertThat(e.get("detail").asString()).isNotBlank();
            });
        }
    }

    @Test
    void randomSpecsAreCreatedOrGetProblemDetailsNever5xx() {
        AtomicInteger created = new AtomicInteger();
        AtomicInteger rejected = new AtomicInteger();
        qt().withFixedSeed(GraderPropertiesTest.SEED).withExamples(120)
                .forAll(GraderSpecGen.anySpec(3).mix(GraderSpecGen.plausibleSpec(2), 50), GraderSpecGen.item(),
                        GraderSpecGen.output())
                .checkAssert((grader, item, output) -> {
                    ObjectNode body = GraderSpecGen.NODES.objectNode();
                    body.put("name", "fuzz");
                    body.set("grader", grader);
                    ApiResponse r = team.calls().post("/v1/reward-specs", GraderTests.JSON.writeValueAsString(body));
                    if (r.status() != 201) {
                        assertProblem(r);
                        rejected.incrementAndGet();
                        return;
                    }
                    created.incrementAndGet();
                    String id = r.json().get("id").asString();
                    ApiResponse run = team.calls().post("/v1/reward-specs/" + id + "/run",
                            Map.of("item", item, "sample", Map.of("output_text", output)));
                    assertThat(run.status()).as(run.toString()).isEqualTo(200);
                    assertThat(Double.isFinite(run.json().get("reward").asDouble())).isTrue();
                });
        System.out.println("random specs over the API: " + created.get() + " created, " + rejected.get() + " rejected");
        assertThat(created.get()).isPositive();
        assertThat(rejected.get()).isPositive();
    }

    @Test
    void malformedBodiesGetProblemDetails() {
        for (String body : List.of("{", "[]", "null", "{\"name\":1,\"grader\":{}}", "{\"name\":\"x\",\"grader\":\"regex\"}",
                "{\"name\":\"x\",\"grader\":{\"type\":\"regex\",\"name\":\"r\",\"pattern\":\"(\"}}",
                "{\"name\":\"x\",\"grader\":{\"type\":\"numeric\",\"name\":\"n\",\"reference\":\"1\",\"rel_tol\":NaN}}",
                "{\"name\":\"x\",\"grader\":{\"type\":\"json\",\"name\":\"j\",\"schema\":{\"$ref\":\"file:///etc/passwd\"}}}",
                "{\"name\":\"x\",\"grader\":{\"type\":\"length\",\"name\":\"l\",\"overlong\":{\"max_length\":1e400,\"cache\":1}}}",
                "{\"name\":\"x\",\"grader\":" + "[".repeat(2_000) + "]".repeat(2_000) + "}")) {
            assertProblem(team.calls().post("/v1/reward-specs", body));
            assertProblem(team.calls().post("/v1/reward-specs/validate", body));
        }
        ApiResponse bad = team.calls().post("/v1/reward-specs", "{\"name\":\"x\",\"grader\":{\"type\":\"regex\","
                + "\"name\":\"r\",\"pattern\":\"(?=a)\"}}");
        assertThat(bad.status()).isEqualTo(422);
        assertThat(bad.json().get("errors").get(0).get("pointer").asString()).isEqualTo("/grader/pattern");
        assertThat(bad.json().get("errors").get(0).get("detail").asString()).contains("invalid or unsupported Perl syntax");
    }
}
