package dev.tropism.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/** Gradient helpers that DJL lacks. */
public final class Gradients {

    /**
     * DJL's PyTorch engine allows one open GradientCollector per JVM (DJL notes), so concurrent runs
     * take this lock around forward-with-gradient, backward and the optimizer step.
     */
    public static final ReentrantLock COLLECTOR_LOCK = new ReentrantLock(true);

    private Gradients() {
    }

    /** Global L2 norm of all parameter gradients: sqrt(Σ ||g||²). */
    public static double globalNorm(Map<String, NDArray> params, NDManager scratch) {
        double sq = 0;
        try (NDManager m = scratch.newSubManager()) {
            for (NDArray p : params.values()) {
                NDArray g = p.getGradient();
                g.attach(m);
                sq += g.square().sum().getFloat();
            }
        }
        return Math.sqrt(sq);
    }

    /** Names of parameters whose gradient has a NaN or infinite entry, for error messages. */
    public static java.util.List<String> nonFinite(Map<String, NDArray> params, NDManager scratch) {
        java.util.List<String> out = new java.util.ArrayList<>();
        try (NDManager m = scratch.newSubManager()) {
            for (Map.Entry<String, NDArray> e : params.entrySet()) {
                NDArray g = e.getValue().getGradient();
                g.attach(m);
                float sq = g.abs().max().getFloat();
                if (!Float.isFinite(sq)) {
                    out.add(e.getKey());
                }
            }
        }
        return out;
    }

    /** The factor that scales gradients down to {@code maxNorm} (1 when under it or when clipping is off). */
    public static double clipScale(double norm, double maxNorm) {
        if (maxNorm <= 0 || norm <= maxNorm) {
            return 1.0;
        }
        return maxNorm / (norm + 1e-6);
    }
}
