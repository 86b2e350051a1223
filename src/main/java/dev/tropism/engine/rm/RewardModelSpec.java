package dev.tropism.engine.rm;

import dev.tropism.engine.PolicyFamily;
import dev.tropism.engine.RunOptions;
import dev.tropism.engine.RunSpec;
import dev.tropism.engine.TrainingRun;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A reward-model training run: a {@code tiny-gpt} backbone initialized from a language model, with a
 * fresh scalar head, trained on preference pairs.
 *
 * @param baseModel directory of the language model whose weights and tokenizer initialize the backbone
 *     (written by {@code TrainingRun.exportModel})
 * @param config training hyperparameters
 * @param train training pairs
 * @param eval held-out pairs; when empty, {@link RewardModelConfig#evalFraction()} of {@code train} is
 *     held out instead (a seeded split)
 * @param seed seed of the head's initialization, the held-out split and the batch order
 */
public record RewardModelSpec(Path baseModel, RewardModelConfig config, List<PreferencePair> train,
        List<PreferencePair> eval, long seed) implements RunSpec {

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
