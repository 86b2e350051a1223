package dev.tropism.engine.rm;

import static dev.tropism.engine.RecordCopies.with;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tropism.engine.ConfigException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RewardModelConfigTest {

    static Stream<Arguments> invalid() {
        return Stream.of(
                Arguments.of("maxSteps", 0, "max_steps"),
                Arguments.of("batchSize", 0, "batch_size"),
                Arguments.of("batchSize", 2049, "batch_size"),
                Arguments.of("learningRate", 0.0, "learning_rate"),
                Arguments.of("learningRate", Double.NaN, "learning_rate"),
                Arguments.of("warmupSteps", -1, "warmup_steps"),
                Arguments.of("warmupSteps", 201, "warmup_steps"), // > max_steps = 200
                Arguments.of("weightDecay", -0.1, "weight_decay"),
                Arguments.of("gradClip", -1.0, "grad_clip"),
                Arguments.of("gradClip", Double.POSITIVE_INFINITY, "grad_clip"),
                Arguments.of("evalInterval", -1, "eval_interval"),
                Arguments.of("evalFraction", 0.5, "eval_fraction"),
                Arguments.of("evalLimit", 0, "eval_limit"),
                Arguments.of("maxLength", 1, "max_length"),
                Arguments.of("maxLength", -1, "max_length"),
                Arguments.of("centerRewardsCoefficient", -0.01, "center_rewards_coefficient"),
                Arguments.of("centerRewardsCoefficient", Double.NaN, "center_rewards_coefficient"));
    }

    @ParameterizedTest(name = "{0}={1} -> {2}")
    @MethodSource("invalid")
    void invalidValueNamesItsSnakeCaseField(String component, Object value, String field) {
        ConfigException e = assertThrows(ConfigException.class, () -> with(RewardModelConfig.DEFAULT, component, value));
        assertEquals(field, e.field());
    }

    @Test
    void boundaryValuesAreAccepted() {
        assertDoesNotThrow(() -> with(RewardModelConfig.DEFAULT, "maxLength", 0));
        assertDoesNotThrow(() -> with(RewardModelConfig.DEFAULT, "maxLength", 2));
        assertDoesNotThrow(() -> with(RewardModelConfig.DEFAULT, "evalFraction", 0.0));
        assertDoesNotThrow(() -> with(RewardModelConfig.DEFAULT, "warmupSteps", 200));
        assertDoesNotThrow(() -> with(RewardModelConfig.DEFAULT, "centerRewardsCoefficient", 0.01));
    }
}
