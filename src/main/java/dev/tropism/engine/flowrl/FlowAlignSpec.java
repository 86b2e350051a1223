package dev.tropism.engine.flowrl;

import dev.tropism.engine.PolicyFamily;
import dev.tropism.engine.RewardFunction;
import dev.tropism.engine.RunOptions;
import dev.tropism.engine.RunSpec;
import dev.tropism.engine.TrainingRun;
import dev.tropism.engine.flow.FlowModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A flow alignment run: a {@code flow-matching} base model aligned to an image reward by one of the
 * {@link FlowMethodType} methods.
 *
 * @param baseModel directory of the base model ({@link FlowModel}); when it holds its recipe's gold
 *     classifier, diversity is measured in that classifier's feature space, else in pixel space
 * @param method the method
 * @param config shared hyperparameters
 * @param methodConfig the method's own hyperparameters ({@link FlowMethodType#extraConfig()}), or null for
 *     its defaults
 * @param prompts training items, each {@code {"prompt": "<class name>"}}
 * @param evalPrompts evaluation items; empty means the distinct training prompts
 * @param reward the proxy reward that is optimized
 * @param goldReward the gold reward ({@code eval_reward_spec}), never optimized; null when absent
 * @param seed seed of every random stream
 */
public record FlowAlignSpec(Path baseModel, FlowMethodType method, FlowRlConfig config, Record methodConfig,
        List<Map<String, Object>> prompts, List<Map<String, Object>> evalPrompts, RewardFunction reward,
        RewardFunction goldReward, long seed) implements RunSpec {

    public FlowAlignSpec {
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException("no training prompts");
        }
        prompts = List.copyOf(prompts);
        evalPrompts = List.copyOf(evalPrompts);
        if (methodConfig != null && method.extraConfig() != null && !method.extraConfig().isInstance(methodConfig)) {
            throw new IllegalArgumentException(method.wireName() + " takes a " + method.extraConfig().getSimpleName());
        }
    }

    @Override
    public PolicyFamily family() {
        return PolicyFamily.FLOW_MATCHING;
    }

    @Override
    public TrainingRun open(Path checkpoint, RunOptions options) throws IOException {
        return new FlowRlRun(this, checkpoint, options);
    }
}
