package dev.tropism.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.engine.lm.PretrainConfig;
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
        MethodConfigs.Pretrain p = MethodConfigs.pretrain(JSON.readTree("{\"max_steps\":30}"), "/hyperparameters",
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
}
