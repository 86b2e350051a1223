package dev.tropism.engine.rl;

import dev.tropism.engine.rl.GrpoConfig.ScaleRewards;

/**
 * Group-relative advantages (Shao et al. 2024, "DeepSeekMath", Sec. 4.1.2, outcome supervision):
 * each completion's reward is centered on the mean reward of the G completions of the same prompt,
 * then scaled per {@link ScaleRewards}. Standard deviations are unbiased (n − 1), as torch.std in
 * TRL's implementation; ε = 1e-4 guards zero-variance groups (TRL).
 */
public final class GroupAdvantages {

    static final double EPS = 1e-4;

    private GroupAdvantages() {
    }

    /**
     * @param rewards (B) rewards, prompt-major: rows i·G .. i·G + G − 1 share prompt i
     * @param groupSize G
     * @return (B) advantages
     */
    public static double[] compute(double[] rewards, int groupSize, ScaleRewards scale) {
        if (groupSize < 1 || rewards.length % groupSize != 0) {
            throw new IllegalArgumentException(rewards.length + " rewards do not split into groups of " + groupSize);
        }
        double[] advantage = new double[rewards.length];
        double batchStd = std(rewards, 0, rewards.length);
        for (int start = 0; start < rewards.length; start += groupSize) {
            double mean = 0;
            for (int i = start; i < start + groupSize; i++) {
                mean += rewards[i];
            }
            mean /= groupSize;
            double denom = switch (scale) {
                case GROUP -> std(rewards, start, start + groupSize) + EPS;
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
    static double std(double[] x, int from, int to) {
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
        return Math.sqrt(ss / (n - 1));
    }
}
