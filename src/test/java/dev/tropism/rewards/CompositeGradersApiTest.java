package dev.tropism.rewards;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/** The new grader types through the REST API: a 422 problem naming the field, and group scoring in "run". */
@TropismIntegrationTest
class CompositeGradersApiTest {

    @Autowired
    TropismTestClient api;

    @Test
    void badFormulaIs422AndChecksScoreAGroup() {
        TropismTestClient.Team team = api.newTeam("composite");
        ApiResponse bad = team.calls().post("/v1/reward-specs", SimilarityAndCompositeGradersTest.json(
                "{'name':'f','grader':" + SimilarityAndCompositeGradersTest.formula("exact + nope") + "}"));
        assertThat(bad.status()).isEqualTo(422);
        assertThat(bad.json().get("code").asString()).isEqualTo("validation_failed");
        assertThat(RewardSpecsApiTest.pointers(bad)).containsExactly("/grader/formula");
        assertThat(bad.json().get("errors").get(0).get("detail").asString()).contains("unknown grader keys [nope]");

        ApiResponse created = team.calls().post("/v1/reward-specs", SimilarityAndCompositeGradersTest.json(
                "{'name':'abc','grader':" + SimilarityAndCompositeGradersTest.abcChecks("") + "}"));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String id = created.json().get("id").asString();
        // One group of four: rewards 1, 17/66, 1/11, 0 (derivation in SimilarityAndCompositeGradersTest).
        ApiResponse run = team.calls().post("/v1/reward-specs/" + id + "/run", Map.of("item", Map.of(), "samples",
                List.of(Map.of("output_text", "abc"), Map.of("output_text", "ab"), Map.of("output_text", "a"),
                        Map.of("output_text", "x"))));
        assertThat(run.status()).as(run.toString()).isEqualTo(200);
        double[] expected = {1.0, 17.0 / 66, 1.0 / 11, 0.0};
        for (int i = 0; i < expected.length; i++) {
            assertThat(run.json().get("results").get(i).get("reward").asDouble()).isCloseTo(expected[i], within(1e-12));
        }
        assertThat(run.json().get("results").get(1).get("sub_rewards").get("has_c").asDouble()).isEqualTo(0.0);
    }
}
