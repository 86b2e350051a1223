package dev.tropism.rewards;

import java.util.List;
import java.util.Optional;

/**
 * Scoring with a team's learned reward model, for {@code reward_model} graders. Implemented by the
 * models module (which loads and caches the models); the rewards module only calls it.
 */
public interface RewardModelScorer {

    /** Why team {@code teamId} cannot score with {@code modelId}, or empty when it can. Loads nothing. */
    Optional<String> unusable(String teamId, String modelId);

    /**
     * r(prompt ⊕ completion) for each pair, in order.
     *
     * @throws RuntimeException when the model cannot be used or loaded; the grader reports it per sample
     */
    double[] score(String teamId, String modelId, List<String> prompts, List<String> completions);
}
