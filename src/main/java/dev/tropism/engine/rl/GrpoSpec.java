package dev.tropism.engine.rl;

import dev.tropism.engine.PolicyFamily;
import dev.tropism.engine.RewardFunction;
import dev.tropism.engine.RunSpec;
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
 * @param reward scores completions
 * @param seed seed of prompt order and sampling
 */
public record GrpoSpec(
        Path baseModel,
        GrpoConfig config,
        List<Map<String, Object>> prompts,
        List<Map<String, Object>> evalPrompts,
        RewardFunction reward,
        long seed) implements RunSpec {

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
}
