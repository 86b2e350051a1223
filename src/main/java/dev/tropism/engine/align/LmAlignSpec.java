package dev.tropism.engine.align;

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
 * A language-model alignment run by one of the {@link LmMethodType} methods.
 *
 * @param baseModel directory of the model to train; also the frozen reference π_ref
 * @param method the method
 * @param config its hyperparameters, an instance of {@link LmMethodType#configClass()}
 * @param items training items, as the method's {@link LmMethodType#data()} describes them
 * @param evalItems held-out items of the same kind; may be empty
 * @param reward scores sampled completions; null exactly when the method uses none
 * @param goldReward an evaluation-only reward ({@code eval/gold/...}), never optimized; null for none
 * @param seed seed of every random stream
 * @param lora LoRA adapters to train instead of every weight (imported models only); null for full fine-tuning
 */
public record LmAlignSpec(Path baseModel, LmMethodType method, LmMethodConfig config, List<Map<String, Object>> items,
        List<Map<String, Object>> evalItems, RewardFunction reward, RewardFunction goldReward, long seed,
        LoraConfig lora) implements RunSpec {

    public LmAlignSpec {
        if (items.isEmpty()) {
            throw new IllegalArgumentException("no training items");
        }
        if (!method.configClass().isInstance(config)) {
            throw new IllegalArgumentException(method.wireName() + " takes a " + method.configClass().getSimpleName());
        }
        if ((reward != null) != method.usesReward()) {
            throw new IllegalArgumentException(method.wireName() + (method.usesReward() ? " needs" : " takes no")
                    + " reward function");
        }
        items = List.copyOf(items);
        evalItems = List.copyOf(evalItems);
    }

    /** The config as the method's own record. */
    public <C> C config(Class<C> type) {
        return type.cast(config);
    }

    @Override
    public PolicyFamily family() {
        return PolicyFamily.LANGUAGE_MODEL;
    }

    @Override
    public TrainingRun open(Path checkpoint, RunOptions options) throws IOException {
        return method.open(this, checkpoint, options);
    }
}
