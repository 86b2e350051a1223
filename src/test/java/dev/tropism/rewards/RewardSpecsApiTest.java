package dev.tropism.rewards;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

@TropismIntegrationTest
class RewardSpecsApiTest {

    static final String MULTI = "{\"name\":\"arith\",\"grader\":{\"type\":\"multi\",\"name\":\"total\",\"graders\":{"
            + "\"a\":{\"type\":\"string_check\",\"name\":\"exact\",\"input\":\"{{sample.output_text}}\","
            + "\"reference\":\"{{item.answer}}\",\"operation\":\"eq\"},"
            + "\"b\":{\"type\":\"string_check\",\"name\":\"mentions\",\"input\":\"{{sample.output_text}}\","
            + "\"reference\":\"{{item.answer}}\",\"operation\":\"ilike\"}},"
            + "\"weights\":{\"a\":0.7,\"b\":0.3}}}";

    @Autowired
    TropismTestClient api;
    TropismTestClient.Team team;

    @BeforeEach
    void team() {
        team = api.newTeam("rs");
    }

    static List<String> pointers(ApiResponse r) {
        List<String> out = new ArrayList<>();
        r.json().get("errors").forEach(e -> out.add(e.get("pointer").asString()));
        return out;
    }

    String create(String body) {
        ApiResponse r = team.calls().post("/v1/reward-specs", body);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.json().get("id").asString();
    }

    double run(String id, String answer, String output) {
        ApiResponse r = team.calls().post("/v1/reward-specs/" + id + "/run",
                Map.of("item", Map.of("answer", answer), "sample", Map.of("output_text", output)));
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return r.json().get("reward").asDouble();
    }

