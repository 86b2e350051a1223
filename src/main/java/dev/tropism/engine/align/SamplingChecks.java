package dev.tropism.engine.align;

import static dev.tropism.engine.ConfigException.require;

/**
 * The checks of the knobs that the config records of the sampling methods share (rollout size, optimizer, sampling,
 * evaluation): one set of bounds and messages, each at its snake_case key. A record's constructor calls the groups
 * it has, then checks its own knobs.
 */
final class SamplingChecks {

    private SamplingChecks() {
    }

    /**
     * max_steps, prompts_per_step and num_generations, which must be at least 2: {@code needsTwo} says what needs
     * them (the start of the message).
     */
    static void rollout(int maxSteps, int promptsPerStep, int numGenerations, String needsTwo) {
        require(maxSteps >= 1 && maxSteps <= 1_000_000, "max_steps", "must be in [1, 1000000], got " + maxSteps);
        require(promptsPerStep >= 1 && promptsPerStep <= 1024, "prompts_per_step",
                "must be in [1, 1024], got " + promptsPerStep);
        require(numGenerations >= 2 && numGenerations <= 256, "num_generations",
                needsTwo + " needs at least 2 completions per prompt (max 256), got " + numGenerations);
        require((long) promptsPerStep * numGenerations <= 8192, "num_generations",
                "prompts_per_step × num_generations must be at most 8192 sequences per rollout, got "
                        + (long) promptsPerStep * numGenerations);
    }

    /** learning_rate, warmup_steps (within max_steps), weight_decay and grad_clip. */
    static void optimizer(double learningRate, int warmupSteps, int maxSteps, double weightDecay, double gradClip) {
        require(learningRate > 0 && learningRate <= 1, "learning_rate", "must be in (0, 1], got " + learningRate);
        require(warmupSteps >= 0 && warmupSteps <= maxSteps, "warmup_steps",
                "must be in [0, max_steps=" + maxSteps + "], got " + warmupSteps);
        require(weightDecay >= 0 && weightDecay <= 1, "weight_decay", "must be in [0, 1], got " + weightDecay);
        require(gradClip >= 0, "grad_clip", "must be >= 0 (0 disables clipping), got " + gradClip);
    }

    /** max_completion_length, temperature and top_p. */
    static void sampling(int maxCompletionLength, double temperature, double topP) {
        require(maxCompletionLength >= 1 && maxCompletionLength <= 4096, "max_completion_length",
                "must be in [1, 4096], got " + maxCompletionLength);
        require(temperature > 0 && temperature <= 10, "temperature", "must be in (0, 10], got " + temperature);
        require(topP > 0 && topP <= 1, "top_p", "must be in (0, 1], got " + topP);
    }

    /** eval_interval, eval_limit and accuracy_threshold. */
    static void evaluation(int evalInterval, int evalLimit, double accuracyThreshold) {
        require(evalInterval >= 0, "eval_interval", "must be >= 0 (0 disables), got " + evalInterval);
        require(evalLimit >= 1 && evalLimit <= 100_000, "eval_limit", "must be in [1, 100000], got " + evalLimit);
        require(Double.isFinite(accuracyThreshold), "accuracy_threshold",
                "must be a finite number, got " + accuracyThreshold);
    }
}
