package dev.tropism.engine.flow;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.tropism.engine.nn.Gradients;
import java.util.Random;
import java.util.function.Function;

/**
 * A 3×3, stride-1, "same" convolution on fixed random inputs, with its output and its gradients for the loss
 * Σ y·g computed in float64 in Java: the reference that native convolution kernels are checked against.
 */
final class ConvReference {

    static final int B = 8;
    static final int C_IN = 16;
    static final int S = 14;

    final int cOut;
    final float[] x;
    final float[] w;
    final float[] bias;
    final float[] g;
    final double[] y;
    final double[] dx;
    final double[] dw;

    ConvReference(int cOut, long seed) {
        this.cOut = cOut;
        Random r = new Random(seed);
        x = gaussian(r, B * C_IN * S * S, 1);
        w = gaussian(r, cOut * C_IN * 9, 0.1);
        bias = gaussian(r, cOut, 0.1);
        g = gaussian(r, B * cOut * S * S, 1);
        y = new double[B * cOut * S * S];
        dx = new double[x.length];
        dw = new double[w.length];
        for (int b = 0; b < B; b++) {
            for (int o = 0; o < cOut; o++) {
                for (int i = 0; i < S; i++) {
                    for (int j = 0; j < S; j++) {
                        int yi = ((b * cOut + o) * S + i) * S + j;
                        y[yi] += bias[o];
                        for (int c = 0; c < C_IN; c++) {
                            accumulate(b, o, c, i, j, yi);
                        }
                    }
                }
            }
        }
    }

    private void accumulate(int b, int o, int c, int i, int j, int yi) {
        for (int kh = 0; kh < 3; kh++) {
            for (int kw = 0; kw < 3; kw++) {
                int xi = i + kh - 1;
                int xj = j + kw - 1;
                if (xi < 0 || xj < 0 || xi >= S || xj >= S) {
                    continue;
                }
                int xIndex = ((b * C_IN + c) * S + xi) * S + xj;
                int wIndex = ((o * C_IN + c) * 3 + kh) * 3 + kw;
                y[yi] += (double) x[xIndex] * w[wIndex];
                dx[xIndex] += (double) g[yi] * w[wIndex];
                dw[wIndex] += (double) g[yi] * x[xIndex];
            }
        }
    }

    /**
     * Runs {@code conv} (x, w, b → y) forward and backward {@code calls} times on these inputs, each time after
     * freeing NaN-filled native blocks so that stale memory is likely to be NaN.
     *
     * @return the number of calls whose output or input or weight gradient is off the reference (or NaN)
     */
    int wrongCalls(int calls, Function<NDArray[], NDArray> conv) {
        int wrong = 0;
        try (NDManager root = NDManager.newBaseManager()) {
            for (int call = 0; call < calls; call++) {
                Gradients.gradModeOff();
                try (NDManager junk = root.newSubManager()) {
                    junk.full(new Shape(B * 16L * S * S), Float.NaN, DataType.FLOAT32);
                    junk.full(new Shape(16L * C_IN * 9), Float.NaN, DataType.FLOAT32);
                }
                try (NDManager m = root.newSubManager()) {
                    NDArray xa = m.create(x, new Shape(B, C_IN, S, S));
                    NDArray wa = m.create(w, new Shape(cOut, C_IN, 3, 3));
                    xa.setRequiresGradient(true);
                    wa.setRequiresGradient(true);
                    float[] out;
                    try (GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                        NDArray ya = conv.apply(new NDArray[] {xa, wa, m.create(bias)}); // (B, Cout, S, S)
                        out = ya.toFloatArray();
                        gc.backward(ya.mul(m.create(g, ya.getShape())).sum());
                    }
                    if (maxError(out, y) > 1e-4 || maxError(xa.getGradient().toFloatArray(), dx) > 1e-4
                            || maxError(wa.getGradient().toFloatArray(), dw) > 1e-3) {
                        wrong++;
                    }
                }
            }
        }
        return wrong;
    }

    private static float[] gaussian(Random r, int n, double std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextGaussian() * std);
        }
        return v;
    }

    /** Largest absolute difference; infinite when {@code actual} holds a NaN or has another length. */
    private static double maxError(float[] actual, double[] expected) {
        if (actual.length != expected.length) {
            return Double.POSITIVE_INFINITY;
        }
        double max = 0;
        for (int i = 0; i < actual.length; i++) {
            double d = Math.abs(actual[i] - expected[i]);
            if (Double.isNaN(d)) {
                return Double.POSITIVE_INFINITY;
            }
            max = Math.max(max, d);
        }
        return max;
    }
}
