package dev.tropism.engine;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Aggregates the results of scored batches into metrics: mean reward, the mean of each named
 * component and error counts by kind. Shared by training steps and evaluations so that both name
 * their metrics the same way.
 */
public final class RewardStats {

    private final double[] reward;
    private int filled;
    private final Map<String, double[]> components = new TreeMap<>(); // name → {sum, count}
    private final Map<String, Integer> errorsByKind = new TreeMap<>();
    private int errors;

    /** Room for {@code n} samples. */
    public RewardStats(int n) {
        reward = new double[n];
    }

    public void addAll(List<RewardResult> results) {
        for (RewardResult r : results) {
            reward[filled++] = r.reward();
            for (Map.Entry<String, Double> e : r.subRewards().entrySet()) {
                double[] acc = components.computeIfAbsent(e.getKey(), k -> new double[2]);
                acc[0] += e.getValue();
                acc[1] += 1;
            }
            for (RewardError e : r.errors()) {
                errorsByKind.merge(e.kind(), 1, Integer::sum);
                errors++;
            }
        }
    }

    /** The rewards added so far, in order. */
    public double[] rewards() {
        return filled == reward.length ? reward : java.util.Arrays.copyOf(reward, filled);
    }

    public double mean() {
        double s = 0;
        for (int i = 0; i < filled; i++) {
            s += reward[i];
        }
        return filled == 0 ? 0 : s / filled;
    }

    public int errors() {
        return errors;
    }

    public Map<String, Integer> errorsByKind() {
        return errorsByKind;
    }

    /** The mean of each named component over the samples that reported it. */
    public Map<String, Double> componentMeans() {
        Map<String, Double> out = new TreeMap<>();
        components.forEach((name, acc) -> out.put(name, acc[0] / Math.max(1, acc[1])));
        return out;
    }
}
