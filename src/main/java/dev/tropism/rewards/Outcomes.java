package dev.tropism.rewards;

import dev.tropism.engine.RewardError;
import dev.tropism.engine.RewardResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The sub-rewards and errors of each sample of a batch, filled in by the graders that score it. */
public final class Outcomes {

    private final List<Map<String, Double>> subRewards;
    private final List<List<RewardError>> errors;

    public Outcomes(int n) {
        subRewards = new ArrayList<>(n);
        errors = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            subRewards.add(new LinkedHashMap<>());
            errors.add(new ArrayList<>());
        }
    }

    /** Records grader {@code name}'s score of sample {@code i}. */
    public void sub(int i, String name, double value) {
        subRewards.get(i).put(name, value);
    }

    /** Records {@code scores} as grader {@code name}'s sub-reward of every sample; returns them. */
    public double[] record(String name, double[] scores) {
        for (int i = 0; i < scores.length; i++) {
            sub(i, name, scores[i]);
        }
        return scores;
    }

    public void error(int i, String kind, String message) {
        errors.get(i).add(new RewardError(kind, message));
    }

    /**
     * {@code value} when finite; otherwise {@code fallback}, with a {@code non_finite} error naming the
     * grader. Every grader passes its scores through this before recording them.
     */
    public double finite(int i, String grader, double value, double fallback) {
        if (Double.isFinite(value)) {
            return value;
        }
        error(i, RewardError.NON_FINITE, grader + ": score was " + value + "; scored " + fallback);
        return fallback;
    }

    /** Copies what {@code other} recorded for sample {@code from} into sample {@code to} here. */
    public void copyFrom(Outcomes other, int from, int to) {
        subRewards.get(to).putAll(other.subRewards.get(from));
        errors.get(to).addAll(other.errors.get(from));
    }

    List<RewardResult> results(double[] rewards) {
        List<RewardResult> out = new ArrayList<>(rewards.length);
        for (int i = 0; i < rewards.length; i++) {
            out.add(new RewardResult(rewards[i], subRewards.get(i), errors.get(i)));
        }
        return out;
    }
}
