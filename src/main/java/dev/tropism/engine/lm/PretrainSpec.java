package dev.tropism.engine.lm;

import dev.tropism.engine.ConfigException;
import dev.tropism.engine.PolicyFamily;
import dev.tropism.engine.RewardFunction;
import dev.tropism.engine.RunOptions;
import dev.tropism.engine.RunSpec;
import dev.tropism.engine.TrainingRun;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A pretraining run: a fresh {@code tiny-gpt} trained on {@code corpus} texts.
 *
 * @param model transformer shape; its vocab size is replaced by the tokenizer's
 * @param training optimizer and schedule
 * @param corpus one training text per element (a {@code corpus} dataset's {@code text} fields)
 * @param seed seed of initialization, batching and held-out split
 * @param evalPrompts prompt items for greedy {@code eval/accuracy} (and early stopping); may be empty
 * @param evalReward scores those items; null when there are none
 */
public record PretrainSpec(GptConfig model, PretrainConfig training, List<String> corpus, long seed,
        List<Map<String, Object>> evalPrompts, RewardFunction evalReward) implements RunSpec {

    public PretrainSpec {
        if (corpus.isEmpty()) {
            throw new IllegalArgumentException("corpus is empty");
        }
        corpus = List.copyOf(corpus);
        evalPrompts = List.copyOf(evalPrompts);
        if (!evalPrompts.isEmpty() && evalReward == null) {
            throw new IllegalArgumentException("eval prompts need a reward function");
        }
        if (training.stopAtAccuracy() > 0 && evalPrompts.isEmpty()) {
            throw new ConfigException("stop_at_accuracy", "needs eval prompts and a reward spec to measure accuracy");
        }
    }

    /** A run without eval prompts (held-out loss only). */
    public PretrainSpec(GptConfig model, PretrainConfig training, List<String> corpus, long seed) {
        this(model, training, corpus, seed, List.of(), null);
    }

    @Override
    public PolicyFamily family() {
        return PolicyFamily.LANGUAGE_MODEL;
    }

    @Override
    public TrainingRun open(Path checkpoint, RunOptions options) throws IOException {
        return new LmPretrainRun(this, checkpoint, options);
    }
}
