package dev.tropism.engine.rl;

import static dev.tropism.engine.ConfigException.require;

/**
 * Hyperparameters of GRPO (Shao et al. 2024, "DeepSeekMath", Sec. 4.1), following the knobs of TRL's
 * GRPOConfig. Each knob is documented once, here.
 *
 * @param maxSteps rollout batches of the run (each with μ optimizer steps); default 150
 * @param promptsPerStep distinct prompts sampled per rollout batch; default 16
 * @param numGenerations G, completions sampled per prompt; default 8. GRPO needs at least 2
 * @param numIterations μ, optimizer steps taken on each rollout batch (DeepSeekMath Alg. 1); default 1.
 *     With μ = 1 the ratio is 1 at every step and clipping never binds (TRL's note)
 * @param learningRate AdamW learning rate, constant after warmup; default 3e-4 for the tiny model
 * @param warmupSteps linear warmup; default 5
 * @param weightDecay AdamW decoupled weight decay; default 0 (TRL)
 * @param gradClip global L2 norm clip; default 1.0 (TRL's max_grad_norm)
 * @param beta β, weight of the k3 KL penalty to the frozen reference; default 0.0 (TRL's default); the KL is
 *     still measured and logged as {@code train/kl} (one no-gradient reference forward per step);
 *     DeepSeekMath used 0.04
 * @param epsilonLow ε_low, lower clip of the ratio; default 0.2 (PPO)
 * @param epsilonHigh ε_high, upper clip; default 0.28 (DAPO's clip-higher, Yu et al. 2025, Sec. 3.1)
 * @param scaleRewards how advantages are scaled after centering on the group mean (TRL's scale_rewards)
 * @param lossType how per-token losses are aggregated (TRL's loss_type); default dapo
 * @param maskTruncatedCompletions exclude completions that hit {@code maxCompletionLength} without an
 *     end marker from the loss (DAPO, Sec. 3.3); default false
 * @param maxCompletionLength tokens generated per completion at most; default 8
 * @param temperature sampling temperature for rollouts; default 1.0
 * @param topP nucleus sampling mass for rollouts; default 1.0 (off)
 * @param evalInterval steps between greedy evaluations on the eval set; default 25; 0 disables
 * @param evalLimit eval items used at most; default 1000
 * @param accuracyThreshold an eval sample counts as correct for {@code eval/accuracy} when its reward
 *     is at least this; default 1.0 (exact match for binary rewards)
 * @param dynamicSampling DAPO's dynamic sampling (Yu et al. 2025, Sec. 3.2, the constraint of Eq. 11): a prompt
 *        group whose G rewards are all equal (all right or all wrong) has advantages of 0 and teaches nothing, so it
 *        is dropped and more prompts are sampled until {@code prompts_per_step} informative groups are kept or
 *        {@code max_sampling_rounds} rollouts were made; default false (plain GRPO)
 * @param maxSamplingRounds the cap of dynamic sampling: rollouts per step at most, the first included (DAPO's
 *        max_num_gen_batches); default 4. A step that finds no informative group trains on its first rollout.
 */
