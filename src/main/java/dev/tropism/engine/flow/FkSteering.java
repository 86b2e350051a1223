package dev.tropism.engine.flow;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.tropism.engine.nn.Gradients;
import java.util.Arrays;
import java.util.Random;

/**
 * Inference-time steering (no training): Feynman–Kac steering and best-of-N.
 *
 * <p>Feynman–Kac steering (Singhal et al. 2025, "A General Framework for Inference-time Scaling and Steering
 * of Diffusion Models", arXiv:2501.06848, Sec. 3): N particles per image are sampled jointly. At each step
 * the reward r_k of every particle's predicted clean image x̂₀ = x_k − σ_k·v is turned into a potential
 * G_k — {@code diff}: exp(λ(r_k − r_prev)), {@code max}: exp(λ·max_{j≤k} r_j), {@code add}:
 * exp(λ·Σ_{j≤k} r_j), each relative to the value at the particle's last resampling — and on the resampling
 * schedule (every {@code resample_interval} steps; with {@code ess_threshold} &gt; 0 only when the effective
 * sample size 1/Σw̄² falls below that fraction of N) particles are drawn multinomially in proportion to their
 * weights. Steps between resamplings are SDE steps ({@link FlowSampler}) so that copies diverge; the last
 * step is ODE. The image returned is the final particle with the highest reward. With λ = 0 all weights are
 * equal, nothing is resampled, and the particles are exactly independent SDE samples of their seeds.
 *
 * <p>Best-of-N: N independent ODE samples, scored once, the best returned. At the same N both cost N·T
 * network evaluations; FK additionally scores every step.
 */
public final class FkSteering {

    /** Scores [0, 1] images of one class. */
    @FunctionalInterface
    public interface ImageScorer {
        double[] score(float[][] images, int label);
    }

    /**
     * One steered image.
     *
     * @param image the returned image ([0, 1] pixels)
     * @param reward its reward
     * @param particles every final particle (or candidate)
     * @param particleRewards their rewards
     * @param resamplings how many times the particles were resampled
     */
    public record Result(float[] image, double reward, float[][] particles, double[] particleRewards, int resamplings) {
    }

    private FkSteering() {
    }

    /** Steers one image of class {@code label}; particle i's noise stream is seeded by {@code seeds[i]}. */
    public static Result generate(FlowNet net, int label, long[] seeds, int steps, double guidance,
            SteeringConfig config, ImageScorer scorer, NDManager parent) {
        Gradients.gradModeOff();
        if (seeds.length != config.particles()) {
            throw new IllegalArgumentException(seeds.length + " seeds for " + config.particles() + " particles");
        }
        return SteeringConfig.BEST_OF_N.equals(config.method())
                ? bestOfN(net, label, seeds, steps, guidance, scorer, parent)
                : fk(net, label, seeds, steps, guidance, config, scorer, parent);
    }

    private static Result bestOfN(FlowNet net, int label, long[] seeds, int steps, double guidance,
            ImageScorer scorer, NDManager parent) {
        try (NDManager m = parent.newSubManager()) {
            int[] labels = new int[seeds.length];
            Arrays.fill(labels, label);
            int side = net.config().imageSize();
            float[][] images = FlowSampler.toUnitImages(FlowSampler.sample(net, labels, new Noise(seeds, side * side),
                    new double[steps], guidance, m).images());
            double[] rewards = scorer.score(images, label);
            int best = argMax(rewards);
            return new Result(images[best], rewards[best], images, rewards, 0);
        }
    }

