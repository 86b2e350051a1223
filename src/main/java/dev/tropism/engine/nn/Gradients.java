package dev.tropism.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
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

    /**
     * Turns autograd recording off on the calling thread. PyTorch's grad mode is per thread and on by
     * default; DJL turns it off only on the thread that loaded the engine, and a GradientCollector
     * restores the mode it found. On any other thread (a second job worker, a resumed job) parameters
     * would then be updated in place while recording, which PyTorch refuses ("a leaf Variable that
     * requires grad is being used in an in-place operation"), and sampling would build graphs. Runs call
     * this on entry to every step and evaluation, and the optimizer before it updates.
     */
    public static void gradModeOff() {
        ai.djl.pytorch.jni.JniUtils.setGradMode(false);
    }

    /** Global L2 norm of all parameter gradients: sqrt(Σ ||g||²), accumulated in double precision. */
    public static double globalNorm(Map<String, NDArray> params, NDManager scratch) {
        double sq = 0;
        try (NDManager m = scratch.newSubManager()) {
            for (NDArray p : params.values()) {
                NDArray g = p.getGradient();
                g.attach(m);
                // Squares in float64: a finite float32 gradient above ~1.8e19 would overflow float32's
                // square and report an infinite norm where clipping should simply scale it down.
                sq += g.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).square().sum().getDouble();
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

    /** Zeroes every parameter's gradient in place (a skipped update must not leak into the next one). */
    public static void zero(Map<String, NDArray> params, NDManager scratch) {
        try (NDManager m = scratch.newSubManager()) {
            for (NDArray p : params.values()) {
                NDArray g = p.getGradient();
                g.attach(m);
                // Fill in place (0 × NaN would stay NaN). Never NDArray.set(Buffer) here: on the PyTorch
                // engine it re-points the tensor at a Java buffer that dies with this handle.
                g.set(new NDIndex("..."), 0f);
            }
        }
    }

    /** The factor that scales gradients down to {@code maxNorm} (1 when under it or when clipping is off). */
    public static double clipScale(double norm, double maxNorm) {
        if (maxNorm <= 0 || norm <= maxNorm) {
            return 1.0;
        }
        return maxNorm / (norm + 1e-6);
    }
}
