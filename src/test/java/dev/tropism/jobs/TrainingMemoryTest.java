package dev.tropism.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.engine.hf.LoraConfig;
import dev.tropism.engine.align.LmMethodConfig;
import dev.tropism.engine.align.LmMethodType;
import dev.tropism.engine.rl.GrpoConfig;
import dev.tropism.engine.rm.RewardModelConfig;
import dev.tropism.web.Violation;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/** {@link TrainingMemory}'s estimate against values computed by hand. */
class TrainingMemoryTest {

    private static final TrainingMemory.Shape SHAPE = new TrainingMemory.Shape(1000, 10, 8, 2, 100);

    private static GrpoConfig grpo() {
        List<Violation> violations = new ArrayList<>();
        GrpoConfig c = MethodConfigs.grpo(JsonMapper.builder().build().readTree(
                "{\"prompts_per_step\":2,\"num_generations\":2,\"max_completion_length\":6}"), "", violations);
        assertThat(violations).isEmpty();
        return c;
    }

    @Test
    void fullFineTuningHoldsTwoCopiesAndAdamStateForEveryParameter() {
        // B = 2·2 = 4 rows, T = min(100, 4 + 6) = 10 positions.
        TrainingMemory m = TrainingMemory.grpo(SHAPE, grpo(), null, 4);
        assertThat(m.weights()).isEqualTo(4 * 2 * 1000); // policy + frozen reference
        assertThat(m.optimizer()).isEqualTo(4 * 3 * 1000); // gradient, two moments
        assertThat(m.activations()).isEqualTo(4 * (3 * 4 * 10 * 10 + 16 * 2 * 4 * 10 * 8)); // logits ×3, layers
        assertThat(m.total()).isEqualTo(8000 + 12000 + 45760);
    }

    @Test
    void loraTrainsOnlyTheAdaptersAndNeedsNoReferenceCopy() {
        TrainingMemory m = TrainingMemory.grpo(SHAPE, grpo(), new LoraConfig(2, 4, 0, List.of()), 4);
        assertThat(m.weights()).isEqualTo(4 * 1000);
        assertThat(m.optimizer()).isEqualTo(4 * 3 * (4 * 2 * 2 * 2 * 8)); // 4 projections × L × r × (d + d)
        assertThat(m.activations()).isEqualTo(45760);
    }

    @Test
    void aRewardModelHoldsOneCopyAndNoLogits() {
        List<Violation> violations = new ArrayList<>();
        RewardModelConfig c = MethodConfigs.rewardModel(JsonMapper.builder().build().readTree(
                "{\"batch_size\":3,\"max_length\":12}"), "", violations);
        assertThat(violations).isEmpty();
        TrainingMemory m = TrainingMemory.rewardModel(SHAPE, c, null);
        assertThat(m.weights()).isEqualTo(4 * 1000);
        assertThat(m.optimizer()).isEqualTo(4 * 3 * 1000);
        assertThat(m.activations()).isEqualTo(4 * (16 * 2 * (2 * 3) * 12 * 8)); // L · (chosen + rejected) · T · d
    }

    @Test
    void anRlooJobIsEstimatedAsGrpoIs() {
        List<Violation> violations = new ArrayList<>();
        LmMethodConfig c = MethodConfigs.lmAlign(LmMethodType.RLOO, JsonMapper.builder().build().readTree(
                "{\"prompts_per_step\":2,\"num_generations\":2,\"max_completion_length\":6}"), "", violations);
        assertThat(violations).isEmpty();
        TrainingMemory m = TrainingMemory.lm(SHAPE, c, null, 4);
        TrainingMemory grpo = TrainingMemory.grpo(SHAPE, grpo(), null, 4); // the same B = 4 and T = 10
        assertThat(m).isEqualTo(grpo);
        assertThat(m.total()).isEqualTo(8000 + 12000 + 45760);
    }

    @Test
    void primeHoldsItsImplicitPrmAndItsReferenceBesideThePolicy() {
        List<Violation> violations = new ArrayList<>();
        LmMethodConfig c = MethodConfigs.lmAlign(LmMethodType.PRIME, JsonMapper.builder().build().readTree(
                "{\"prompts_per_step\":2,\"num_generations\":2,\"max_completion_length\":6}"), "", violations);
        assertThat(violations).isEmpty();
        TrainingMemory full = TrainingMemory.lm(SHAPE, c, null, 4);
        assertThat(full.weights()).isEqualTo(4 * 4 * 1000); // policy, π_ref, π_φ and π_φ's reference
        assertThat(full.optimizer()).isEqualTo(4 * 3 * 2 * 1000); // the policy's and π_φ's AdamW state
        assertThat(full.activations()).isEqualTo(45760); // B = 4, T = 10 as GRPO's
        TrainingMemory lora = TrainingMemory.lm(SHAPE, c, new LoraConfig(2, 4, 0, List.of()), 4);
        assertThat(lora.weights()).isEqualTo(4 * 2 * 1000); // two copies of the base, each with its own adapters
        assertThat(lora.optimizer()).isEqualTo(4 * 3 * 2 * (4 * 2 * 2 * 2 * 8));
    }

    @Test
    void sequencesNeverExceedTheContext() {
        TrainingMemory m = TrainingMemory.grpo(SHAPE, grpo(), null, 1_000_000);
        assertThat(m.activations()).isEqualTo(4 * (3 * 4 * 100 * 10 + 16 * 2 * 4 * 100 * 8));
        assertThat(m.describe()).matches("\\d+\\.\\d\\d GiB \\(weights .*, optimizer .*, activations .*\\)");
    }
}
