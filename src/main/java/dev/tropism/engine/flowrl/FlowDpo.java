package dev.tropism.engine.flowrl;

import static dev.tropism.engine.ConfigException.require;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import dev.tropism.engine.MetricNames;
import dev.tropism.engine.flow.Noise;
import dev.tropism.engine.flow.Trajectory;
import dev.tropism.engine.nn.Scalars;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Flow-DPO (Liu et al. 2025, "Improving Video Generation with Human Feedback", arXiv:2501.13918, Sec. 4.2):
 * Diffusion-DPO (Wallace et al. 2024) rewritten for rectified flow. Online here: each group of G samples gives
 * one pair, its best (winner x^w) against its worst (loser x^l) under the reward; groups whose samples all
 * score the same give none. For shared noise ε and σ from a logit-normal, with e the velocity-matching error
 * ({@link FlowMatchingPairs}),
 * <pre>  L = −log σ( −β/2 · [ (e_θ^w − e_ref^w) − (e_θ^l − e_ref^l) ] )  </pre>
 * with a constant β, as the paper recommends over a σ-dependent one. Each pair is evaluated at
 * {@code timesteps_per_pair} (σ, ε) draws.
 */
final class FlowDpo implements FlowMethod {

    /**
     * @param dpoBeta β of the DPO loss; default 500 (errors are means over pixels, so their differences are
     *     small: β/2·Δ must reach O(1) for the loss to move)
     * @param timestepsPerPair (σ, ε) draws per pair and step; default 4
     * @param logitMean mean m of the logit-normal σ; default 0
     * @param logitStd std s of the logit-normal σ; default 1
     */
    record Config(double dpoBeta, int timestepsPerPair, double logitMean, double logitStd) {
        static final Config DEFAULT = new Config(500, 4, 0.0, 1.0);

        Config {
            require(dpoBeta > 0 && dpoBeta <= 1e6, "dpo_beta", "must be in (0, 1e6], got " + dpoBeta);
            require(timestepsPerPair >= 1 && timestepsPerPair <= 64, "timesteps_per_pair",
                    "must be in [1, 64], got " + timestepsPerPair);
            require(Math.abs(logitMean) <= 5, "logit_mean", "must be in [-5, 5], got " + logitMean);
            require(logitStd > 0 && logitStd <= 5, "logit_std", "must be in (0, 5], got " + logitStd);
        }
    }

    private final Config config;

    FlowDpo(Config config) {
        this.config = config;
    }

    /** Per group: {winner row, loser row}, or nothing when the group's rewards are all equal. */
    static List<int[]> pairs(double[] rewards, int g) {
        List<int[]> out = new ArrayList<>();
        for (int from = 0; from < rewards.length; from += g) {
            int best = from;
            int worst = from;
            for (int i = from; i < from + g; i++) {
                if (rewards[i] > rewards[best]) {
                    best = i;
                }
                if (rewards[i] < rewards[worst]) {
                    worst = i;
                }
            }
            if (rewards[best] > rewards[worst]) {
                out.add(new int[] {best, worst});
            }
        }
        return out;
    }

    /**
     * The Flow-DPO loss per pair (N) from the four errors (N each).
     */
    static NDArray loss(NDArray winnerPolicy, NDArray winnerRef, NDArray loserPolicy, NDArray loserRef, double beta) {
        NDArray inside = winnerPolicy.sub(winnerRef).sub(loserPolicy.sub(loserRef)).mul(Scalars.of(winnerPolicy, -beta / 2));
        return inside.neg().exp().add(1f).log(); // −log σ(z) = log(1 + e^{−z})
    }

    @Override
    public void step(FlowRlRun run, FlowRlRun.StepBatch batch, Map<String, Double> metrics) {
        FlowRlConfig cfg = run.config();
        try (NDManager m = run.root().newSubManager()) {
            FlowRlRun.Scored scored = run.rolloutAndScore(batch, run.noiseLevels(batch.step(), null), m, metrics);
            Trajectory t = scored.trajectory();
            double[] rewards = scored.rewards();
            long t2 = System.nanoTime();
            List<int[]> pairs = pairs(rewards, batch.groupSize());
            metrics.put(MetricNames.TRAIN_KL, run.klToReference(t));
            if (pairs.isEmpty()) {
                metrics.put(MetricNames.TRAIN_LOSS, 0.0);
                metrics.put(MetricNames.TRAIN_SKIPPED_STEPS, 1.0);
                return;
            }
            int n = pairs.size() * config.timestepsPerPair();
            int[] winners = new int[n];
            int[] losers = new int[n];
            int[] labels = new int[n];
            for (int i = 0; i < n; i++) {
                int[] pair = pairs.get(i / config.timestepsPerPair());
                winners[i] = pair[0];
                losers[i] = pair[1];
                labels[i] = batch.labels()[pair[0]];
            }
            Random rng = new Random(Noise.mix(run.seed(), 4_000_037L + batch.step()));
            NDArray images = t.images();
            NDArray xw = images.get(m.create(winners)); // (N, 1, S, S)
            NDArray xl = images.get(m.create(losers));
            NDArray eps = FlowMatchingPairs.noiseLike(xw, rng, m); // shared by winner and loser
            NDArray sigma = m.create(FlowMatchingPairs.logitNormal(rng, n, config.logitMean(), config.logitStd()));
            NDArray labelArray = m.create(labels);
            NDArray refW = FlowMatchingPairs.error(run.reference(), xw, eps, sigma, labelArray);
            NDArray refL = FlowMatchingPairs.error(run.reference(), xl, eps, sigma, labelArray);
            double[] lossValue = new double[1];
            double[] accuracy = new double[1];
            double gradNorm = Double.NaN;
            for (int iteration = 0; iteration < cfg.numIterations(); iteration++) {
                boolean first = iteration == 0;
                gradNorm = run.optimizerStep((sm, backward) -> {
                    NDArray both = FlowMatchingPairs.error(run.policy(), NDArrays.concat(new NDList(xw, xl)),
                            NDArrays.concat(new NDList(eps, eps)), NDArrays.concat(new NDList(sigma, sigma)),
                            NDArrays.concat(new NDList(labelArray, labelArray))); // (2N)
                    NDArray ew = both.get("0:" + n);
                    NDArray el = both.get(n + ":");
                    NDArray loss = loss(ew, refW, el, refL, config.dpoBeta()).mean();
                    if (first) {
                        lossValue[0] = loss.getFloat();
                        float[] margin = ew.sub(refW).sub(el.sub(refL)).toFloatArray();
                        int right = 0;
                        for (float v : margin) {
                            right += v < 0 ? 1 : 0;
                        }
                        accuracy[0] = (double) right / margin.length;
                    }
                    backward.accept(loss);
                });
            }
            long t3 = System.nanoTime();
            metrics.put(MetricNames.TRAIN_LOSS, lossValue[0]);
            metrics.put(MetricNames.TRAIN_PREFERENCE_ACCURACY, accuracy[0]);
            dev.tropism.engine.nn.NonFiniteGuard.putUpdateMetrics(metrics, gradNorm, run.learningRate());
            metrics.put(MetricNames.PERF_UPDATE_SECONDS, (t3 - t2) / 1e9);
        }
    }
}
