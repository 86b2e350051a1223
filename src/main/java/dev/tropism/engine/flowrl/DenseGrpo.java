package dev.tropism.engine.flowrl;

import static dev.tropism.engine.ConfigException.require;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.tropism.engine.MetricNames;
import dev.tropism.engine.flow.FlowSampler;
import dev.tropism.engine.flow.Trajectory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * DenseGRPO (Deng et al. 2026, "DenseGRPO: From Sparse to Dense Reward for Flow Matching Model Alignment",
 * arXiv:2601.20218). Flow-GRPO credits every denoising step with the final reward; DenseGRPO gives each step
 * its own reward gain. The reward of an intermediate state is the reward of its deterministic ODE completion,
 * R_k = R(ODE(x_k)), and step k (x_k → x_{k+1}) earns
 * <pre>  ΔR_k = R_{k+1} − R_k   (telescoping: Σ_k ΔR_k = R_final − R_0)  </pre>
 * normalized per step across the group into the advantage of that step. All completions of a batch are run
 * in one batched sweep ({@link FlowSampler#odeFromMany}).
 *
 * <p>Reward-aware noise calibration, before training and then frozen: per step k a noise level ψ(k) starts at
 * a; in each round a calibration batch is sampled with ψ and the step's positive and negative gains are
 * counted; while |n₊ − n₋| &lt; ε₁ (exploration still balanced) ψ(k) rises by ε₂, otherwise it falls by ε₂.
 * (The paper's exact schedule was not available to us; this follows the rule as specified in our issue.)
 */
final class DenseGrpo implements FlowMethod {

    /**
     * DenseGRPO's own knobs.
     *
     * @param calibrationRounds rounds of the ψ calibration before training; default 4; 0 disables it
     * @param epsilon1 ε₁, the count difference below which the gains count as balanced; default 2
     * @param epsilon2 ε₂, the ψ adjustment per round; default 0.01
     */
    record Config(int calibrationRounds, double epsilon1, double epsilon2) {
        static final Config DEFAULT = new Config(4, 2.0, 0.01);

        Config {
            require(calibrationRounds >= 0 && calibrationRounds <= 100, "calibration_rounds",
                    "must be in [0, 100], got " + calibrationRounds);
            require(epsilon1 > 0, "epsilon1", "must be > 0, got " + epsilon1);
            require(epsilon2 > 0 && epsilon2 < 1, "epsilon2", "must be in (0, 1), got " + epsilon2);
        }
    }

    private final Config config;
    /** ψ(k), null until calibrated (or restored). */
    private double[] psi;

    DenseGrpo(Config config) {
        this.config = config;
    }

    @Override
    public void prepare(FlowRlRun run, Map<String, Double> metrics) {
        FlowRlConfig cfg = run.config();
        psi = new double[cfg.sampleSteps()];
        Arrays.fill(psi, cfg.noiseLevel());
        for (int round = 0; round < config.calibrationRounds(); round++) {
            FlowRlRun.StepBatch batch = run.batchFor(-1 - round); // its own seeds, never a training batch
            try (NDManager m = run.root().newSubManager()) {
                Trajectory t = run.rollout(batch, run.noiseLevels(-1 - round, psi), m);
                double[][] gains = gains(stepRewards(run, batch, t));
                for (int k = 0; k < gains.length; k++) {
                    if (!t.noisy(k)) {
                        continue;
                    }
                    int positive = 0;
                    int negative = 0;
                    for (double g : gains[k]) {
                        positive += g > 0 ? 1 : 0;
                        negative += g < 0 ? 1 : 0;
                    }
                    psi[k] = calibrate(psi[k], positive, negative, config.epsilon1(), config.epsilon2());
                }
            }
        }
        for (int k = 0; k < psi.length - 1; k++) {
            metrics.put("train/dense/psi/step" + k, psi[k]);
        }
    }

    /** One calibration update of ψ(k) from the counts of positive and negative gains. */
    static double calibrate(double psi, int positive, int negative, double epsilon1, double epsilon2) {
        double next = Math.abs(positive - negative) < epsilon1 ? psi + epsilon2 : psi - epsilon2;
        return Math.max(epsilon2, next); // never 0: a step without noise is no policy
    }

    /**
     * R_k = R(ODE(x_k)) for k = 0…T−1 for every row: rewards[k][b]. The last step is deterministic, so
     * R_{T−1} is the final reward; the others come from one batched completion sweep.
     */
    static double[][] stepRewards(FlowRlRun run, FlowRlRun.StepBatch batch, Trajectory t) {
        int steps = t.steps();
        NDArray labels = t.manager.create(t.labels);
        NDArray[] starts = new NDArray[steps - 1];
        int[] from = new int[steps - 1];
        NDArray[] labelSets = new NDArray[steps - 1];
        for (int k = 0; k < steps - 1; k++) {
            starts[k] = t.states[k];
            from[k] = k;
            labelSets[k] = labels;
        }
        NDArray[] completed = run.complete(starts, from, labelSets);
        NDArray[] all = Arrays.copyOf(completed, steps);
        all[steps - 1] = t.images();
        return run.scoreAll(batch, all);
    }

    /** ΔR_k = R_{k+1} − R_k for k = 0…T−2 (rows b), given R_k for k = 0…T−1: gains[k][b]. */
    static double[][] gains(double[][] stepRewards) {
        int steps = stepRewards.length;
        double[][] out = new double[steps - 1][];
        for (int k = 0; k < steps - 1; k++) {
            out[k] = new double[stepRewards[k].length];
            for (int b = 0; b < out[k].length; b++) {
                out[k][b] = stepRewards[k + 1][b] - stepRewards[k][b];
            }
        }
        return out;
    }

    /** Per-step group normalization of per-step rewards r[k][b] into advantages A[b][k] (T columns). */
    static double[][] perStepAdvantages(double[][] r, int rowsCount, int steps, int g, double clip) {
        double[][] a = new double[rowsCount][steps];
        for (int k = 0; k < r.length; k++) {
            double[] ak = FlowRlRun.groupAdvantages(r[k], g, clip);
            for (int b = 0; b < rowsCount; b++) {
                a[b][k] = ak[b];
            }
        }
        return a;
    }

    @Override
    public void step(FlowRlRun run, FlowRlRun.StepBatch batch, Map<String, Double> metrics) {
        FlowRlConfig cfg = run.config();
        if (psi == null) {
            psi = new double[cfg.sampleSteps()];
            Arrays.fill(psi, cfg.noiseLevel());
        }
        try (NDManager m = run.root().newSubManager()) {
            Trajectory t = run.rolloutAndScore(batch, run.noiseLevels(batch.step(), psi), m, metrics).trajectory();
            long t2 = System.nanoTime();
            double[][] rewards = stepRewards(run, batch, t);
            long t3 = System.nanoTime();
            double[][] gains = gains(rewards);
            int positive = 0;
            int counted = 0;
            for (int k = 0; k < gains.length; k++) {
                if (t.noisy(k)) {
                    for (double gk : gains[k]) {
                        positive += gk > 0 ? 1 : 0;
                        counted++;
                    }
                }
            }
            double[][] advantages = perStepAdvantages(gains, batch.size(), t.steps(), batch.groupSize(),
                    cfg.advantageClip());
            double[] weights = new double[t.steps()];
            Arrays.fill(weights, 1.0);
            FlowRlRun.UpdateStats u = run.policyGradient(t, advantages, weights, FlowRlRun.StepObjective.FLOW_GRPO);
            long t4 = System.nanoTime();
            run.putUpdateMetrics(u, metrics);
            metrics.put(MetricNames.TRAIN_POSITIVE_GAIN_FRACTION, counted == 0 ? 0 : (double) positive / counted);
            metrics.put(MetricNames.PERF_COMPLETION_SECONDS, (t3 - t2) / 1e9);
            metrics.put(MetricNames.PERF_UPDATE_SECONDS, (t4 - t3) / 1e9);
        }
    }

    @Override
    public Map<String, Object> state() {
        return psi == null ? Map.of() : Map.of("psi", Arrays.stream(psi).boxed().toList());
    }

    @Override
    public void restore(Map<String, Object> state) {
        Object saved = state.get("psi");
        if (saved instanceof List<?> list) {
            List<Double> values = new ArrayList<>();
            list.forEach(v -> values.add(((Number) v).doubleValue()));
            psi = values.stream().mapToDouble(Double::doubleValue).toArray();
        }
    }
}
