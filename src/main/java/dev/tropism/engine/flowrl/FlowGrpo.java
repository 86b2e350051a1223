package dev.tropism.engine.flowrl;

import ai.djl.ndarray.NDManager;
import dev.tropism.engine.MetricNames;
import dev.tropism.engine.flow.FlowSampler;
import dev.tropism.engine.flow.Trajectory;
import java.util.Arrays;
import java.util.Map;

/**
 * Flow-GRPO (Liu et al. 2025, "Flow-GRPO: Training Flow Matching Models via Online RL", arXiv:2505.05470).
 * The deterministic ODE sampler becomes an SDE with the same marginals (Sec. 4.2, Eq. 9–10; {@link FlowSampler}),
 * so every denoising step is a Gaussian policy with a log-probability. Each prompt gets a group of G samples;
 * the final reward's group-normalized advantage Â_i = (R_i − mean(R))/std(R) (Eq. 4, clamped to ±5) is assigned
 * to every noisy step of sample i, and the clipped objective with a KL penalty (Eq. 6–8) is optimized over the
 * first T−1 steps ({@link FlowRlRun#policyGradient}). With {@code sde_window} &gt; 0 this is Flow-GRPO-Fast:
 * noise, and training, only in a random window of steps.
 */
final class FlowGrpo implements FlowMethod {

    @Override
    public void step(FlowRlRun run, FlowRlRun.StepBatch batch, Map<String, Double> metrics) {
        run.putUpdateMetrics(trajectoryLevel(run, batch, metrics, FlowRlRun.StepObjective.FLOW_GRPO), metrics);
    }

    /**
     * Rollout, reward, one group-normalized advantage per sample for all of its noisy steps, and the clipped
     * update with {@code mode} (shared with {@link GrpoGuard}).
     */
    static FlowRlRun.UpdateStats trajectoryLevel(FlowRlRun run, FlowRlRun.StepBatch batch, Map<String, Double> metrics,
            FlowRlRun.StepObjective objective) {
        try (NDManager m = run.root().newSubManager()) {
            FlowRlRun.Scored scored = run.rolloutAndScore(batch, run.noiseLevels(batch.step(), null), m, metrics);
            Trajectory t = scored.trajectory();
            long t0 = System.nanoTime();
            double[] a = FlowRlRun.groupAdvantages(scored.rewards(), batch.groupSize(), run.config().advantageClip());
            double[][] advantages = new double[a.length][t.steps()];
            for (int i = 0; i < a.length; i++) {
                Arrays.fill(advantages[i], a[i]);
            }
            double[] weights = new double[t.steps()];
            Arrays.fill(weights, 1.0);
            FlowRlRun.UpdateStats u = run.policyGradient(t, advantages, weights, objective);
            metrics.put(MetricNames.PERF_UPDATE_SECONDS, (System.nanoTime() - t0) / 1e9);
            return u;
        }
    }
}
