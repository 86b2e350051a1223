package dev.tropism.engine.flowrl;

import static dev.tropism.engine.ConfigException.require;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.tropism.engine.MetricNames;
import dev.tropism.engine.flow.Noise;
import dev.tropism.engine.flow.Trajectory;
import java.util.Map;
import java.util.Random;

/**
 * Flow-RWR (Liu et al. 2025, "Improving Video Generation with Human Feedback", arXiv:2501.13918, Sec. 4.2;
 * reward-weighted regression after Peters &amp; Schaal 2007): the flow-matching loss on the policy's own samples,
 * weighted by a softmax of their rewards within each group,
 * <pre>  w_i = G·softmax_g(R_i/τ),   L = mean_i w_i·e_θ(x_i)  </pre>
 * so that samples better than their group's average are imitated more. e is the velocity-matching error at
 * {@code timesteps_per_sample} logit-normal σ draws ({@link FlowMatchingPairs}).
 */
final class FlowRwr implements FlowMethod {

    /**
     * @param temperature τ of the group softmax; default 0.1 (rewards in [0, 1])
     * @param timestepsPerSample σ draws per sample and step; default 2
     */
    record Config(double temperature, int timestepsPerSample) {
        static final Config DEFAULT = new Config(0.1, 2);

        Config {
            require(temperature > 0 && temperature <= 100, "temperature", "must be in (0, 100], got " + temperature);
            require(timestepsPerSample >= 1 && timestepsPerSample <= 64, "timesteps_per_sample",
                    "must be in [1, 64], got " + timestepsPerSample);
        }
    }

    private final Config config;

    FlowRwr(Config config) {
        this.config = config;
    }

    /** w_i = G·softmax over the group of R_i/τ: weights with mean 1 within each group. */
    static double[] weights(double[] rewards, int g, double temperature) {
        double[] w = new double[rewards.length];
        for (int from = 0; from < rewards.length; from += g) {
            double max = Double.NEGATIVE_INFINITY;
            for (int i = from; i < from + g; i++) {
                max = Math.max(max, rewards[i]);
            }
            double sum = 0;
            for (int i = from; i < from + g; i++) {
                w[i] = Math.exp((rewards[i] - max) / temperature);
                sum += w[i];
            }
            for (int i = from; i < from + g; i++) {
                w[i] = w[i] / sum * g;
            }
        }
        return w;
    }

    @Override
    public void step(FlowRlRun run, FlowRlRun.StepBatch batch, Map<String, Double> metrics) {
        FlowRlConfig cfg = run.config();
        try (NDManager m = run.root().newSubManager()) {
            FlowRlRun.Scored scored = run.rolloutAndScore(batch, run.noiseLevels(batch.step(), null), m, metrics);
            Trajectory t = scored.trajectory();
            double[] rewards = scored.rewards();
            long t2 = System.nanoTime();
            metrics.put(MetricNames.TRAIN_KL, run.klToReference(t));
            double[] w = weights(rewards, batch.groupSize(), config.temperature());
            int reps = config.timestepsPerSample();
            int n = batch.size() * reps;
            float[] rowWeights = new float[n];
            for (int i = 0; i < n; i++) {
                rowWeights[i] = (float) w[i / reps];
            }
            Random rng = new Random(Noise.mix(run.seed(), 5_000_011L + batch.step()));
            NDArray x0 = t.images().repeat(0, reps); // (N, 1, S, S)
            NDArray eps = FlowMatchingPairs.noiseLike(x0, rng, m);
            NDArray sigma = m.create(FlowMatchingPairs.logitNormal(rng, n, 0.0, 1.0));
            NDArray labels = m.create(batch.labels()).repeat(0, reps);
            NDArray weightArray = m.create(rowWeights);
            double[] lossValue = new double[1];
            double gradNorm = Double.NaN;
            for (int iteration = 0; iteration < cfg.numIterations(); iteration++) {
                boolean first = iteration == 0;
                gradNorm = run.optimizerStep((sm, backward) -> {
                    NDArray loss = FlowMatchingPairs.error(run.policy(), x0, eps, sigma, labels).mul(weightArray).mean();
                    if (first) {
                        lossValue[0] = loss.getFloat();
                    }
                    backward.accept(loss);
                });
            }
            long t3 = System.nanoTime();
            metrics.put(MetricNames.TRAIN_LOSS, lossValue[0]);
            dev.tropism.engine.nn.NonFiniteGuard.putUpdateMetrics(metrics, gradNorm, run.learningRate());
            metrics.put(MetricNames.PERF_UPDATE_SECONDS, (t3 - t2) / 1e9);
        }
    }
}
