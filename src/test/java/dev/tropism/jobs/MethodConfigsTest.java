package dev.tropism.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import dev.tropism.engine.flow.FlowNet;
import dev.tropism.engine.flow.FlowNetConfig;
import dev.tropism.engine.flowrl.FlowMethodType;
import dev.tropism.engine.lm.PretrainConfig;
import dev.tropism.engine.lm.TokenizerKind;
import dev.tropism.engine.rl.GrpoConfig;
import dev.tropism.web.Violation;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

class MethodConfigsTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void aShortRunCutsTheDefaultWarmupInsteadOfRejectingAKeyNeverSent() {
        List<Violation> violations = new ArrayList<>();
        JobMethod.Pretraining p = MethodConfigs.pretrain(JSON.readTree("{\"max_steps\":30}"), "/hyperparameters",
                violations);
        GrpoConfig g = MethodConfigs.grpo(JSON.readTree("{\"max_steps\":3}"), "/method/grpo", violations);
        assertThat(violations).isEmpty();
        assertThat(p.training().warmupSteps()).isEqualTo(30);
        assertThat(g.warmupSteps()).isEqualTo(3);
        assertThat(MethodConfigs.pretrain(JSON.readTree("{\"max_steps\":1000}"), "", violations).training()
                .warmupSteps()).isEqualTo(PretrainConfig.DEFAULT.warmupSteps());
    }

    @Test
    void anExplicitWarmupLongerThanTheRunIsStillRejected() {
        List<Violation> violations = new ArrayList<>();
        MethodConfigs.pretrain(JSON.readTree("{\"max_steps\":30,\"warmup_steps\":50}"), "/hyperparameters", violations);
        assertThat(violations).extracting(Violation::pointer).containsExactly("/hyperparameters/warmup_steps");
    }

    @Test
    void theTokenizerOptionPicksGpt2sBpeAndItsVocabulary() {
        List<Violation> violations = new ArrayList<>();
        JobMethod.Pretraining bpe = MethodConfigs.pretrain(JSON.readTree("{\"tokenizer\":\"gpt2\",\"n_embd\":64}"),
                "/hyperparameters", violations);
        assertThat(violations).isEmpty();
        assertThat(bpe.model().tokenizer()).isEqualTo(TokenizerKind.GPT2);
        assertThat(bpe.model().vocabSize()).isEqualTo(50_257);
        assertThat(bpe.model().approxParameters()).as("the tied 50,257 x 64 embedding dominates")
                .isGreaterThan(50_257L * 64);
        assertThat(MethodConfigs.pretrain(JSON.readTree("{}"), "", violations).model().tokenizer())
                .isEqualTo(TokenizerKind.CHAR);

        MethodConfigs.pretrain(JSON.readTree("{\"tokenizer\":\"bpe\"}"), "/hyperparameters", violations);
        assertThat(violations).singleElement().satisfies(v -> {
            assertThat(v.pointer()).isEqualTo("/hyperparameters/tokenizer");
            assertThat(v.reason()).contains("char", "gpt2");
        });
    }

    @Test
    void everyOutOfRangeValueIsReportedAtOnce() {
        List<Violation> violations = new ArrayList<>();
        GrpoConfig g = MethodConfigs.grpo(JSON.readTree("{\"beta\":-1,\"num_generations\":1,\"top_p\":2}"),
                "/method/grpo", violations);
        assertThat(g).isNull();
        assertThat(violations).extracting(Violation::pointer).containsExactlyInAnyOrder("/method/grpo/beta",
                "/method/grpo/num_generations", "/method/grpo/top_p");

        violations.clear();
        MethodConfigs.pretrain(JSON.readTree("{\"n_embd\":30,\"n_head\":4,\"n_layer\":0,\"max_steps\":0}"),
                "/hyperparameters", violations);
        assertThat(violations).extracting(Violation::pointer).containsExactlyInAnyOrder("/hyperparameters/n_embd",
                "/hyperparameters/n_layer", "/hyperparameters/max_steps");

        violations.clear();
        MethodConfigs.grpo(JSON.readTree("{\"beta\":\"high\",\"temperature\":0}"), "", violations);
        assertThat(violations).extracting(Violation::pointer).containsExactlyInAnyOrder("/beta", "/temperature");
    }

    @Test
    void theClosedFormParameterCountOfTinyFlowIsTheNetworksOwn() {
        List<Violation> violations = new ArrayList<>();
        for (String hp : List.of("{}", "{\"channels\":8,\"embed_dim\":16,\"groups\":4}",
                "{\"levels\":1,\"channels\":12,\"groups\":3}", "{\"image_size\":28,\"levels\":3,\"embed_dim\":8}")) {
            JobMethod.FlowPretraining p = MethodConfigs.flowPretrain(JSON.readTree(hp), "/hyperparameters", violations);
            assertThat(violations).as(hp).isEmpty();
            try (NDManager m = NDManager.newBaseManager(); FlowNet net = FlowNet.initialize(p.model(), 1, m)) {
                assertThat(p.parameters()).as(hp).isEqualTo(net.parameterCount());
            }
        }
    }

    @Test
    void tinyFlowHyperparametersAreCheckedAllAtOnce() {
        List<Violation> violations = new ArrayList<>();
        JobMethod.FlowPretraining p = MethodConfigs.flowPretrain(JSON.readTree(
                "{\"num_classes\":3,\"channels\":8,\"groups\":3,\"classifier_steps\":0,\"n_layer\":2}"),
                "/hyperparameters", violations);
        assertThat(p).isNull();
        assertThat(violations).extracting(Violation::pointer).containsExactlyInAnyOrder("/hyperparameters/num_classes",
                "/hyperparameters/groups", "/hyperparameters/classifier_steps", "/hyperparameters/n_layer");
        assertThat(violations.get(0).reason()).contains("set by the service");

        violations.clear(); // a size the network takes but the shipped data does not come in
        MethodConfigs.flowPretrain(JSON.readTree("{\"image_size\":16}"), "/hyperparameters", violations);
        assertThat(violations).extracting(Violation::pointer).containsExactly("/hyperparameters/image_size");
        assertThat(FlowNetConfig.DEFAULT.numClasses()).isEqualTo(10);
    }

    @Test
    void aFlowMethodBindsItsSharedAndItsOwnKeysFromOneObject() {
        List<Violation> violations = new ArrayList<>();
        JobMethod.FlowAlignment dense = MethodConfigs.flowAlign(FlowMethodType.DENSE_GRPO,
                JSON.readTree("{\"max_steps\":3,\"calibration_rounds\":1}"), "/method/dense_grpo", violations);
        assertThat(violations).isEmpty();
        assertThat(dense.config().maxSteps()).isEqualTo(3);
        assertThat(dense.extra().toString()).contains("calibrationRounds=1");
        JobMethod.FlowAlignment plain = MethodConfigs.flowAlign(FlowMethodType.FLOW_GRPO, null, "/method/flow_grpo",
                violations);
        assertThat(plain.extra()).isNull();

        MethodConfigs.flowAlign(FlowMethodType.FLOW_GRPO, JSON.readTree(
                "{\"noise_level\":0,\"sample_steps\":1,\"num_generations\":1,\"calibration_rounds\":1}"),
                "/method/flow_grpo", violations);
        assertThat(violations).extracting(Violation::pointer).containsExactlyInAnyOrder("/method/flow_grpo/noise_level",
                "/method/flow_grpo/sample_steps", "/method/flow_grpo/num_generations",
                "/method/flow_grpo/calibration_rounds");

        violations.clear();
        MethodConfigs.flowAlign(FlowMethodType.FLOW_DPO, JSON.readTree("{\"dpo_beta\":0,\"clip_range\":2}"),
                "/method/flow_dpo", violations);
        assertThat(violations).extracting(Violation::pointer).containsExactlyInAnyOrder("/method/flow_dpo/dpo_beta",
                "/method/flow_dpo/clip_range");
    }
}
