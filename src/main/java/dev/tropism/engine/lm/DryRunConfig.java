package dev.tropism.engine.lm;

import static dev.tropism.engine.ConfigException.require;

/**
 * Knobs of a reward-spec dry-run ({@link LmDryRun}): how many prompts, how many completions each, and
 * how they are sampled. Each knob is documented once, here; the service binds the request's snake_case
 * keys onto it.
 *
 * @param samplesPerPrompt G, completions sampled per prompt, scored as one group as GRPO would; default
 *     4. With G = 1 every group has zero variance (GRPO needs G ≥ 2 to learn anything)
 * @param limit prompts used at most; default 50. A larger prompt set is subsampled with the seed
 * @param maxNewTokens tokens generated per completion at most; default 8 (GRPO's max_completion_length
 *     default). Must leave room for the prompt in the model's block_size
 * @param temperature sampling temperature, 0 &lt; t ≤ 2; default 1.0 (GRPO's rollout default)
 * @param topP nucleus mass (Holtzman et al. 2020), 0 &lt; p ≤ 1; default 1.0 (off)
 * @param seed seeds the prompt subsample and every sampled token; the same seed, model, dataset and spec
 *     give the same report (up to CPU float reductions)
 */
public record DryRunConfig(int samplesPerPrompt, int limit, int maxNewTokens, double temperature, double topP, long seed) {

    /** The largest G: GRPO setups use 4 to 64 completions per prompt. */
    public static final int MAX_SAMPLES_PER_PROMPT = 64;
    /**
     * Bounds one dry-run's cost (at most 64,000 samples). A 0/1 reward's mean over 1000 independent prompts
     * is known to within about ±3 points (95%, binomial standard error at p = 0.5), which is enough to judge a spec.
     */
    public static final int MAX_LIMIT = 1000;
    /** The tiny models' block sizes are far below this; it only stops absurd requests early. */
    public static final int MAX_NEW_TOKENS = 1024;

    public static final DryRunConfig DEFAULT = new DryRunConfig(4, 50, 8, 1.0, 1.0, 0L);

    public DryRunConfig {
        require(samplesPerPrompt >= 1 && samplesPerPrompt <= MAX_SAMPLES_PER_PROMPT, "samples_per_prompt",
                "must be between 1 and " + MAX_SAMPLES_PER_PROMPT + ", got " + samplesPerPrompt);
        require(limit >= 1 && limit <= MAX_LIMIT, "limit", "must be between 1 and " + MAX_LIMIT + ", got " + limit);
        require(maxNewTokens >= 1 && maxNewTokens <= MAX_NEW_TOKENS, "max_new_tokens",
                "must be between 1 and " + MAX_NEW_TOKENS + ", got " + maxNewTokens);
        require(temperature > 0 && temperature <= 2, "temperature", "must be > 0 and <= 2, got " + temperature);
        require(topP > 0 && topP <= 1, "top_p", "must be > 0 and <= 1, got " + topP);
    }

    public DryRunConfig withSeed(long s) {
        return new DryRunConfig(samplesPerPrompt, limit, maxNewTokens, temperature, topP, s);
    }
}
