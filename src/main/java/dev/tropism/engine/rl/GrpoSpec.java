package dev.tropism.engine.rl;

import dev.tropism.engine.PolicyFamily;
import dev.tropism.engine.RewardFunction;
import dev.tropism.engine.RunOptions;
import dev.tropism.engine.RunSpec;
import dev.tropism.engine.TrainingRun;
import dev.tropism.engine.hf.LoraConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A GRPO alignment run of a language model.
 *
 * @param baseModel directory of the model to align (written by {@code TrainingRun.exportModel}); it is
 *     also the frozen reference for the KL term
 * @param config GRPO hyperparameters
 * @param prompts training items; each has a {@code prompt} field plus whatever the reward reads
 * @param evalPrompts held-out items for greedy evaluation; may be empty
 * @param reward scores completions; the reward the run optimizes
 * @param seed seed of prompt order and sampling
 * @param goldReward an evaluation-only reward (a job's {@code eval_reward_spec}) scored on the eval
 *     completions as {@code eval/gold/...} and never optimized; null for none
 * @param lora LoRA adapters to train instead of every weight (a job's {@code method.lora}); null for full
 *     fine-tuning. Imported models only; π_ref is then the base with the adapters off
 */
public record GrpoSpec(
        Path baseModel,
        GrpoConfig config,
        List<Map<String, Object>> prompts,
        List<Map<String, Object>> evalPrompts,
        RewardFunction reward,
        long seed,
        RewardFunction goldReward,
        LoraConfig lora) implements RunSpec {

    public GrpoSpec(Path baseModel, GrpoConfig config, List<Map<String, Object>> prompts,
            List<Map<String, Object>> evalPrompts, RewardFunction reward, long seed) {
        this(baseModel, config, prompts, evalPrompts, reward, seed, null, null);
    }

    /** Full fine-tuning. */
    public GrpoSpec(Path baseModel, GrpoConfig config, List<Map<String, Object>> prompts,
            List<Map<String, Object>> evalPrompts, RewardFunction reward, long seed, RewardFunction goldReward) {
        this(baseModel, config, prompts, evalPrompts, reward, seed, goldReward, null);
    }

    public GrpoSpec {
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException("prompt set is empty");
        }
        prompts = List.copyOf(prompts);
        evalPrompts = List.copyOf(evalPrompts);
    }

    @Override
    public PolicyFamily family() {
        return PolicyFamily.LANGUAGE_MODEL;
    }

    @Override
    public TrainingRun open(Path checkpoint, RunOptions options) throws IOException {
        return new GrpoRun(this, checkpoint, options);
    }
}
