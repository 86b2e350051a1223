package dev.tropism.engine;

import java.util.List;
import java.util.Map;

/**
 * What a reward function may ask of the model being trained or evaluated. Graders that need the
 * policy (likelihood rewards) or the reference model (reward shaping against reference samples) use
 * it; plain graders ignore it. Outside a run (a reward spec's "try it") there is no model, and
 * {@link #NONE} answers every call with {@link UnsupportedOperationException}, which graders report
 * as an {@code unsupported} error.
 */
public interface ScoringContext {

    /**
     * How likely the policy finds a target text after a context, per token.
     *
     * @param meanLogProb mean over the target's tokens of log π(token | context, earlier target tokens)
     * @param meanProb mean over the target's tokens of π(token | …)
     * @param tokens the number of target tokens scored (0 for an empty target: both means are NaN)
     */
    record Likelihood(double meanLogProb, double meanProb, int tokens) {
    }

    /** For each pair, how likely the policy finds {@code targets[i]} following {@code contexts[i]}. */
    Likelihood[] likelihoods(List<String> contexts, List<String> targets);

    /**
     * {@code m} completions of the item's prompt sampled from the reference (base) model at the run's
     * sampling temperature. Deterministic for a given run seed and prompt, so they may be cached.
     */
    List<String> referenceCompletions(Map<String, Object> item, int m);

    /** No model: every call throws {@link UnsupportedOperationException}. */
    ScoringContext NONE = new ScoringContext() {
        @Override
        public Likelihood[] likelihoods(List<String> contexts, List<String> targets) {
            throw new UnsupportedOperationException("no policy model in this context (only inside a job or dry-run)");
        }

        @Override
        public List<String> referenceCompletions(Map<String, Object> item, int m) {
            throw new UnsupportedOperationException("no reference model in this context (only inside a job or dry-run)");
        }
    };
}
