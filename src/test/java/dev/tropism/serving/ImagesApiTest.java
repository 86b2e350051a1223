package dev.tropism.serving;

import static dev.tropism.serving.ServingFixtures.error;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import dev.tropism.support.TropismTestClient.Team;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * {@code POST /v1/images/generations} without a flow model: validation, model lookup, clean refusals of other
 * families (generation itself: {@link ImageGenerationApiTest}).
 */
@TropismIntegrationTest
@TestPropertySource(properties = {"tropism.jobs.poll-interval=50ms", "tropism.serving.max-n=8"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ImagesApiTest {

    @Autowired TropismTestClient api;

    Team team;
    Team other;
    String model;
    String checkpoint;

    @BeforeAll
    void pretrain() throws Exception {
        team = api.newTeam("images");
        other = api.newTeam("images-other");
        JsonNode m = ServingFixtures.pretrain(team, ServingFixtures.corpus(team), "tiny-lm", 3);
        model = m.get("id").asString();
        checkpoint = m.get("checkpoint").asString();
    }

    private Map<String, Object> body(Object... kv) {
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("model", model);
        b.put("prompt", "cat");
        for (int i = 0; i < kv.length; i += 2) {
            if (kv[i + 1] == null) {
                b.remove((String) kv[i]);
            } else {
                b.put((String) kv[i], kv[i + 1]);
            }
        }
        return b;
    }

    private JsonNode post(Team t, Map<String, Object> body, int status) {
        return error(t.calls().post("/v1/images/generations", body), status);
    }

    @Test
    void languageModelsAreRejectedOnModel() {
        Map<String, Object> full = body("n", 2, "seed", 1, "response_format", "url", "guidance_scale", 3.5, "steps", 20);
        for (String id : new String[] {model, checkpoint}) {
            full.put("model", id);
            JsonNode e = post(team, full, 400);
            assertThat(e.get("param").asString()).isEqualTo("model");
            assertThat(e.get("code").asString()).isEqualTo("model_not_supported");
            assertThat(e.get("message").asString()).contains("not an image model").contains("language-model");
        }
    }

    @Test
    void unknownAndOtherTeamsModelsAre404() {
        assertThat(post(team, body("model", "model_nope"), 404).get("code").asString()).isEqualTo("model_not_found");
        assertThat(post(other, body(), 404).get("code").asString()).isEqualTo("model_not_found");
        assertThat(post(other, body("model", checkpoint), 404).get("param").asString()).isEqualTo("model");
    }

    @Test
    void everyFieldIsValidated() throws java.io.IOException {
        assertParam(body("model", null), "model");
        assertParam(body("model", 3), "model");
        assertParam(body("prompt", null), "prompt");
        assertParam(body("prompt", ""), "prompt");
        assertParam(body("prompt", "x".repeat(1001)), "prompt");
        assertParam(body("n", 0), "n");
        assertParam(body("n", 9), "n");
        assertParam(body("n", "2"), "n");
        assertParam(body("seed", 1.5), "seed");
        assertParam(body("response_format", "png"), "response_format");
        assertParam(body("guidance_scale", -1), "guidance_scale");
        assertParam(body("guidance_scale", "high"), "guidance_scale");
        assertParam(body("steps", 0), "steps");
        assertParam(body("steps", 1001), "steps");
        assertParam(body("size", "1024x1024"), "size");
        assertParam(body("steering", "fk"), "steering");
        assertParam(body("steering", Map.of("type", "beam", "reward_spec", "rs_1")), "steering.type");
        assertParam(body("steering", Map.of("type", "fk")), "steering.reward_spec");
        assertParam(body("steering", Map.of("type", "fk", "reward_spec", "rs_1", "particles", 0)), "steering.particles");
        assertParam(body("steering", Map.of("type", "fk", "reward_spec", "rs_1", "temperature", 0)),
                "steering.temperature");
        assertParam(body("steering", Map.of("type", "best_of_n", "reward_spec", "rs_1", "beam", 2)), "steering.beam");
        assertParam(body("steering", Map.of("type", "fk", "reward_spec", "rs_1", "lambda", -1)), "steering.lambda");
        assertParam(body("steering", Map.of("type", "fk", "reward_spec", "rs_1", "lambda", 1001)), "steering.lambda");
        assertParam(body("steering", Map.of("type", "fk", "reward_spec", "rs_1", "potential", "min")),
                "steering.potential");
        assertParam(body("steering", Map.of("type", "fk", "reward_spec", "rs_1", "resample_interval", 0)),
                "steering.resample_interval");
        assertParam(body("steering", Map.of("type", "fk", "reward_spec", "rs_1", "ess_threshold", 1.5)),
                "steering.ess_threshold");
        assertParam(body("steering", Map.of("type", "best_of_n", "reward_spec", "rs_1", "lambda", 5)),
                "steering.lambda");
        assertParam(body("steering", Map.of("type", "fk", "reward_spec", "rs_1", "particles", 65)),
                "steering.particles");
        ApiResponse notJson = team.calls().post("/v1/images/generations", java.util.List.of(1));
        assertThat(error(notJson, 400).get("type").asString()).isEqualTo("invalid_request_error");
        ServingFixtures.Stream badKey = ServingFixtures.stream(api, "tp_wrong", "/v1/images/generations", body());
        assertThat(badKey.status()).isEqualTo(401);
        assertThat(ServingFixtures.JSON.readTree(badKey.raw()).get("error").get("type").asString())
                .isEqualTo("authentication_error");
    }

    private void assertParam(Map<String, Object> body, String param) {
        JsonNode e = post(team, body, 400);
        assertThat(e.get("param").asString()).as(e.toString()).isEqualTo(param);
        assertThat(e.get("type").asString()).isEqualTo("invalid_request_error");
    }
}
