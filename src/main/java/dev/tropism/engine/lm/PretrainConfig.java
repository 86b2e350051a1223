package dev.tropism.engine.lm;

import static dev.tropism.engine.ConfigException.require;

/**
 * Hyperparameters of next-token pretraining (recipe {@code tiny-gpt}). AdamW with linear warmup then
 * cosine decay and global-norm gradient clipping, as in nanoGPT's train.py.
 *
 * @param maxSteps optimizer steps; default 600. The demo stops early on purpose so RL has room.
 * @param batchSize sequences per step; default 64
 * @param learningRate peak learning rate after warmup; default 1e-3 (2e-3 left the demo model on its
 *     loss plateau for 600 steps)
 * @param minLrRatio the cosine schedule decays to {@code learningRate * minLrRatio}; default 0.1 (nanoGPT)
 * @param warmupSteps linear warmup steps; default 50. Without warmup a 1e-3 run went NaN (DJL notes)
 * @param weightDecay AdamW decoupled weight decay on 2-D weights only; default 0.1 (nanoGPT)
 * @param gradClip global L2 norm clip; default 1.0; 0 disables
 * @param evalInterval steps between held-out loss evaluations; default 100; 0 disables
 * @param evalFraction share of the corpus held out for {@code eval/loss}; default 0.02
 * @param stopAtAccuracy stop as soon as greedy {@code eval/accuracy} on the run's eval prompts reaches this
 *     (checked every {@code evalInterval} steps); default 0 (off). This is how a base model is stopped early
 *     on purpose so that RL has room: the knee of a small model's learning curve moves by hundreds of
 *     steps between seeds, so a fixed step count cannot land in a target accuracy band
 * @param evalLimit eval prompts used at most for {@code eval/accuracy}; default 500
 * @param evalMaxNewTokens completion length limit of that greedy evaluation; default 8
 */
public record PretrainConfig(
        int maxSteps,
        int batchSize,
        double learningRate,
        double minLrRatio,
        int warmupSteps,
        double weightDecay,
        double gradClip,
        int evalInterval,
        double evalFraction,
        double stopAtAccuracy,
        int evalLimit,
        int evalMaxNewTokens) {

    public static final PretrainConfig DEFAULT = new PretrainConfig(600, 64, 1e-3, 0.1, 50, 0.1, 1.0, 100, 0.02, 0.0,
            500, 8);

    public PretrainConfig {
        require(maxSteps >= 1 && maxSteps <= 1_000_000, "max_steps", "must be in [1, 1000000], got " + maxSteps);
        require(batchSize >= 1 && batchSize <= 4096, "batch_size", "must be in [1, 4096], got " + batchSize);
        require(learningRate > 0 && learningRate <= 1, "learning_rate", "must be in (0, 1], got " + learningRate);
        require(minLrRatio >= 0 && minLrRatio <= 1, "min_lr_ratio", "must be in [0, 1], got " + minLrRatio);
        require(warmupSteps >= 0 && warmupSteps <= maxSteps, "warmup_steps",
                "must be in [0, max_steps=" + maxSteps + "], got " + warmupSteps);
        require(weightDecay >= 0 && weightDecay <= 1, "weight_decay", "must be in [0, 1], got " + weightDecay);
        require(gradClip >= 0, "grad_clip", "must be >= 0 (0 disables clipping), got " + gradClip);
        require(evalInterval >= 0, "eval_interval", "must be >= 0 (0 disables), got " + evalInterval);
        require(evalFraction >= 0 && evalFraction < 0.5, "eval_fraction", "must be in [0, 0.5), got " + evalFraction);
        require(stopAtAccuracy >= 0 && stopAtAccuracy <= 1, "stop_at_accuracy", "must be in [0, 1] (0 disables), got "
                + stopAtAccuracy);
        require(evalLimit >= 1 && evalLimit <= 100_000, "eval_limit", "must be in [1, 100000], got " + evalLimit);
        require(evalMaxNewTokens >= 1 && evalMaxNewTokens <= 4096, "eval_max_new_tokens",
                "must be in [1, 4096], got " + evalMaxNewTokens);
    }
}
