package dev.tropism.evaluations;

import dev.tropism.engine.lm.DryRunConfig;
import java.time.Instant;

/**
 * One version of an evaluation suite: what a candidate reward is measured on, and the thresholds it must meet.
 *
 * @param preferences held-out preference pairs (dataset id), or null
 * @param prompts prompts whose policy samples the gold judge and the candidate both score, or null
 * @param goldRewardSpec the gold judge (resolved at creation), or null when there are no prompts
 * @param goldRewardSpecAlias the alias the gold spec was given as, or null
 * @param policy the language model whose samples are judged, or null when there are no prompts
 * @param sampling how the policy is sampled: {@code samplesPerPrompt} is {@code n_samples}, {@code limit} is
 *     {@code max_prompts}
 * @param thresholds the JSON object of thresholds as stored (validated at creation)
 * @param baseline the baseline reference as given (an id or an alias), resolved by each evaluation; or null
 */
record EvalSuite(long seq, String id, String teamId, String name, int version, String description, String preferences,
        String prompts, String goldRewardSpec, String goldRewardSpecAlias, String policy, DryRunConfig sampling,
        String thresholds, String baseline, Instant createdAt) {
}
