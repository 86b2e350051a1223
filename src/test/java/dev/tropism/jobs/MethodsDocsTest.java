package dev.tropism.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.engine.flowrl.FlowRlConfig;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Every hyperparameter served by {@code GET /v1/methods} has its one-line meaning, and no stale line remains. */
class MethodsDocsTest {

    @Test
    void everyHyperparameterIsDescribedExactlyOnce() {
        Properties descriptions = MethodsController.descriptions();
        Set<String> served = new HashSet<>();
        for (AlignmentMethod m : AlignmentMethod.values()) {
            for (MethodsController.Described r : MethodsController.records(m)) {
                for (MethodsController.Hyperparameter h : MethodsController.hyperparameters(r.prefix(), r.defaults(),
                        descriptions)) {
                    assertThat(h.description()).as("%s.%s", r.prefix(), h.key()).isNotBlank();
                    served.add(r.prefix() + "." + h.key());
                }
            }
        }
        assertThat(descriptions.stringPropertyNames()).as("lines for keys that no config has").isEqualTo(served);
    }

    @Test
    void defaultsAndTypesComeFromTheConfigRecords() {
        var grpo = MethodsController.hyperparameters(AlignmentMethod.GRPO, MethodsController.descriptions());
        var beta = find(grpo, "beta");
        assertThat(beta.type()).isEqualTo("number");
        assertThat(beta.defaultValue()).isEqualTo(0.0);
        var scale = find(grpo, "scale_rewards");
        assertThat(scale.type()).isEqualTo("enum");
        assertThat(scale.defaultValue()).isEqualTo("group");
        assertThat(scale.values()).containsExactly("group", "batch", "none");
        var maxSteps = find(grpo, "max_steps");
        assertThat(maxSteps.type()).isEqualTo("integer");
        assertThat(maxSteps.defaultValue()).isEqualTo(150);
    }

    @Test
    void flowMethodsListTheSharedKeysThenTheirOwn() {
        Properties descriptions = MethodsController.descriptions();
        List<String> shared = HyperParameters.keys(FlowRlConfig.class);
        for (AlignmentMethod m : AlignmentMethod.values()) {
            if (m.flowType() == null) {
                continue;
            }
            List<String> keys = MethodsController.hyperparameters(m, descriptions).stream()
                    .map(MethodsController.Hyperparameter::key).toList();
            List<String> own = m.flowType().extraConfig() == null ? List.of()
                    : HyperParameters.keys(m.flowType().extraConfig());
            assertThat(keys).as(m.wireName()).startsWith(shared.toArray(String[]::new)).hasSize(shared.size() + own.size())
                    .containsAll(own);
        }
        var flowGrpo = MethodsController.hyperparameters(AlignmentMethod.FLOW_GRPO, descriptions);
        assertThat(find(flowGrpo, "noise_level").defaultValue()).isEqualTo(FlowRlConfig.DEFAULT.noiseLevel());
        assertThat(find(flowGrpo, "noise_level").description()).startsWith("a, the SDE noise level");
        // a package-private record of the engine: read through its accessors all the same
        var dense = MethodsController.hyperparameters(AlignmentMethod.DENSE_GRPO, descriptions);
        assertThat(find(dense, "epsilon2").defaultValue()).isEqualTo(0.01);
        assertThat(find(dense, "calibration_rounds").type()).isEqualTo("integer");
        var dpo = MethodsController.hyperparameters(AlignmentMethod.FLOW_DPO, descriptions);
        assertThat(find(dpo, "dpo_beta").defaultValue()).isEqualTo(500.0);
        assertThat(find(dpo, "dpo_beta").description()).startsWith("\u03b2 of the DPO loss");
    }

    @Test
    void eachMethodNamesTheFamilyItTrainsAndProduces() {
        var methods = new MethodsController().list().data();
        assertThat(methods).extracting(MethodsController.Method::type).containsExactly(
                java.util.Arrays.stream(AlignmentMethod.values()).map(AlignmentMethod::wireName).toArray(String[]::new));
        assertThat(methods).extracting(MethodsController.Method::type).contains("grpo", "reward_model", "rloo",
                "flow_grpo", "dense_grpo", "tempflow_grpo", "tp_grpo", "grpo_guard", "flow_dpo", "flow_rwr");
        var byType = methods.stream().collect(java.util.stream.Collectors.toMap(MethodsController.Method::type, x -> x));
        assertThat(byType.get("grpo").requiredFamily()).isEqualTo("language-model");
        assertThat(byType.get("reward_model").requiredFamily()).isEqualTo("language-model");
        assertThat(byType.get("reward_model").produces()).isEqualTo("reward-model");
        for (String flow : List.of("flow_grpo", "dense_grpo", "tempflow_grpo", "tp_grpo", "grpo_guard", "flow_dpo",
                "flow_rwr")) {
            var m = byType.get(flow);
            assertThat(m.requiredFamily()).as(flow).isEqualTo("flow-matching");
            assertThat(m.produces()).as(flow).isEqualTo("flow-matching");
            assertThat(m.datasetPurpose()).as(flow).isEqualTo("prompts");
            assertThat(m.usesRewardSpec()).as(flow).isTrue();
            assertThat(m.hyperparameters()).as(flow).isNotEmpty();
        }
        for (AlignmentMethod lm : AlignmentMethod.values()) {
            if (lm.lmType() != null) {
                var m = byType.get(lm.wireName());
                assertThat(m.requiredFamily()).as(lm.wireName()).isEqualTo("language-model");
                assertThat(m.produces()).as(lm.wireName()).isEqualTo("language-model");
                assertThat(m.datasetPurpose()).as(lm.wireName()).isEqualTo(lm.lmType().data().name().toLowerCase());
                assertThat(m.usesRewardSpec()).as(lm.wireName()).isEqualTo(lm.lmType().usesReward());
                assertThat(m.hyperparameters()).as(lm.wireName()).isNotEmpty();
            }
        }
    }

    private static MethodsController.Hyperparameter find(List<MethodsController.Hyperparameter> list, String key) {
        return list.stream().filter(h -> h.key().equals(key)).findFirst().orElseThrow();
    }
}
