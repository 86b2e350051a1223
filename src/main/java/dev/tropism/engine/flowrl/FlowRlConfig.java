package dev.tropism.engine.flowrl;

import static dev.tropism.engine.ConfigException.require;

/**
 * Hyperparameters shared by every flow alignment method ({@code method.<type>} of a flow job). Defaults follow
 * Flow-GRPO (Liu et al. 2025, arXiv:2505.05470, Sec. 5.1 and its released config) scaled to a 14×14
 * {@code tiny-flow} model on 2 CPU cores.
 *
 * @param maxSteps rollout batches (one optimizer step each per inner iteration); default 60
 * @param promptsPerStep distinct prompts per batch; default 4
 * @param numGenerations G, samples per prompt (the group); default 8; at least 2
 * @param sampleSteps T, Euler steps of the sampler; default 10; at least 2 (training uses the first T−1)
 * @param noiseLevel a, the SDE noise level in s_t = a·sqrt(σ/(1−σ)); default 0.7 (Flow-GRPO); must be &gt; 0
 * @param guidanceScale classifier-free guidance scale of rollouts, training and evaluation; default 1.0
 *     (no CFG: one forward per step). Flow-GRPO trains SD3.5 with CFG 4.5.
 * @param sdeWindow Flow-GRPO-Fast: when &gt; 0, noise (and training) only in a random window of this many
 *     consecutive steps, ODE elsewhere; default 0 (all of the first T−1 steps)
 * @param learningRate AdamW learning rate, constant after warmup; default 3e-4
 * @param warmupSteps linear warmup; default 0
 * @param weightDecay AdamW decoupled weight decay; default 0
 * @param gradClip global L2 norm clip; default 1.0; 0 disables
 * @param beta β, weight of the KL to the frozen reference, KL = mean((μ_θ − μ_ref)²)/(2s_t²) per step
 *     (Flow-GRPO's code); default 0.0 (measured as {@code train/kl} but not optimized)
 * @param clipRange ε of the clipped ratio; default 1e-4 (Flow-GRPO's config: log-probs are means over
 *     pixels, so ratios stay close to 1)
 * @param advantageClip advantages are clamped to ±this; default 5 (Flow-GRPO)
 * @param numIterations μ, optimizer steps per rollout batch; default 1, where the ratio is exactly 1
 * @param evalInterval steps between evaluations; default 10; 0 disables
 * @param evalSamplesPerPrompt fixed-seed samples per eval prompt (also the gallery's columns); default 8
 * @param accuracyThreshold an eval sample counts as correct for {@code eval/gold/accuracy} when its gold
 *     reward is at least this; default 0.5
 */
public record FlowRlConfig(
        int maxSteps,
        int promptsPerStep,
        int numGenerations,
        int sampleSteps,
        double noiseLevel,
        double guidanceScale,
        int sdeWindow,
        double learningRate,
        int warmupSteps,
        double weightDecay,
        double gradClip,
        double beta,
        double clipRange,
        double advantageClip,
        int numIterations,
        int evalInterval,
        int evalSamplesPerPrompt,
        double accuracyThreshold) {

    public static final FlowRlConfig DEFAULT = new FlowRlConfig(60, 4, 8, 10, 0.7, 1.0, 0, 3e-4, 0, 0.0, 1.0, 0.0, 1e-4,
            5.0, 1, 10, 8, 0.5);

    public FlowRlConfig {
        require(maxSteps >= 1 && maxSteps <= 100_000, "max_steps", "must be in [1, 100000], got " + maxSteps);
        require(promptsPerStep >= 1 && promptsPerStep <= 256, "prompts_per_step", "must be in [1, 256], got "
                + promptsPerStep);
        require(numGenerations >= 2 && numGenerations <= 256, "num_generations",
                "must be in [2, 256] (group-relative advantages need a group of at least 2), got " + numGenerations);
        require(sampleSteps >= 2 && sampleSteps <= 200, "sample_steps",
                "must be in [2, 200] (T − 1 >= 1 noisy steps to train on), got " + sampleSteps);
        require(noiseLevel > 0 && noiseLevel <= 5 && Double.isFinite(noiseLevel), "noise_level",
                "must be in (0, 5] (0 would make the sampler deterministic, with no policy to optimize), got "
                        + noiseLevel);
        require(guidanceScale >= 0 && guidanceScale <= 20, "guidance_scale", "must be in [0, 20], got " + guidanceScale);
        require(sdeWindow >= 0 && sdeWindow <= sampleSteps - 1, "sde_window",
                "must be in [0, sample_steps - 1 = " + (sampleSteps - 1) + "] (0: every step), got " + sdeWindow);
        require(learningRate > 0 && learningRate <= 1, "learning_rate", "must be in (0, 1], got " + learningRate);
        require(warmupSteps >= 0 && warmupSteps <= maxSteps, "warmup_steps",
                "must be in [0, max_steps=" + maxSteps + "], got " + warmupSteps);
        require(weightDecay >= 0 && weightDecay <= 1, "weight_decay", "must be in [0, 1], got " + weightDecay);
        require(gradClip >= 0, "grad_clip", "must be >= 0 (0 disables clipping), got " + gradClip);
        require(beta >= 0 && beta <= 1000, "beta", "must be in [0, 1000], got " + beta);
        require(clipRange > 0 && clipRange < 1, "clip_range", "must be in (0, 1), got " + clipRange);
        require(advantageClip > 0, "advantage_clip", "must be > 0, got " + advantageClip);
        require(numIterations >= 1 && numIterations <= 16, "num_iterations", "must be in [1, 16], got " + numIterations);
        require(evalInterval >= 0, "eval_interval", "must be >= 0 (0 disables), got " + evalInterval);
        require(evalSamplesPerPrompt >= 1 && evalSamplesPerPrompt <= 64, "eval_samples_per_prompt",
                "must be in [1, 64], got " + evalSamplesPerPrompt);
        require(accuracyThreshold >= 0 && accuracyThreshold <= 1, "accuracy_threshold",
                "must be in [0, 1], got " + accuracyThreshold);
    }

    /** B = prompts per step × G. */
    public int batchSize() {
        return promptsPerStep * numGenerations;
    }
}
