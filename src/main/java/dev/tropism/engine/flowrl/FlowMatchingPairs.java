package dev.tropism.engine.flowrl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.tropism.engine.flow.FlowNet;
import java.util.Random;

/**
 * The velocity-matching error both offline-style methods ({@link FlowDpo}, {@link FlowRwr}) train on: for a
 * clean sample x₀, noise ε and σ, x_σ = (1−σ)·x₀ + σ·ε and e(x₀) = mean‖v(x_σ, σ, c) − (ε − x₀)‖² per row.
 * σ is drawn from a logit-normal, σ = sigmoid(n), n ~ N(m, s²) (SD3, Esser et al. 2024, Sec. 3.1).
 */
final class FlowMatchingPairs {

    private FlowMatchingPairs() {
    }

    /** Per-row σ from a logit-normal with the given mean and std, drawn from {@code rng}. */
    static float[] logitNormal(Random rng, int n, double mean, double std) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) (1.0 / (1.0 + Math.exp(-(mean + std * rng.nextGaussian()))));
        }
        return out;
    }

    /** Standard-normal noise like {@code x}, drawn from {@code rng}. */
    static NDArray noiseLike(NDArray x, Random rng, NDManager m) {
        Shape shape = x.getShape();
        float[] values = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) rng.nextGaussian();
        }
        return m.create(values, shape);
    }

    /**
     * e = mean over pixels of (v(x_σ) − (ε − x₀))², (B).
     *
     * @param x0 (B, 1, S, S) clean samples
     * @param eps (B, 1, S, S) noise
     * @param sigma (B) noise levels
     */
    static NDArray error(FlowNet net, NDArray x0, NDArray eps, NDArray sigma, NDArray labels) {
        long b = x0.getShape().get(0);
        NDArray s4 = sigma.reshape(b, 1, 1, 1);
        NDArray xSigma = x0.mul(s4.neg().add(1f)).add(eps.mul(s4)); // (B, 1, S, S)
        NDArray v = net.velocity(xSigma, sigma, labels);
        return v.sub(eps.sub(x0)).square().reshape(b, -1).mean(new int[] {1}); // (B)
    }
}
