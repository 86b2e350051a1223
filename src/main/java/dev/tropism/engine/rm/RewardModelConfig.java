package dev.tropism.engine.rm;

import static dev.tropism.engine.ConfigException.require;

/**
 * Hyperparameters of Bradley–Terry reward-model training (method {@code reward_model}), after TRL's
 * RewardConfig. AdamW with linear warmup then cosine decay to a tenth of the peak, and global-norm
 * gradient clipping, as in pretraining. Each knob is documented once, here.
 *
 * @param maxSteps optimizer steps of the run; default 200
 * @param batchSize preference pairs per optimizer step (each pair is two sequences); default 32
 * @param learningRate peak AdamW learning rate after warmup; default 1e-3 (pretraining's). The whole tiny
 *     backbone is fine-tuned, far faster than TRL's 1e-5 for billion-parameter models: on the synthetic
 *     successor-letter preferences of the engine's test, 1e-3 reached 89% held-out accuracy in 200 steps
 * @param warmupSteps linear warmup steps; default 10
 * @param weightDecay AdamW decoupled weight decay on matrices (the head's included); default 0.0 (TRL)
 * @param gradClip global L2 norm clip; default 1.0 (TRL's max_grad_norm); 0 disables
 * @param evalInterval steps between held-out evaluations (pairwise accuracy, loss, calibration); default 25;
 *     0 disables
 * @param evalFraction share of the training pairs held out for evaluation when no eval dataset is given;
 *     default 0.1 (none are held out from fewer than 10 pairs)
 * @param evalLimit held-out pairs used at most per evaluation; default 1000
 * @param maxLength tokens per sequence (BOS + prompt + response + EOS) at most; longer ones keep their
 *     end (the response), losing the start of the prompt. Default 0: the base model's {@code block_size},
 *     which is also the upper bound (positions are learned)
 * @param centerRewardsCoefficient η of the auxiliary loss η·mean((r_chosen + r_rejected)²) that pulls
 *     rewards towards zero mean (Eisenstein et al. 2023, "Helping or Herding?", Sec. 3; TRL's
 *     center_rewards_coefficient, which suggests 0.01); default 0.0 (off). Bradley–Terry is invariant to a
 *     shift of all rewards, so without it the mean reward drifts freely
 */
public record RewardModelConfig(
        int maxSteps,
        int batchSize,
        double learningRate,
        int warmupSteps,
        double weightDecay,
        double gradClip,
        int evalInterval,
        double evalFraction,
        int evalLimit,
        int maxLength,
        double centerRewardsCoefficient) {

    public static final RewardModelConfig DEFAULT = new RewardModelConfig(200, 32, 1e-3, 10, 0.0, 1.0, 25, 0.1, 1000,
            0, 0.0);

    /** The cosine schedule ends at {@code learningRate} times this (as pretraining's default). */
    static final double MIN_LR_RATIO = 0.1;

    public RewardModelConfig {
        require(maxSteps >= 1 && maxSteps <= 1_000_000, "max_steps", "must be in [1, 1000000], got " + maxSteps);
        require(batchSize >= 1 && batchSize <= 2048, "batch_size",
                "must be in [1, 2048] pairs (each pair is two sequences), got " + batchSize);
        require(learningRate > 0 && learningRate <= 1, "learning_rate", "must be in (0, 1], got " + learningRate);
        require(warmupSteps >= 0 && warmupSteps <= maxSteps, "warmup_steps",
                "must be in [0, max_steps=" + maxSteps + "], got " + warmupSteps);
        require(weightDecay >= 0 && weightDecay <= 1, "weight_decay", "must be in [0, 1], got " + weightDecay);
        require(gradClip >= 0 && Double.isFinite(gradClip), "grad_clip",
                "must be >= 0 (0 disables clipping), got " + gradClip);
        require(evalInterval >= 0, "eval_interval", "must be >= 0 (0 disables), got " + evalInterval);
        require(evalFraction >= 0 && evalFraction < 0.5, "eval_fraction", "must be in [0, 0.5), got " + evalFraction);
        require(evalLimit >= 1 && evalLimit <= 100_000, "eval_limit", "must be in [1, 100000], got " + evalLimit);
        require(maxLength == 0 || (maxLength >= 2 && maxLength <= 4096), "max_length",
                "must be 0 (the base model's block_size) or in [2, 4096], got " + maxLength);
        require(centerRewardsCoefficient >= 0 && centerRewardsCoefficient <= 10, "center_rewards_coefficient",
                "must be in [0, 10] (0 disables), got " + centerRewardsCoefficient);
    }
}
