package dev.tropism.engine.lm;

import dev.tropism.engine.PolicyFamily;
import dev.tropism.engine.RunSpec;
import java.util.List;

/**
 * A pretraining run: a fresh {@code tiny-gpt} trained on {@code corpus} texts.
 *
 * @param model transformer shape; its vocab size is replaced by the tokenizer's
 * @param training optimizer and schedule
 * @param corpus one training text per element (a {@code corpus} dataset's {@code text} fields)
 * @param seed seed of initialization, batching and held-out split
 */
public record PretrainSpec(GptConfig model, PretrainConfig training, List<String> corpus, long seed)
        implements RunSpec {

    public PretrainSpec {
        if (corpus.isEmpty()) {
            throw new IllegalArgumentException("corpus is empty");
        }
        corpus = List.copyOf(corpus);
    }

    @Override
    public PolicyFamily family() {
        return PolicyFamily.LANGUAGE_MODEL;
    }
}
