package dev.tropism.engine;

import java.util.List;
import java.util.Map;

/**
 * What a reward function says of one sample.
 *
 * @param reward the scalar reward that the method optimizes
 * @param subRewards named component rewards (per grader), logged as {@code train/reward/<name>/mean}
 * @param errors per-sample errors; a sample with errors still has a reward (usually 0) and the run goes on
 */
public record RewardResult(double reward, Map<String, Double> subRewards, List<String> errors) {

    public RewardResult {
        subRewards = Map.copyOf(subRewards);
        errors = List.copyOf(errors);
    }

    public static RewardResult of(double reward) {
        return new RewardResult(reward, Map.of(), List.of());
    }

    public static RewardResult error(String message) {
        return new RewardResult(0.0, Map.of(), List.of(message));
    }
}
