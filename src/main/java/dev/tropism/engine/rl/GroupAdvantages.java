package dev.tropism.engine.rl;

import dev.tropism.engine.rl.GrpoConfig.ScaleRewards;

/**
 * Group-relative advantages (Shao et al. 2024, "DeepSeekMath", Sec. 4.1.2, outcome supervision):
 * each completion's reward is centered on the mean reward of the G completions of the same prompt,
 * then scaled per {@link ScaleRewards}; ε = 1e-4 guards zero-variance groups (TRL and flow_grpo alike).
 * The two reference implementations differ in the standard deviation: see {@link StdEstimator}. Every caller
 * states its choice.
 */
public final class GroupAdvantages {

    static final double EPS = 1e-4;

    private GroupAdvantages() {
    }

    /** The standard deviation that scales a group (or the batch). */
    public enum StdEstimator {
        /**
         * sqrt(Σ(r − mean)²/(n − 1)), torch.std's default, as in TRL's GRPOTrainer: GRPO on language models uses it.
         */
        UNBIASED,
        /**
         * sqrt(Σ(r − mean)²/n), np.std's default, as in flow_grpo's PerPromptStatTracker (Liu et al. 2025's
         * reference code): the flow-matching methods use it. With G = 4 this std is 13% smaller than the
         * {@link #UNBIASED} one, so advantages are 15% larger.
         */
        BIASED
    }

    /**
     * @param rewards (B) rewards, prompt-major: rows i·G .. i·G + G − 1 share prompt i
     * @param groupSize G
     * @return (B) advantages
     */
    public static double[] compute(double[] rewards, int groupSize, ScaleRewards scale, StdEstimator estimator) {
        if (groupSize < 1 || rewards.length % groupSize != 0) {
            throw new IllegalArgumentException(rewards.length + " rewards do not split into groups of " + groupSize);
        }
        double[] advantage = new double[rewards.length];
        double batchStd = std(rewards, 0, rewards.length, estimator);
        for (int start = 0; start < rewards.length; start += groupSize) {
            double mean = 0;
            for (int i = start; i < start + groupSize; i++) {
                mean += rewards[i];
            }
            mean /= groupSize;
            double denom = switch (scale) {
                case GROUP -> std(rewards, start, start + groupSize, estimator) + EPS;
                case BATCH -> batchStd + EPS;
                case NONE -> 1.0;
            };
            for (int i = start; i < start + groupSize; i++) {
                advantage[i] = (rewards[i] - mean) / denom;
            }
        }
        return advantage;
    }

    /** Fraction of groups whose rewards are all equal (no learning signal: every advantage is 0). */
    public static double fracZeroStd(double[] rewards, int groupSize) {
        int groups = rewards.length / groupSize;
        int zero = 0;
        for (int start = 0; start < rewards.length; start += groupSize) {
            boolean constant = true;
            for (int i = start + 1; i < start + groupSize; i++) {
                constant &= rewards[i] == rewards[start];
            }
            if (constant) {
                zero++;
            }
        }
        return groups == 0 ? 0 : (double) zero / groups;
    }

    /** Unbiased standard deviation of {@code x[from, to)}; 0 for fewer than two values. */
    public static double std(double[] x, int from, int to) {
        return std(x, from, to, StdEstimator.UNBIASED);
    }

    /** Standard deviation of {@code x[from, to)} by {@code estimator}; 0 for fewer than two values. */
    static double std(double[] x, int from, int to, StdEstimator estimator) {
        int n = to - from;
        if (n < 2) {
            return 0;
        }
        double mean = 0;
        for (int i = from; i < to; i++) {
            mean += x[i];
        }
        mean /= n;
        double ss = 0;
        for (int i = from; i < to; i++) {
            ss += (x[i] - mean) * (x[i] - mean);
        }
        return Math.sqrt(ss / (estimator == StdEstimator.UNBIASED ? n - 1 : n));
    }
}