    private static Result fk(FlowNet net, int label, long[] seeds, int steps, double guidance, SteeringConfig config,
            ImageScorer scorer, NDManager parent) {
        int n = seeds.length;
        int side = net.config().imageSize();
        double[] sigmas = FlowSampler.sigmas(steps);
        Noise noise = new Noise(seeds, side * side);
        Random resampler = new Random(Noise.mix(seeds[0], 0x5EED));
        double lambda = config.lambda();
        // Per particle: its current potential statistic (diff: r_k, max: running max, add: running sum).
        double[] previous = new double[n];
        double[] running = new double[n];
        double[] sum = new double[n];
        int resamplings = 0;
        try (NDManager m = parent.newSubManager()) {
            int[] labelsArray = new int[n];
            Arrays.fill(labelsArray, label);
            NDArray labels = m.create(labelsArray);
            NDArray x = noise.next(m, side);
            Arrays.fill(running, Double.NEGATIVE_INFINITY);
            double[] anchor = new double[n]; // the statistic at the particle's last resampling
            for (int k = 0; k < steps; k++) {
                NDArray v = FlowSampler.velocity(net, x, sigmas[k], labels, guidance);
                if (lambda > 0 && k > 0 && k < steps - 1 && k % config.resampleInterval() == 0) {
                    double[] r = scorer.score(FlowSampler.toUnitImages(x.sub(v.mul((float) sigmas[k]))), label);
                    double[] logWeights = new double[n];
                    for (int i = 0; i < n; i++) {
                        running[i] = Math.max(running[i], r[i]);
                        sum[i] += r[i];
                        double value = switch (config.potential()) {
                            case "diff" -> r[i];
                            case "max" -> running[i];
                            default -> sum[i];
                        };
                        logWeights[i] = lambda * (value - anchor[i]);
                        previous[i] = value;
                    }
                    int[] parents = resample(logWeights, config.essThreshold(), resampler);
                    if (parents != null) {
                        resamplings++;
                        x = x.get(m.create(parents));
                        v = v.get(m.create(parents));
                        running = pick(running, parents);
                        sum = pick(sum, parents);
                        previous = pick(previous, parents);
                        anchor = previous.clone(); // weights restart from the resampled particles
                    }
                }
                double dt = sigmas[k + 1] - sigmas[k];
                if (k < steps - 1) {
                    double s = FlowSampler.noiseScale(config.noiseLevel(), sigmas, k);
                    x = FlowSampler.sdeMean(x, v, sigmas[k], dt, s).add(noise.next(m, side).mul((float) (s * Math.sqrt(-dt))));
                } else {
                    x = x.add(v.mul((float) dt));
                }
            }
            float[][] images = FlowSampler.toUnitImages(x);
            double[] rewards = scorer.score(images, label);
            int best = argMax(rewards);
            return new Result(images[best], rewards[best], images, rewards, resamplings);
        }
    }

    /**
     * Multinomial resampling of particles by their log-weights, or null when it is not needed: all weights
     * equal (nothing to steer), or the effective sample size is at least {@code essThreshold}·N.
     */
    public static int[] resample(double[] logWeights, double essThreshold, Random rng) {
        int n = logWeights.length;
        double max = Arrays.stream(logWeights).max().orElse(0);
        double[] w = new double[n];
        double total = 0;
        for (int i = 0; i < n; i++) {
            w[i] = Math.exp(logWeights[i] - max);
            total += w[i];
        }
        double sq = 0;
        boolean equal = true;
        for (int i = 0; i < n; i++) {
            w[i] /= total;
            sq += w[i] * w[i];
            equal &= Math.abs(logWeights[i] - logWeights[0]) < 1e-12;
        }
        double ess = 1.0 / sq;
        if (equal || (essThreshold > 0 && ess >= essThreshold * n)) {
            return null;
        }
        int[] parents = new int[n];
        for (int i = 0; i < n; i++) {
            double u = rng.nextDouble();
            double c = 0;
            int j = 0;
            while (j < n - 1 && (c += w[j]) < u) {
                j++;
            }
            parents[i] = j;
        }
        return parents;
    }

    private static double[] pick(double[] values, int[] parents) {
        double[] out = new double[parents.length];
        for (int i = 0; i < parents.length; i++) {
            out[i] = values[parents[i]];
        }
        return out;
    }

    static int argMax(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
