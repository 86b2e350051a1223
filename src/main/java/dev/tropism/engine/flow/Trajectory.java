package dev.tropism.engine.flow;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * One batch of sampling trajectories from {@link FlowSampler#sample}: the states x_0 … x_T, and for each
 * noisy step k the log-prob of x_{k+1} under the sampling policy (θ_old). Arrays live in the manager the
 * sampler was given (one per training step).
 */
public final class Trajectory {

    public final double[] sigmas;
    public final double[] noiseLevels;
    public final int[] labels;
    public final NDManager manager;
    /** states[k] (B, 1, S, S) at σ_k. */
    public final NDArray[] states;
    /** logProbs[k] (B) for noisy steps, null for ODE steps. */
    public final NDArray[] logProbs;
    /** means[k] (B, 1, S, S), μ_old of noisy step k, null for ODE steps. */
    public final NDArray[] means;

    Trajectory(double[] sigmas, double[] noiseLevels, int[] labels, NDManager manager) {
        this.sigmas = sigmas;
        this.noiseLevels = noiseLevels;
        this.labels = labels;
        this.manager = manager;
        this.states = new NDArray[sigmas.length];
        this.logProbs = new NDArray[sigmas.length - 1];
        this.means = new NDArray[sigmas.length - 1];
    }

    public int steps() {
        return sigmas.length - 1;
    }

    public int batchSize() {
        return labels.length;
    }

    public NDArray state(int k) {
        return states[k];
    }

    /** The final images, (B, 1, S, S) in [−1, 1]. */
    public NDArray images() {
        return states[steps()];
    }

    /** Log-prob (B) of step k, or null when step k was deterministic. */
    public NDArray logProb(int k) {
        return logProbs[k];
    }

    /** μ_old (B, 1, S, S) of noisy step k, or null. */
    public NDArray mean(int k) {
        return means[k];
    }

    public boolean noisy(int k) {
        return logProbs[k] != null;
    }

    public double[] sigmas() {
        return sigmas.clone();
    }

    public int[] labels() {
        return labels.clone();
    }
}