public record GrpoConfig(
        int maxSteps,
        int promptsPerStep,
        int numGenerations,
        int numIterations,
        double learningRate,
        int warmupSteps,
        double weightDecay,
        double gradClip,
        double beta,
        double epsilonLow,
        double epsilonHigh,
        ScaleRewards scaleRewards,
        LossType lossType,
        boolean maskTruncatedCompletions,
        int maxCompletionLength,
        double temperature,
        double topP,
        int evalInterval,
        int evalLimit,
        double accuracyThreshold,
        boolean dynamicSampling,
        int maxSamplingRounds) {

    public static final GrpoConfig DEFAULT = new GrpoConfig(150, 16, 8, 1, 3e-4, 5, 0.0, 1.0, 0.0, 0.2, 0.28,
            ScaleRewards.GROUP, LossType.DAPO, false, 8, 1.0, 1.0, 25, 1000, 1.0, false, 4);

    /** Plain GRPO, without dynamic sampling. */
    public GrpoConfig(int maxSteps, int promptsPerStep, int numGenerations, int numIterations, double learningRate,
            int warmupSteps, double weightDecay, double gradClip, double beta, double epsilonLow, double epsilonHigh,
            ScaleRewards scaleRewards, LossType lossType, boolean maskTruncatedCompletions, int maxCompletionLength,
            double temperature, double topP, int evalInterval, int evalLimit, double accuracyThreshold) {
        this(maxSteps, promptsPerStep, numGenerations, numIterations, learningRate, warmupSteps, weightDecay, gradClip,
                beta, epsilonLow, epsilonHigh, scaleRewards, lossType, maskTruncatedCompletions, maxCompletionLength,
                temperature, topP, evalInterval, evalLimit, accuracyThreshold, false, 4);
    }

    /** TRL's scale_rewards: divide centered rewards by the group std, the batch std, or nothing. */
    public enum ScaleRewards {
        /** A = (r − mean_group) / (std_group + 1e-4): DeepSeekMath's outcome supervision (Eq. in Sec. 4.1.2). */
        GROUP,
        /** A = (r − mean_group) / (std_batch + 1e-4): robust to near-constant groups (Liu et al., Dr. GRPO discussion). */
        BATCH,
        /** A = r − mean_group: Dr. GRPO (Liu et al. 2025, "Understanding R1-Zero-Like Training", Sec. 3.1). */
        NONE
    }

    /** TRL's loss_type: how token losses become one scalar. */
    public enum LossType {
        /** Mean over each sequence's tokens, then over sequences (DeepSeekMath Eq. 3). Length-biased. */
        GRPO,
        /** Sum over all tokens divided by (batch · max_completion_length) (Dr. GRPO, Sec. 3.1). */
        DR_GRPO,
        /** Sum over all tokens divided by the number of tokens in the batch (DAPO Eq. 8, token-level). */
        DAPO
    }

    public GrpoConfig {
        require(maxSteps >= 1 && maxSteps <= 1_000_000, "max_steps", "must be in [1, 1000000], got " + maxSteps);
        require(promptsPerStep >= 1 && promptsPerStep <= 1024, "prompts_per_step",
                "must be in [1, 1024], got " + promptsPerStep);
        require(numGenerations >= 2 && numGenerations <= 256, "num_generations",
                "GRPO needs at least 2 generations per prompt to form a group baseline (max 256), got " + numGenerations);
        require((long) promptsPerStep * numGenerations <= 8192, "num_generations",
                "prompts_per_step × num_generations must be at most 8192 sequences per rollout, got "
                        + (long) promptsPerStep * numGenerations);
        require(numIterations >= 1 && numIterations <= 16, "num_iterations", "must be in [1, 16], got " + numIterations);
        require(learningRate > 0 && learningRate <= 1, "learning_rate", "must be in (0, 1], got " + learningRate);
        require(warmupSteps >= 0 && warmupSteps <= maxSteps, "warmup_steps",
                "must be in [0, max_steps=" + maxSteps + "], got " + warmupSteps);
        require(weightDecay >= 0 && weightDecay <= 1, "weight_decay", "must be in [0, 1], got " + weightDecay);
        require(gradClip >= 0, "grad_clip", "must be >= 0 (0 disables clipping), got " + gradClip);
        require(beta >= 0 && beta <= 10, "beta", "must be in [0, 10], got " + beta);
        require(epsilonLow > 0 && epsilonLow < 1, "epsilon_low", "must be in (0, 1), got " + epsilonLow);
        require(epsilonHigh > 0 && epsilonHigh <= 10, "epsilon_high", "must be in (0, 10], got " + epsilonHigh);
        require(scaleRewards != null, "scale_rewards", "must be one of group, batch, none");
        require(lossType != null, "loss_type", "must be one of grpo, dr_grpo, dapo");
        require(maxCompletionLength >= 1 && maxCompletionLength <= 4096, "max_completion_length",
                "must be in [1, 4096], got " + maxCompletionLength);
        require(temperature > 0 && temperature <= 10, "temperature", "must be in (0, 10], got " + temperature);
        require(topP > 0 && topP <= 1, "top_p", "must be in (0, 1], got " + topP);
        require(evalInterval >= 0, "eval_interval", "must be >= 0 (0 disables), got " + evalInterval);
        require(evalLimit >= 1 && evalLimit <= 100_000, "eval_limit", "must be in [1, 100000], got " + evalLimit);
        require(maxSamplingRounds >= 1 && maxSamplingRounds <= 32, "max_sampling_rounds",
                "must be in [1, 32] rollouts per step, got " + maxSamplingRounds);
    }

    /** Sequences per rollout batch: B = promptsPerStep · G. */
    public int rolloutBatchSize() {
        return promptsPerStep * numGenerations;
    }
}
