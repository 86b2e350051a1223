package dev.tropism.engine.flow;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.tropism.engine.nn.Scalars;

/**
 * The one sampler every flow method shares: Euler steps of the rectified-flow ODE, or of Flow-GRPO's
 * marginal-preserving SDE with per-step Gaussian log-probabilities (Liu et al. 2025, "Flow-GRPO: Training
 * Flow Matching Models via Online RL", arXiv:2505.05470, Sec. 4.2, Eqs. 9–10 and App. A).
 *
 * <p>Time runs on σ from 1 (pure noise) to 0 (image) on a uniform grid σ_k = 1 − k/T, k = 0…T, with
 * dt_k = σ_{k+1} − σ_k &lt; 0. With noise level a (ψ per step in DenseGRPO):
 * <pre>
 *   s_k  = a·sqrt(σ_k / (1 − σ_k))            (1 − σ_1 in the denominator at σ_k = 1)
 *   μ_k  = x_k·(1 + s_k²·dt/(2σ_k)) + v·(1 + s_k²·(1 − σ_k)/(2σ_k))·dt
 *   x_{k+1} = μ_k + s_k·sqrt(−dt)·ε,  ε ~ N(0, I)
 *   log π(x_{k+1} | x_k) = mean over pixels of log N(x_{k+1}; μ_k, (s_k·sqrt(−dt))²)   (fp32)
 * </pre>
 * With a = 0 the step is the ODE step x + v·dt. The last step (σ_{T−1} → 0) is always an ODE step, so
 * images come out clean and Flow-GRPO trains on the first T−1 steps.
 */
public final class FlowSampler {

    private static final double HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

    private FlowSampler() {
    }

    /** σ_k = 1 − k/T for k = 0…T. */
    public static double[] sigmas(int steps) {
        if (steps < 2) {
            throw new IllegalArgumentException("need at least 2 sampling steps, got " + steps);
        }
        double[] s = new double[steps + 1];
        for (int k = 0; k <= steps; k++) {
            s[k] = 1.0 - (double) k / steps;
        }
        return s;
    }

    /** s_k = a·sqrt(σ_k/(1 − σ_k)), with 1 − σ_1 as the denominator at σ_k = 1 (Flow-GRPO's code). */
    public static double noiseScale(double a, double[] sigmas, int k) {
        double sigma = sigmas[k];
        double denominator = sigma >= 1.0 ? 1.0 - sigmas[1] : 1.0 - sigma;
        return a * Math.sqrt(sigma / denominator);
    }

    /** The std of the step's Gaussian, s_k·sqrt(−dt_k). */
    public static double stepStd(double a, double[] sigmas, int k) {
        return noiseScale(a, sigmas, k) * Math.sqrt(sigmas[k] - sigmas[k + 1]);
    }

    /**
     * The SDE step's mean μ (Flow-GRPO Eq. 9's drift, Euler–Maruyama): reduces to x + v·dt when s = 0.
     *
     * @param x (B, 1, S, S) current sample at σ
     * @param v (B, 1, S, S) velocity
     * @param dt σ' − σ (negative)
     * @param s the noise scale s_k
     */
    public static NDArray sdeMean(NDArray x, NDArray v, double sigma, double dt, double s) {
        double s2 = s * s;
        float xCoef = (float) (1 + s2 * dt / (2 * sigma));
        float vCoef = (float) ((1 + s2 * (1 - sigma) / (2 * sigma)) * dt);
        return x.mul(Scalars.of(x, xCoef)).add(v.mul(Scalars.of(v, vCoef)));
    }

    /**
     * log N(sample; mean, std²) averaged over all non-batch dimensions, in fp32.
     *
     * @return (B)
     */
    public static NDArray logProb(NDArray sample, NDArray mean, double std) {
        NDArray z2 = sample.sub(mean).square().div(Scalars.of(mean, 2 * std * std)); // (B, 1, S, S)
        return z2.neg().sub((float) (Math.log(std) + HALF_LOG_2PI)).reshape(z2.getShape().get(0), -1).mean(new int[] {1}); // (B)
    }

    /**
     * The (optionally guided) velocity: v_c when {@code cfg} is 1, else v_u + cfg·(v_c − v_u) with the
     * conditional and the null-class branch in one batch of 2B (Ho &amp; Salimans 2022).
     *
     * @param labels (B) int32 class indices
     */
    public static NDArray velocity(FlowNet net, NDArray x, double sigma, NDArray labels, double cfg) {
        NDManager m = x.getManager();
        long b = x.getShape().get(0);
        if (cfg == 1.0) {
            return net.velocity(x, m.full(new Shape(b), (float) sigma), labels);
        }
        NDArray nullLabels = m.full(new Shape(b), net.config().nullClass(), DataType.INT32);
        NDArray both = net.velocity(NDArrays.concat(new NDList(x, x)), m.full(new Shape(2 * b), (float) sigma),
                NDArrays.concat(new NDList(labels, nullLabels))); // (2B, 1, S, S)
        NDArray conditional = both.get("0:" + b);
        NDArray unconditional = both.get(b + ":");
        return unconditional.add(conditional.sub(unconditional).mul(Scalars.of(conditional, cfg)));
    }

