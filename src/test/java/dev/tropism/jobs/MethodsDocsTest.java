package dev.tropism.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Every hyperparameter served by {@code GET /v1/methods} has its one-line meaning, and no stale line remains. */
class MethodsDocsTest {

    @Test
    void everyHyperparameterIsDescribedExactlyOnce() {
        Properties descriptions = MethodsController.descriptions();
        Set<String> served = new HashSet<>();
        for (Map.Entry<AlignmentMethod, Record> e : MethodsController.DEFAULTS.entrySet()) {
            for (MethodsController.Hyperparameter h : MethodsController.hyperparameters(e.getKey().wireName(), e.getValue(),
                    descriptions)) {
                assertThat(h.description()).as("%s.%s", e.getKey().wireName(), h.key()).isNotBlank();
                served.add(e.getKey().wireName() + "." + h.key());
            }
        }
        assertThat(descriptions.stringPropertyNames()).as("lines for keys that no config has").isEqualTo(served);
    }

    @Test
    void defaultsAndTypesComeFromTheConfigRecords() {
        var grpo = MethodsController.hyperparameters("grpo", MethodsController.DEFAULTS.get(AlignmentMethod.GRPO),
                MethodsController.descriptions());
        var beta = grpo.stream().filter(h -> h.key().equals("beta")).findFirst().orElseThrow();
        assertThat(beta.type()).isEqualTo("number");
        assertThat(beta.defaultValue()).isEqualTo(0.0);
        var scale = grpo.stream().filter(h -> h.key().equals("scale_rewards")).findFirst().orElseThrow();
        assertThat(scale.type()).isEqualTo("enum");
        assertThat(scale.defaultValue()).isEqualTo("group");
        assertThat(scale.values()).containsExactly("group", "batch", "none");
        var maxSteps = grpo.stream().filter(h -> h.key().equals("max_steps")).findFirst().orElseThrow();
        assertThat(maxSteps.type()).isEqualTo("integer");
        assertThat(maxSteps.defaultValue()).isEqualTo(150);
    }
}
