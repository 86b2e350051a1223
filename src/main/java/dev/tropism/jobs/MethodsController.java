package dev.tropism.jobs;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.tropism.engine.flowrl.FlowMethodType;
import dev.tropism.engine.flowrl.FlowRlConfig;
import dev.tropism.engine.rl.GrpoConfig;
import dev.tropism.engine.rm.RewardModelConfig;
import dev.tropism.teams.RequiresScope;
import dev.tropism.teams.Scope;
import dev.tropism.web.ListResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
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
@RequiresScope(Scope.AUTHENTICATED)
class MethodsController {

    /** Prefix of the meanings of the {@link FlowRlConfig} keys, which every flow method shares. */
    static final String FLOW_SHARED = "flow";

    /**
     * The config records whose components are a method's hyperparameters, in the order they are listed, each
     * with the prefix of its keys' lines in {@code hyperparameters.properties}: GRPO and the reward model have
     * one record; a flow method has the shared {@link FlowRlConfig} and maybe a record of its own
     * ({@link FlowMethodType#extraConfig()}), bound from the same object.
     */
    record Described(String prefix, Record defaults) {
    }

    static List<Described> records(AlignmentMethod method) {
        return switch (method) {
            case GRPO -> List.of(new Described(method.wireName(), GrpoConfig.DEFAULT));
            case REWARD_MODEL -> List.of(new Described(method.wireName(), RewardModelConfig.DEFAULT));
            default -> {
                if (method.lmType() != null) {
                    yield List.of(new Described(method.wireName(), method.lmType().defaults()));
                }
                List<Described> records = new ArrayList<>(List.of(new Described(FLOW_SHARED, FlowRlConfig.DEFAULT)));
                if (method.flowType().extraDefaults() != null) {
                    records.add(new Described(method.wireName(), method.flowType().extraDefaults()));
                }
                yield records;
            }
        };
    }

    /** One hyperparameter: {@code type} is integer, number, boolean or enum (then {@code values}). */
    record Hyperparameter(String key, String type, @JsonProperty("default") Object defaultValue, List<String> values, String description) {
    }

    /**
     * One method type; {@code required_family} is the family its {@code model} must have (the launch form offers
     * only the methods that fit the chosen model).
     */
    record Method(String type, String datasetPurpose, boolean usesRewardSpec, String requiredFamily, String produces,
            List<Hyperparameter> hyperparameters) {
    }

    private final List<Method> methods;

    MethodsController() {
        Properties descriptions = descriptions();
        methods = Arrays.stream(AlignmentMethod.values()).map(m -> new Method(m.wireName(),
                m.datasetPurpose().name().toLowerCase(Locale.ROOT), m.usesRewardSpec(), m.trains().wireName(),
                m.produces().wireName(), hyperparameters(m, descriptions))).toList();
    }

    @GetMapping("/v1/methods")
    ListResponse<Method> list() {
        return ListResponse.of(methods, false);
    }

    /** Every hyperparameter of {@code method}, record by record ({@link #records}). */
    static List<Hyperparameter> hyperparameters(AlignmentMethod method, Properties descriptions) {
        return records(method).stream().flatMap(r -> hyperparameters(r.prefix(), r.defaults(), descriptions).stream())
                .toList();
    }

    static List<Hyperparameter> hyperparameters(String prefix, Record defaults, Properties descriptions) {
        return Arrays.stream(defaults.getClass().getRecordComponents()).map(c -> {
            String key = HyperParameters.snake(c.getName());
            Object value = valueOf(c, defaults);
            Class<?> t = c.getType();
            List<String> values = t.isEnum() ? Arrays.stream(t.getEnumConstants())
                    .map(v -> ((Enum<?>) v).name().toLowerCase(Locale.ROOT)).toList() : null;
            String type = t == int.class || t == long.class ? "integer" : t == double.class ? "number"
                    : t == boolean.class ? "boolean" : t.isEnum() ? "enum" : t.getSimpleName();
            Object wire = value instanceof Enum<?> e ? e.name().toLowerCase(Locale.ROOT) : value;
            return new Hyperparameter(key, type, wire, values, descriptions.getProperty(prefix + "." + key));
        }).toList();
    }

    private static Object valueOf(RecordComponent c, Record r) {
        try {
            java.lang.reflect.Method accessor = c.getAccessor();
            accessor.setAccessible(true); // a flow method's own record is package-private in the engine
            return accessor.invoke(r);
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
