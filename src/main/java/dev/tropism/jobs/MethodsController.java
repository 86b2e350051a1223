package dev.tropism.jobs;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.tropism.engine.rl.GrpoConfig;
import dev.tropism.engine.rm.RewardModelConfig;
import dev.tropism.web.ListResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /v1/methods}: the method types of {@code POST /v1/jobs} with every hyperparameter's type,
 * default and meaning, so that a client (the web UI's launch form) shows them without keeping its own
 * copy. Keys, types and defaults are read from the config records themselves, so they cannot drift; the
 * one-line meanings live in {@code hyperparameters.properties} beside this class, and a test checks that
 * every key has one.
 */
@RestController
class MethodsController {

    /** The defaults of each method whose hyperparameters are exactly one config record. */
    static final Map<AlignmentMethod, Record> DEFAULTS = Map.of(
            AlignmentMethod.GRPO, GrpoConfig.DEFAULT,
            AlignmentMethod.REWARD_MODEL, RewardModelConfig.DEFAULT);

    /** One hyperparameter: {@code type} is integer, number, boolean or enum (then {@code values}). */
    record Hyperparameter(String key, String type, @JsonProperty("default") Object defaultValue, List<String> values, String description) {
    }

    /** One method type; {@code hyperparameters} is empty when the service does not describe them. */
    record Method(String type, String datasetPurpose, boolean usesRewardSpec, String produces,
            List<Hyperparameter> hyperparameters) {
    }

    private final List<Method> methods;

    MethodsController() {
        Properties descriptions = descriptions();
        methods = Arrays.stream(AlignmentMethod.values()).map(m -> new Method(m.wireName(),
                m.datasetPurpose().name().toLowerCase(Locale.ROOT), m.usesRewardSpec(), m.produces().wireName(),
                DEFAULTS.containsKey(m) ? hyperparameters(m.wireName(), DEFAULTS.get(m), descriptions) : List.of()))
                .toList();
    }

    @GetMapping("/v1/methods")
    ListResponse<Method> list() {
        return ListResponse.of(methods, false);
    }

    static List<Hyperparameter> hyperparameters(String method, Record defaults, Properties descriptions) {
        return Arrays.stream(defaults.getClass().getRecordComponents()).map(c -> {
            String key = HyperParameters.snake(c.getName());
            Object value = valueOf(c, defaults);
            Class<?> t = c.getType();
            List<String> values = t.isEnum() ? Arrays.stream(t.getEnumConstants())
                    .map(v -> ((Enum<?>) v).name().toLowerCase(Locale.ROOT)).toList() : null;
            String type = t == int.class || t == long.class ? "integer" : t == double.class ? "number"
                    : t == boolean.class ? "boolean" : t.isEnum() ? "enum" : t.getSimpleName();
            Object wire = value instanceof Enum<?> e ? e.name().toLowerCase(Locale.ROOT) : value;
            return new Hyperparameter(key, type, wire, values, descriptions.getProperty(method + "." + key));
        }).toList();
    }

    private static Object valueOf(RecordComponent c, Record r) {
        try {
            return c.getAccessor().invoke(r);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    static Properties descriptions() {
        Properties p = new Properties();
        try (InputStream in = MethodsController.class.getResourceAsStream("hyperparameters.properties")) {
            if (in != null) {
                p.load(new java.io.InputStreamReader(in, java.nio.charset.StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }
}
