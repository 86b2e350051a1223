package dev.tropism.engine.rm;

import dev.tropism.engine.PolicyFamily;
import dev.tropism.engine.RunOptions;
import dev.tropism.engine.RunSpec;
import dev.tropism.engine.TrainingRun;
import dev.tropism.engine.hf.LoraConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A reward-model training run: a backbone initialized from a language model ({@code tiny-gpt} or an
 * imported HF model), with a fresh scalar head, trained on preference pairs.
 *
 * @param baseModel directory of the language model whose weights and tokenizer initialize the backbone
 *     (written by {@code TrainingRun.exportModel})
 * @param config training hyperparameters
 * @param train training pairs
 * @param eval held-out pairs; when empty, {@link RewardModelConfig#evalFraction()} of {@code train} is
 *     held out instead (a seeded split)
 * @param seed seed of the head's (and adapters') initialization, the held-out split and the batch order
 * @param lora LoRA adapters to train with the head instead of every backbone weight; null for full
 *     fine-tuning. Imported models only
 */
public record RewardModelSpec(Path baseModel, RewardModelConfig config, List<PreferencePair> train,
        List<PreferencePair> eval, long seed, LoraConfig lora) implements RunSpec {

    /** Full fine-tuning. */
    public RewardModelSpec(Path baseModel, RewardModelConfig config, List<PreferencePair> train,
            List<PreferencePair> eval, long seed) {
        this(baseModel, config, train, eval, seed, null);
    }

    public RewardModelSpec {
        if (train.isEmpty()) {
            throw new IllegalArgumentException("preference set is empty");
        }
        train = List.copyOf(train);
        eval = List.copyOf(eval);
    }

    @Override
    public PolicyFamily family() {
        return PolicyFamily.REWARD_MODEL;
    }

    @Override
    public TrainingRun open(Path checkpoint, RunOptions options) throws IOException {
        return new RewardModelRun(this, checkpoint, options);
    }
}
