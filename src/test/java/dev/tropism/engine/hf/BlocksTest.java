package dev.tropism.engine.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/** RMSNorm, RoPE and GPT-2's GELU on inputs small enough to compute by hand. */
class BlocksTest {

    @Test
    void rmsNormDividesByTheRootMeanSquareAndScales() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(new float[] {1, 2, 3, 4, -2, 0, 0, 0}, new Shape(2, 4));
            NDArray g = m.create(new float[] {1, 1, 2, 0.5f});
            float[] y = RmsNorm.apply(x, g, 0.5).toFloatArray();
            // row 0: (1 + 4 + 9 + 16) / 4 + 0.5 = 8, √8 = 2√2; row 1: 4 / 4 + 0.5 = 1.5
            double r0 = 2 * Math.sqrt(2);
            double r1 = Math.sqrt(1.5);
            assertArrayEquals(new float[] {(float) (1 / r0), (float) (2 / r0), (float) (2 * 3 / r0),
                    (float) (0.5 * 4 / r0), (float) (-2 / r1), 0, 0, 0}, y, 1e-6f);
        }
    }

    @Test
    void ropeRotatesEachHalfPairByPositionTimesItsFrequency() {
        try (NDManager m = NDManager.newBaseManager()) {
            // hd = 4, θ = 100: frequencies 100^0 = 1 and 100^(-2/4) = 0.1; planes (x0, x2) and (x1, x3)
            NDArray x = m.create(new float[] {1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4}, new Shape(1, 1, 3, 4));
            NDArray positions = m.create(new int[] {0, 1, 2}, new Shape(1, 3));
            float[] y = Rope.apply(x, new Rope(4, 100, 1).tables(positions)).toFloatArray();
            float[] atOne = rotatedAt(1);
            float[] atTwo = rotatedAt(2);
            assertArrayEquals(new float[] {1, 2, 3, 4}, slice(y, 0), 1e-6f); // position 0: no rotation
            assertArrayEquals(atOne, slice(y, 1), 1e-6f);
            assertArrayEquals(atTwo, slice(y, 2), 1e-6f);
            // linear scaling by 2 (position interpolation): position 2 turns as far as position 1 did
            float[] scaled = Rope.apply(x, new Rope(4, 100, 2).tables(positions)).toFloatArray();
            assertArrayEquals(atOne, slice(scaled, 2), 1e-6f);
        }
    }

    /** [1, 2, 3, 4] turned by angles p·1 in plane (0, 2) and p·0.1 in plane (1, 3): HF's rotate-half convention. */
    private static float[] rotatedAt(double p) {
        double a = p;
        double b = p * 0.1;
        return new float[] {(float) (1 * Math.cos(a) - 3 * Math.sin(a)), (float) (2 * Math.cos(b) - 4 * Math.sin(b)),
                (float) (3 * Math.cos(a) + 1 * Math.sin(a)), (float) (4 * Math.cos(b) + 2 * Math.sin(b))};
    }

    private static float[] slice(float[] y, int t) {
        float[] out = new float[4];
        System.arraycopy(y, 4 * t, out, 0, 4);
        return out;
    }

    @Test
    void ropeTablesAreCosAndSinOfTheDuplicatedAngles() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDList t = new Rope(4, 100, 1).tables(m.create(new int[] {3}, new Shape(1, 1)));
            assertArrayEquals(new float[] {(float) Math.cos(3), (float) Math.cos(0.3), (float) Math.cos(3),
                    (float) Math.cos(0.3)}, t.get(0).toFloatArray(), 1e-6f);
            assertArrayEquals(new float[] {(float) Math.sin(3), (float) Math.sin(0.3), (float) Math.sin(3),
                    (float) Math.sin(0.3)}, t.get(1).toFloatArray(), 1e-6f);
        }
    }

    @Test
    void tanhGeluIsGpt2sApproximationNotTheErfForm() {
        try (NDManager m = NDManager.newBaseManager()) {
            float[] xs = {-3, -1, 0, 0.5f, 2};
            float[] tanh = Gelu.TANH.apply(m.create(xs)).toFloatArray();
            float[] expectedTanh = new float[xs.length];
            for (int k = 0; k < xs.length; k++) {
                double x = xs[k];
                expectedTanh[k] = (float) (0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))));
            }
            assertArrayEquals(expectedTanh, tanh, 1e-6f);
            // at x = 1: Φ(1) = 0.8413447 for the erf form, 0.8411920 for the tanh form; they differ past 1e-4
            NDArray one = m.create(new float[] {1f});
            assertArrayEquals(new float[] {0.8413447f}, Gelu.EXACT.apply(one).toFloatArray(), 1e-6f);
            assertArrayEquals(new float[] {0.8411920f}, Gelu.TANH.apply(one).toFloatArray(), 1e-6f);
        }
    }
}
