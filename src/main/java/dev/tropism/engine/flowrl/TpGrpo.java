package dev.tropism.engine.flowrl;

import ai.djl.ndarray.NDManager;
import dev.tropism.engine.MetricNames;
import dev.tropism.engine.flow.Trajectory;
import java.util.Arrays;
import java.util.Map;

/**
 * TurningPoint-GRPO (Tong et al. 2026, "Alleviating Sparse Rewards by Modeling Step-Wise and Long-Term
 * Sampling Effects in Flow-Based GRPO", arXiv:2602.06422). Like DenseGRPO, each SDE step gets an incremental
 * reward d_k = R_{k+1} − R_k, where R_k is the reward after k SDE steps and an ODE completion (R_0: the pure
 * ODE sample from the same noise). Some steps matter beyond their local gain: a <em>turning point</em> is a
 * step that flips the local reward trend so that it agrees with the trajectory's overall trend. With
 * σ_k = sign(d_k)·sign(R_final − R_0), step k is a turning point when σ_k &gt; 0 and (k = 0 or σ_{k−1} &lt; 0)
 * (detected from sign changes of the increments alone, as in the authors' code). At a turning point the
 * aggregated long-term reward R_final − R_k replaces d_k; elsewhere d_k stands. Per-step rewards are then
 * group-normalized per step, as in DenseGRPO.
 */
final class TpGrpo implements FlowMethod {

    /**
     * Turning points of one trajectory.
     *
     * @param r R_0 … R_{T−1}, where R_{T−1} is the final reward (the last step is deterministic)
     * @return for each step k = 0 … T−2, whether it is a turning point
     */
    static boolean[] turningPoints(double[] r) {
        int steps = r.length - 1;
        double trend = Math.signum(r[r.length - 1] - r[0]);
        boolean[] out = new boolean[steps];
        double previous = 0;
        for (int k = 0; k < steps; k++) {
            double agreement = Math.signum(r[k + 1] - r[k]) * trend;
            out[k] = agreement > 0 && (k == 0 || previous < 0);
            previous = agreement;
        }
        return out;
    }

    /** The per-step rewards of one trajectory: R_final − R_k at turning points, d_k elsewhere. */
    static double[] stepRewards(double[] r) {
        boolean[] turning = turningPoints(r);
        double last = r[r.length - 1];
        double[] out = new double[turning.length];
        for (int k = 0; k < turning.length; k++) {
            out[k] = turning[k] ? last - r[k] : r[k + 1] - r[k];
        }
        return out;
    }

    @Override
    public void step(FlowRlRun run, FlowRlRun.StepBatch batch, Map<String, Double> metrics) {
        FlowRlConfig cfg = run.config();
        try (NDManager m = run.root().newSubManager()) {
            Trajectory t = run.rolloutAndScore(batch, run.noiseLevels(batch.step(), null), m, metrics).trajectory();
            long t2 = System.nanoTime();
            double[][] rk = DenseGrpo.stepRewards(run, batch, t); // [k][b]
            long t3 = System.nanoTime();
            int steps = t.steps();
            double[][] perStep = new double[steps - 1][batch.size()];
            int turning = 0;
            int counted = 0;
            for (int b = 0; b < batch.size(); b++) {
                double[] trajectory = new double[steps];
                for (int k = 0; k < steps; k++) {
                    trajectory[k] = rk[k][b];
                }
                double[] rewards = stepRewards(trajectory);
                boolean[] points = turningPoints(trajectory);
                for (int k = 0; k < steps - 1; k++) {
                    perStep[k][b] = rewards[k];
                    if (t.noisy(k)) {
                        turning += points[k] ? 1 : 0;
                        counted++;
                    }
                }
            }
            double[][] advantages = DenseGrpo.perStepAdvantages(perStep, batch.size(), steps, batch.groupSize(),
                    cfg.advantageClip());
            double[] weights = new double[steps];
            Arrays.fill(weights, 1.0);
            FlowRlRun.UpdateStats u = run.policyGradient(t, advantages, weights, FlowRlRun.StepObjective.FLOW_GRPO);
            long t4 = System.nanoTime();
            run.putUpdateMetrics(u, metrics);
            metrics.put(MetricNames.TRAIN_TURNING_POINT_FRACTION, counted == 0 ? 0 : (double) turning / counted);
            metrics.put(MetricNames.PERF_COMPLETION_SECONDS, (t3 - t2) / 1e9);
            metrics.put(MetricNames.PERF_UPDATE_SECONDS, (t4 - t3) / 1e9);
        }
    }
}
