package dev.tropism.engine.lm;

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

class PretrainConfigTest {

    static Stream<Arguments> invalid() {
        return Stream.of(
                Arguments.of("maxSteps", 0, "max_steps"),
                Arguments.of("batchSize", 0, "batch_size"),
                Arguments.of("batchSize", 4097, "batch_size"),
                Arguments.of("learningRate", 0.0, "learning_rate"),
                Arguments.of("learningRate", 2.0, "learning_rate"),
                Arguments.of("minLrRatio", -0.1, "min_lr_ratio"),
                Arguments.of("minLrRatio", 1.1, "min_lr_ratio"),
                Arguments.of("warmupSteps", -1, "warmup_steps"),
                Arguments.of("warmupSteps", 601, "warmup_steps"), // > max_steps = 600
                Arguments.of("weightDecay", 1.5, "weight_decay"),
                Arguments.of("gradClip", -0.5, "grad_clip"),
                Arguments.of("evalInterval", -1, "eval_interval"),
                Arguments.of("evalFraction", 0.5, "eval_fraction"),
                Arguments.of("evalFraction", -0.01, "eval_fraction"));
    }

    @ParameterizedTest(name = "{0}={1} -> {2}")
    @MethodSource("invalid")
    void invalidValueNamesItsSnakeCaseField(String component, Object value, String field) {
        ConfigException e = assertThrows(ConfigException.class, () -> with(PretrainConfig.DEFAULT, component, value));
        assertEquals(field, e.field());
    }

    @Test
    void boundaryValuesAreAccepted() {
        assertDoesNotThrow(() -> with(PretrainConfig.DEFAULT, "warmupSteps", 600));
        assertDoesNotThrow(() -> with(PretrainConfig.DEFAULT, "evalFraction", 0.0));
        assertDoesNotThrow(() -> with(PretrainConfig.DEFAULT, "minLrRatio", 1.0));
    }

    @Test
    void gptShapeIsValidatedToo() {
        assertEquals("n_embd", assertThrows(ConfigException.class, () -> new GptConfig(2, 30, 4, 32, 32)).field());
        assertEquals("block_size", assertThrows(ConfigException.class, () -> new GptConfig(2, 32, 4, 4, 32)).field());
        assertEquals("n_layer", assertThrows(ConfigException.class, () -> new GptConfig(0, 32, 4, 32, 32)).field());
        assertEquals("vocab_size", assertThrows(ConfigException.class, () -> new GptConfig(2, 32, 4, 32, 3)).field());
    }
}
