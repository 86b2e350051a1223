package dev.tropism.engine.flowrl;

import static dev.tropism.engine.ConfigException.require;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.tropism.engine.MetricNames;
import dev.tropism.engine.flow.FlowSampler;
import dev.tropism.engine.flow.Noise;
import dev.tropism.engine.flow.Trajectory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * TempFlow-GRPO (He et al. 2025, "TempFlow-GRPO: When Timing Matters for GRPO in Flow Models",
 * arXiv:2508.04324). Two changes to Flow-GRPO's uniform, trajectory-level credit:
 * <ol>
 *   <li><b>Trajectory branching.</b> Each prompt follows one deterministic ODE main trajectory. At a branching
 *       step k the group's G members leave the same x_k with one SDE step each, then finish by ODE and are
 *       scored. Rewards within such a group differ only through step k's noise, so their group-normalized
 *       advantages credit step k alone. Branches at all chosen steps are completed in one batched sweep.</li>
 *   <li><b>Noise-aware weighting.</b> Step k's policy loss is weighted by w_k ∝ s_k·sqrt(−dt_k), the step's
 *       noise std, normalized to mean 1 over the chosen steps: steps that explore more carry more weight.</li>
 * </ol>
 * Each training step branches at {@code branch_steps} distinct steps drawn from the noisy ones (seeded).
 */
final class TempFlowGrpo implements FlowMethod {

    /**
     * @param branchSteps branching steps per training step, drawn among the T−1 noisy steps; default 3
     */
    record Config(int branchSteps) {
        static final Config DEFAULT = new Config(3);

        Config {
            require(branchSteps >= 1 && branchSteps <= 200, "branch_steps", "must be in [1, 200], got " + branchSteps);
        }
    }

    private final Config config;

    TempFlowGrpo(Config config) {
        this.config = config;
    }

    /** w_k ∝ s_k·sqrt(−dt_k) over {@code steps}, normalized to mean 1. */
    static double[] noiseAwareWeights(int[] steps, double noiseLevel, double[] sigmas) {
        double[] w = new double[steps.length];
        double sum = 0;
        for (int j = 0; j < steps.length; j++) {
            w[j] = FlowSampler.stepStd(noiseLevel, sigmas, steps[j]);
            sum += w[j];
        }
        for (int j = 0; j < steps.length; j++) {
            w[j] = w[j] * steps.length / sum;
        }
        return w;
    }

    @Override
    public void step(FlowRlRun run, FlowRlRun.StepBatch batch, Map<String, Double> metrics) {
        FlowRlConfig cfg = run.config();
        int g = batch.groupSize();
        int prompts = batch.size() / g;
        int steps = cfg.sampleSteps();
        double[] sigmas = run.sigmas();
        int side = run.imageSize();
        // The branching steps: distinct, among the noisy steps 0 … T−2 (or the SDE window).
        double[] levels = run.noiseLevels(batch.step(), null);
        List<Integer> candidates = new ArrayList<>();
        for (int k = 0; k < steps - 1; k++) {
            if (levels[k] > 0) {
                candidates.add(k);
            }
        }
        java.util.Collections.shuffle(candidates, new Random(Noise.mix(run.seed(), 3_000_017L + batch.step())));
        int[] branchAt = candidates.subList(0, Math.min(config.branchSteps(), candidates.size())).stream()
                .mapToInt(Integer::intValue).sorted().toArray();
        try (NDManager m = run.root().newSubManager()) {
            long t0 = System.nanoTime();
            // Main ODE trajectories, one per prompt (the group's first noise seed).
            int[] mainLabels = new int[prompts];
            long[] mainSeeds = new long[prompts];
            for (int p = 0; p < prompts; p++) {
                mainLabels[p] = batch.labels()[p * g];
                mainSeeds[p] = batch.seeds()[p * g];
            }
            Trajectory main = FlowSampler.sample(run.policy(), mainLabels, new Noise(mainSeeds, side * side),
                    new double[steps], cfg.guidanceScale(), m);
            NDArray rowLabels = m.create(batch.labels());
            // One SDE step from x_k for every member of every group, at every branching step.
            Noise branchNoise = new Noise(batch.seeds(), side * side);
            branchNoise.next(m, side); // the seeds' first draw is the main trajectory's initial noise
            List<FlowRlRun.StepSample> samples = new ArrayList<>();
            NDArray[] starts = new NDArray[branchAt.length];
            int[] from = new int[branchAt.length];
            NDArray[] labelSets = new NDArray[branchAt.length];
            NDArray[] states = new NDArray[branchAt.length];
            NDArray[] nexts = new NDArray[branchAt.length];
            NDArray[] logProbs = new NDArray[branchAt.length];
            NDArray[] means = new NDArray[branchAt.length];
            for (int j = 0; j < branchAt.length; j++) {
                int k = branchAt[j];
                NDArray x = main.states[k].repeat(0, g); // (P·G, 1, S, S), each prompt's x_k G times
                double s = FlowSampler.noiseScale(cfg.noiseLevel(), sigmas, k);
                double dt = sigmas[k + 1] - sigmas[k];
                double std = s * Math.sqrt(-dt);
                NDArray v = FlowSampler.velocity(run.policy(), x, sigmas[k], rowLabels, cfg.guidanceScale());
                NDArray mean = FlowSampler.sdeMean(x, v, sigmas[k], dt, s);
                NDArray next = mean.add(branchNoise.next(m, side).mul((float) std));
                states[j] = x;
                nexts[j] = next;
                means[j] = mean;
                logProbs[j] = FlowSampler.logProb(next, mean, std);
                starts[j] = next;
                from[j] = k + 1;
                labelSets[j] = rowLabels;
            }
            long t1 = System.nanoTime();
            NDArray[] finals = run.complete(starts, from, labelSets);
            long t2 = System.nanoTime();
            double[][] rewards = run.scoreAll(batch, finals); // [j][b]
            // The first branching step's samples stand for the step in the reward, gold and diversity curves.
            run.score(batch, finals[0], true, metrics);
            long t3 = System.nanoTime();
            double[] weights = noiseAwareWeights(branchAt, cfg.noiseLevel(), sigmas);
            for (int j = 0; j < branchAt.length; j++) {
                double[] a = FlowRlRun.groupAdvantages(rewards[j], g, cfg.advantageClip());
                samples.add(new FlowRlRun.StepSample(branchAt[j], states[j], nexts[j], logProbs[j], means[j],
                        cfg.noiseLevel(), batch.labels(), a, weights[j]));
            }
            FlowRlRun.UpdateStats u = run.policyGradient(samples, FlowRlRun.StepObjective.FLOW_GRPO);
            long t4 = System.nanoTime();
            run.putUpdateMetrics(u, metrics);
            metrics.put(MetricNames.PERF_ROLLOUT_SECONDS, (t1 - t0) / 1e9);
            metrics.put(MetricNames.PERF_COMPLETION_SECONDS, (t2 - t1) / 1e9);
            metrics.put(MetricNames.PERF_REWARD_SECONDS, (t3 - t2) / 1e9);
            metrics.put(MetricNames.PERF_UPDATE_SECONDS, (t4 - t3) / 1e9);
        }
    }
}
