package dev.tropism.models;

import java.util.List;

/**
 * Scores with one reward model, from {@link RewardModels#open}. Thread-safe and cheap to keep: it holds
 * no native memory itself; calls on one model are served one at a time.
 */
public final class RewardModelHandle {

    private final RewardModels cache;
    private final ModelRecord record;

    RewardModelHandle(RewardModels cache, ModelRecord record) {
        this.cache = cache;
        this.record = record;
    }

    public String modelId() {
        return record.id();
    }

    /**
     * Rewards r(prompt ⊕ completion) of each pair {@code (prompts[i], completions[i])}, in order; inputs
     * longer than the model's {@code max_length} keep their end.
     *
     * @throws java.io.UncheckedIOException when the model cannot be loaded from object storage
     */
    public double[] score(List<String> prompts, List<String> completions) {
        return cache.score(record, prompts, completions);
    }

    /** The reward of one completion. */
    public double score(String prompt, String completion) {
        return score(List.of(prompt), List.of(completion))[0];
    }
}