    @Test
    void createGetListAndRunMulti() {
        String id = create(MULTI);
        assertThat(id).startsWith("rs_");
        JsonNode got = team.calls().get("/v1/reward-specs/" + id).json();
        assertThat(got.get("name").asString()).isEqualTo("arith");
        assertThat(got.get("item_fields").get(0).asString()).isEqualTo("answer");
        assertThat(got.get("grader").get("weights").get("a").asDouble()).isEqualTo(0.7);
        assertThat(got.get("created_at").asString()).isNotBlank();

        ApiResponse run = team.calls().post("/v1/reward-specs/" + id + "/run",
                "{\"item\":{\"answer\":\"42\"},\"sample\":{\"output_text\":\"42\"}}");
        assertThat(run.json().get("reward").asDouble()).isEqualTo(1.0, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(run.json().get("sub_rewards").get("exact").asDouble()).isEqualTo(1.0);
        assertThat(run.json().get("sub_rewards").get("mentions").asDouble()).isEqualTo(1.0);
        assertThat(run.json().get("sub_rewards").get("total").asDouble()).isEqualTo(1.0, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(run.json().get("errors")).isEmpty();
        // Only "mentions" holds: 0.3
        assertThat(run(id, "Paris", "It is PARIS")).isEqualTo(0.3, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(run(id, "Paris", "Lyon")).isEqualTo(0.0);

        ApiResponse list = team.calls().get("/v1/reward-specs");
        assertThat(list.json().get("data")).hasSize(1);
        assertThat(list.json().get("has_more").asBoolean()).isFalse();
    }

    @Test
    void stringCheckOperationsThroughRun() {
        String eq = create(spec("eq"));
        String ne = create(spec("ne"));
        String like = create(spec("like"));
        String ilike = create(spec("ilike"));
        assertThat(run(eq, "abc", "abc")).isEqualTo(1.0);
        assertThat(run(eq, "abc", "ABC")).isEqualTo(0.0);
        assertThat(run(ne, "abc", "ABC")).isEqualTo(1.0);
        assertThat(run(ne, "abc", "abc")).isEqualTo(0.0);
        assertThat(run(like, "bc", "abcd")).isEqualTo(1.0);
        assertThat(run(like, "BC", "abcd")).isEqualTo(0.0);
        assertThat(run(ilike, "BC", "abcd")).isEqualTo(1.0);
        assertThat(run(ilike, "xy", "abcd")).isEqualTo(0.0);

        ApiResponse missing = team.calls().post("/v1/reward-specs/" + eq + "/run",
                Map.of("item", Map.of("question", "q"), "sample", Map.of("output_text", "x")));
        assertThat(missing.status()).isEqualTo(200);
        assertThat(missing.json().get("reward").asDouble()).isEqualTo(0.0);
        assertThat(missing.json().get("errors").get(0).get("kind").asString()).isEqualTo("missing_field");
        assertThat(missing.json().get("errors").get(0).get("message").asString()).contains("answer");

        // A group of samples is answered with one result each; neither or both of sample/samples is a 422.
        ApiResponse group = team.calls().post("/v1/reward-specs/" + eq + "/run", Map.of("item", Map.of("answer", "a"),
                "samples", List.of(Map.of("output_text", "a"), Map.of("output_text", "b"))));
        assertThat(group.status()).isEqualTo(200);
        assertThat(group.json().get("results").get(0).get("reward").asDouble()).isEqualTo(1.0);
        assertThat(group.json().get("results").get(1).get("reward").asDouble()).isEqualTo(0.0);
        ApiResponse neither = team.calls().post("/v1/reward-specs/" + eq + "/run", Map.of("item", Map.of("answer", "a")));
        assertThat(neither.status()).isEqualTo(422);
        assertThat(neither.json().get("errors").get(0).get("pointer").asString()).isEqualTo("/sample");

        // Paginate: 4 specs, 3 per page.
        ApiResponse p1 = team.calls().get("/v1/reward-specs?limit=3");
        assertThat(p1.json().get("data")).hasSize(3);
        assertThat(p1.json().get("has_more").asBoolean()).isTrue();
        assertThat(p1.json().get("data").get(0).get("id").asString()).isEqualTo(eq);
        ApiResponse p2 = team.calls().get("/v1/reward-specs?limit=3&after=" + p1.json().get("data").get(2).get("id").asString());
        assertThat(p2.json().get("data")).hasSize(1);
        assertThat(p2.json().get("data").get(0).get("id").asString()).isEqualTo(ilike);
    }

    static String spec(String op) {
        return "{\"name\":\"" + op + "\",\"grader\":{\"type\":\"string_check\",\"name\":\"exact\","
                + "\"input\":\"{{sample.output_text}}\",\"reference\":\"{{item.answer}}\",\"operation\":\"" + op + "\"}}";
    }

    @Test
    void validateReportsFieldsOrEveryViolation() {
        ApiResponse ok = team.calls().post("/v1/reward-specs/validate",
                "{\"grader\":" + MULTI.substring(MULTI.indexOf("{\"type\""), MULTI.length() - 1) + "}");
        assertThat(ok.status()).as(ok.toString()).isEqualTo(200);
        assertThat(ok.json().get("valid").asBoolean()).isTrue();
        assertThat(ok.json().get("item_fields").get(0).asString()).isEqualTo("answer");

        ApiResponse bad = team.calls().post("/v1/reward-specs/validate", "{\"grader\":{\"type\":\"multi\",\"name\":\"t\","
                + "\"graders\":{\"a\":{\"type\":\"string_check\",\"name\":\"a\",\"input\":\"{{sample.output_text}}\","
                + "\"reference\":\"{{item.answer.deep}}\",\"operation\":\"eq\"}},\"weights\":{\"b\":1}}}");
        assertThat(bad.status()).isEqualTo(422);
        assertThat(bad.json().get("code").asString()).isEqualTo("validation_failed");
        assertThat(pointers(bad)).containsExactlyInAnyOrder("/grader/graders/a/reference", "/grader/weights/b");

        ApiResponse createBad = team.calls().post("/v1/reward-specs",
                "{\"name\":\"x\",\"grader\":{\"type\":\"string_check\",\"name\":\"e\",\"input\":\"{{output}}\","
                        + "\"reference\":\"r\",\"operation\":\"eq\"}}");
        assertThat(createBad.status()).isEqualTo(422);
        assertThat(pointers(createBad)).containsExactly("/grader/input");
        assertThat(pointers(team.calls().post("/v1/reward-specs", "{\"name\":\"x\"}"))).containsExactly("/grader");
        assertThat(pointers(team.calls().post("/v1/reward-specs", "{\"name\":\"\",\"grader\":{}}")))
                .containsExactly("/name");
    }

    @Test
    void otherTeamsSpecsAreNotFound() {
        String id = create(spec("eq"));
        TropismTestClient.Team other = api.newTeam("other");
        ApiResponse get = other.calls().get("/v1/reward-specs/" + id);
        ApiResponse missing = other.calls().get("/v1/reward-specs/rs_doesnotexist00");
        assertThat(get.status()).isEqualTo(404);
        assertThat(missing.status()).isEqualTo(404);
        assertThat(get.json().get("code").asString()).isEqualTo(missing.json().get("code").asString());
        assertThat(other.calls().post("/v1/reward-specs/" + id + "/run",
                Map.of("item", Map.of(), "sample", Map.of("output_text", ""))).status()).isEqualTo(404);
        assertThat(other.calls().get("/v1/reward-specs").json().get("data")).isEmpty();
        // The admin acting for the owning team sees it; without a team it must name one.
        assertThat(api.adminFor(team.id()).get("/v1/reward-specs/" + id).status()).isEqualTo(200);
        ApiResponse noTeam = api.admin().get("/v1/reward-specs/" + id);
        assertThat(noTeam.status()).isEqualTo(400);
        assertThat(noTeam.json().get("code").asString()).isEqualTo("team_required");
        assertThat(noTeam.json().get("detail").asString()).contains("X-Tropism-Team");
    }

    @Test
    void runRejectsMissingSample() {
        String id = create(spec("eq"));
        ApiResponse r = team.calls().post("/v1/reward-specs/" + id + "/run", Map.of("item", Map.of()));
        assertThat(r.status()).isEqualTo(422);
        assertThat(pointers(r)).containsExactly("/sample");
        ApiResponse wrongType = team.calls().post("/v1/reward-specs/" + id + "/run",
                "{\"item\":[1],\"sample\":{\"output_text\":\"x\"}}");
        assertThat(wrongType.status()).isEqualTo(400);
        assertThat(wrongType.json().get("code").asString()).isEqualTo("invalid_type");
        assertThat(pointers(wrongType)).containsExactly("/item");
    }
}
