package dev.tropism.engine.rl;

import static dev.tropism.engine.RecordCopies.with;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tropism.engine.ConfigException;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class GrpoConfigTest {

    static Stream<Arguments> invalid() {
        return Stream.of(
                Arguments.of("maxSteps", 0, "max_steps"),
                Arguments.of("promptsPerStep", 0, "prompts_per_step"),
                Arguments.of("promptsPerStep", 1025, "prompts_per_step"),
                Arguments.of("numGenerations", 1, "num_generations"),
                Arguments.of("numGenerations", 257, "num_generations"),
                Arguments.of("numIterations", 0, "num_iterations"),
                Arguments.of("numIterations", 17, "num_iterations"),
                Arguments.of("learningRate", 0.0, "learning_rate"),
                Arguments.of("learningRate", 1.5, "learning_rate"),
                Arguments.of("learningRate", Double.NaN, "learning_rate"),
                Arguments.of("warmupSteps", -1, "warmup_steps"),
                Arguments.of("warmupSteps", 151, "warmup_steps"), // > max_steps = 150
                Arguments.of("weightDecay", -0.1, "weight_decay"),
                Arguments.of("gradClip", -1.0, "grad_clip"),
                Arguments.of("beta", -0.01, "beta"),
                Arguments.of("epsilonLow", 0.0, "epsilon_low"),
                Arguments.of("epsilonLow", 1.0, "epsilon_low"),
                Arguments.of("epsilonHigh", 0.0, "epsilon_high"),
                Arguments.of("scaleRewards", null, "scale_rewards"),
                Arguments.of("lossType", null, "loss_type"),
                Arguments.of("maxCompletionLength", 0, "max_completion_length"),
                Arguments.of("temperature", 0.0, "temperature"),
                Arguments.of("topP", 0.0, "top_p"),
                Arguments.of("topP", 1.01, "top_p"),
                Arguments.of("evalInterval", -1, "eval_interval"),
                Arguments.of("evalLimit", 0, "eval_limit"));
    }

    @ParameterizedTest(name = "{0}={1} -> {2}")
    @MethodSource("invalid")
    void invalidValueNamesItsSnakeCaseField(String component, Object value, String field) {
        ConfigException e = assertThrows(ConfigException.class, () -> with(GrpoConfig.DEFAULT, component, value));
        assertEquals(field, e.field());
        assertTrue(e.getMessage().startsWith(field + ": "), e.getMessage());
        assertEquals(e.getMessage().substring(field.length() + 2), e.reason());
    }

    @Test
    void boundaryValuesAreAccepted() {
        assertDoesNotThrow(() -> with(GrpoConfig.DEFAULT, "numGenerations", 2));
        assertDoesNotThrow(() -> with(GrpoConfig.DEFAULT, "warmupSteps", 150));
        assertDoesNotThrow(() -> with(GrpoConfig.DEFAULT, "topP", 1.0));
        assertDoesNotThrow(() -> with(GrpoConfig.DEFAULT, "gradClip", 0.0));
        assertDoesNotThrow(() -> with(GrpoConfig.DEFAULT, "evalInterval", 0));
    }

    @Test
    void warmupIsCheckedAgainstThisConfigsMaxSteps() {
        GrpoConfig shortRun = with(GrpoConfig.DEFAULT, "warmupSteps", 0);
        shortRun = with(shortRun, "maxSteps", 10);
        ConfigException e = assertThrows(ConfigException.class, () -> with(with(GrpoConfig.DEFAULT, "maxSteps", 10),
                "warmupSteps", 11));
        assertEquals("warmup_steps", e.field());
        assertEquals(10, with(shortRun, "warmupSteps", 10).warmupSteps());
    }

    @Test
    void rolloutBatchIsPromptsTimesGenerations() {
        assertEquals(128, GrpoConfig.DEFAULT.rolloutBatchSize());
        assertEquals(12, with(with(GrpoConfig.DEFAULT, "promptsPerStep", 3), "numGenerations", 4).rolloutBatchSize());
    }
}
