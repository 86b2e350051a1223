package dev.tropism.rewards;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Which {@code model} field of a stored grader names a model, for checkpoint retention. */
class RewardModelUsageTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static JsonNode grader(String text) {
        return JSON.readTree(text);
    }

    @Test
    void findsATopLevelRewardModelGrader() {
        assertThat(RewardModelUsage.modelField(grader("{\"type\":\"reward_model\",\"model\":\"model_a\"}"), "",
                Set.of("model_a", "model_b"))).contains(new RewardModelUsage.Use("model_a", "/model"));
    }

    @Test
    void findsNestedGradersOfCompositesAtTheirPointers() {
        JsonNode multi = grader("{\"type\":\"multi\",\"graders\":{\"len\":{\"type\":\"length\"},\"a/b\":{\"type\":\"shaped\","
                + "\"grader\":{\"type\":\"reward_model\",\"model\":\"model_b\"}}}}");
        assertThat(RewardModelUsage.modelField(multi, "", Set.of("model_b")))
                .contains(new RewardModelUsage.Use("model_b", "/graders/a~1b/grader/model"));
        JsonNode gated = grader("{\"type\":\"gated\",\"outcome\":{\"type\":\"regex\",\"pattern\":\"x\"},"
                + "\"dense\":{\"img\":{\"type\":\"image_classifier\",\"model\":\"model_c\",\"class\":\"cat\"}}}");
        assertThat(RewardModelUsage.modelField(gated, "", Set.of("model_c")))
                .contains(new RewardModelUsage.Use("model_c", "/dense/img/model"));
        JsonNode list = grader("{\"x\":[{\"y\":1},{\"model\":\"model_d\"}]}");
        assertThat(RewardModelUsage.modelField(list, "", Set.of("model_d")))
                .contains(new RewardModelUsage.Use("model_d", "/x/1/model"));
    }

    @Test
    void ignoresOtherModelsAndTheIdElsewhereThanInAModelField() {
        JsonNode g = grader("{\"type\":\"multi\",\"graders\":{\"rm\":{\"type\":\"reward_model\",\"model\":\"model_a\"},"
                + "\"s\":{\"type\":\"string_check\",\"reference\":\"model_b\",\"model\":{\"id\":\"model_b\"}}}}");
        assertThat(RewardModelUsage.modelField(g, "", Set.of("model_b"))).isEmpty();
        assertThat(RewardModelUsage.modelField(g, "", Set.of("model_ab"))).isEmpty();
        assertThat(RewardModelUsage.modelField(null, "", Set.of("model_a"))).isEmpty();
    }
}
