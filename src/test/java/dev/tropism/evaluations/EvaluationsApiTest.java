package dev.tropism.evaluations;

import static dev.tropism.jobs.RealEngineJobs.lines;
import static dev.tropism.jobs.RealEngineJobs.pointers;
import static dev.tropism.jobs.RealEngineJobs.upload;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import dev.tropism.support.TropismTestClient.Team;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
@TestPropertySource(properties = "tropism.evaluations.poll-interval=100ms")
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
    }
}
