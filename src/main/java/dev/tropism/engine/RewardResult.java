package dev.tropism.engine;

import java.util.List;
import java.util.Map;

/**
 * What a reward function says of one sample.
 *
 * @param reward the scalar reward that the method optimizes; always finite (a non-finite score is
 *     replaced by 0 and reported as a {@link RewardError#NON_FINITE} error by {@link #of})
 * @param subRewards named component rewards (per grader), logged as {@code train/reward/<name>/mean}
 * @param errors per-sample errors; a sample with errors still has a reward (its grader's documented
 *     fallback, usually 0) and the run goes on
 */
public record RewardResult(double reward, Map<String, Double> subRewards, List<RewardError> errors) {

    public RewardResult {
        if (!Double.isFinite(reward)) {
            throw new IllegalArgumentException("reward must be finite, got " + reward);
        }
        subRewards = Map.copyOf(subRewards);
        errors = List.copyOf(errors);
    }

    /** A result with no components; a non-finite {@code reward} becomes 0 with a non_finite error. */
    public static RewardResult of(double reward) {
        if (!Double.isFinite(reward)) {
            return error(RewardError.NON_FINITE, "score was " + reward + "; scored 0");
        }
        return new RewardResult(reward, Map.of(), List.of());
    }

    /** A failed sample: reward 0 and one error. */
    public static RewardResult error(String kind, String message) {
        return new RewardResult(0.0, Map.of(), List.of(new RewardError(kind, message)));
    }
}