    /**
     * Samples a batch, recording every state and the log-prob of every noisy step. Does not track
     * gradients. {@code noiseLevels[k]} is a (or ψ(k)) for step k; 0 makes step k an ODE step. The last
     * step is always deterministic.
     *
     * @param labels class of each sample
     * @param noise one stream per sample: the initial noise, then one draw per noisy step
     */
    public static Trajectory sample(FlowNet net, int[] labels, Noise noise, double[] noiseLevels, double cfg,
            NDManager m) {
        int steps = noiseLevels.length;
        double[] sigmas = sigmas(steps);
        int side = net.config().imageSize();
        Trajectory t = new Trajectory(sigmas, noiseLevels.clone(), labels.clone(), m);
        NDArray labelArray = m.create(labels);
        NDArray x = noise.next(m, side); // x_0 = ε at σ = 1
        t.states[0] = x;
        for (int k = 0; k < steps; k++) {
            NDArray v = velocity(net, x, sigmas[k], labelArray, cfg);
            double dt = sigmas[k + 1] - sigmas[k];
            if (k < steps - 1 && noiseLevels[k] > 0) {
                double s = noiseScale(noiseLevels[k], sigmas, k);
                double std = s * Math.sqrt(-dt);
                NDArray mean = sdeMean(x, v, sigmas[k], dt, s);
                x = mean.add(noise.next(m, side).mul((float) std));
                t.logProbs[k] = logProb(x, mean, std);
                t.means[k] = mean;
            } else {
                x = x.add(v.mul((float) dt));
            }
            t.states[k + 1] = x;
        }
        return t;
    }

    /**
     * Deterministic ODE completion from step {@code from}: x (B, 1, S, S) at σ_from → the image at σ = 0.
     */
    public static NDArray odeFrom(FlowNet net, NDArray x, int from, NDArray labels, double cfg, double[] sigmas) {
        for (int k = from; k < sigmas.length - 1; k++) {
            x = x.add(velocity(net, x, sigmas[k], labels, cfg).mul((float) (sigmas[k + 1] - sigmas[k])));
        }
        return x;
    }

    /**
     * ODE completions of several starting states at once, batched across starts and samples: start j is
     * {@code starts[j]} (B_j, 1, S, S) at step {@code fromStep[j]}. A completion joins the batch when the
     * sweep reaches its step, so the whole call costs T forward passes of growing size instead of one
     * sampling loop per start (DenseGRPO's per-step rewards, TP-GRPO's and TempFlow-GRPO's branches).
     *
     * @return the completed images, one array per start, in order
     */
    public static NDArray[] odeFromMany(FlowNet net, NDArray[] starts, int[] fromStep, NDArray[] labels, double cfg,
            double[] sigmas) {
        int steps = sigmas.length - 1;
        NDArray[] current = starts.clone();
        for (int k = 0; k < steps; k++) {
            NDList xs = new NDList();
            NDList ls = new NDList();
            int[] active = new int[starts.length];
            int n = 0;
            for (int j = 0; j < starts.length; j++) {
                if (fromStep[j] <= k) {
                    xs.add(current[j]);
                    ls.add(labels[j]);
                    active[n++] = j;
                }
            }
            if (n == 0) {
                continue;
            }
            NDArray x = n == 1 ? xs.get(0) : NDArrays.concat(xs);
            NDArray l = n == 1 ? ls.get(0) : NDArrays.concat(ls);
            NDArray next = x.add(velocity(net, x, sigmas[k], l, cfg).mul((float) (sigmas[k + 1] - sigmas[k])));
            long offset = 0;
            for (int i = 0; i < n; i++) {
                int j = active[i];
                long rows = current[j].getShape().get(0);
                current[j] = next.get(offset + ":" + (offset + rows));
                offset += rows;
            }
        }
        return current;
    }

    /** Images (B, 1, S, S) in [−1, 1] → one [0, 1] array of S·S pixels per image, clamped. */
    public static float[][] toUnitImages(NDArray x) {
        int b = (int) x.getShape().get(0);
        float[] values = x.toFloatArray();
        int pixels = values.length / b;
        float[][] out = new float[b][pixels];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < pixels; j++) {
                float v = (values[i * pixels + j] + 1f) / 2f;
                out[i][j] = v < 0f ? 0f : (v > 1f ? 1f : v);
            }
        }
        return out;
    }
}
