package dev.tropism.evaluations;

import com.fasterxml.jackson.annotation.JsonRawValue;
import java.time.Instant;

/** A suite version as the API shows it, defaults applied. */
record EvalSuiteView(String id, String object, String name, int version, String description, String preferences,
        String prompts, String goldRewardSpec, String goldRewardSpecAlias, String policy, int nSamples, int maxPrompts,
        int maxNewTokens, double temperature, double topP, long seed, @JsonRawValue String thresholds, String baseline,
        Instant createdAt) {

    static EvalSuiteView of(EvalSuite s) {
        return new EvalSuiteView(s.id(), "eval_suite", s.name(), s.version(), s.description(), s.preferences(),
                s.prompts(), s.goldRewardSpec(), s.goldRewardSpecAlias(), s.policy(), s.sampling().samplesPerPrompt(),
                s.sampling().limit(), s.sampling().maxNewTokens(), s.sampling().temperature(), s.sampling().topP(),
                s.sampling().seed(), s.thresholds(), s.baseline(), s.createdAt());
    }
}
