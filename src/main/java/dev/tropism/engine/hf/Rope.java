package dev.tropism.engine.hf;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Rotary position embedding (Su et al. 2021, RoFormer, eq. 34) in HF modeling_llama's rotate-half layout: the head
 * vector's halves x₁ = x[:hd/2] and x₂ = x[hd/2:] are the two coordinates of hd/2 planes, and plane i turns by
 * position · θ^(−2i/hd):
 *
 * <pre>
 *   rope(x, p) = x · cos(p·ω) + rotate_half(x) · sin(p·ω),   rotate_half(x) = [−x₂, x₁],   ω = [ω_i, ω_i]
 * </pre>
 *
 * With {@code rope_scaling} {@code linear} (Chen et al. 2023, position interpolation) p is divided by the factor.
 * The angles are computed in float32 from float32 inverse frequencies, as HF computes them.
 *
 * @param headDim hd, even
 * @param theta base θ, {@code rope_theta}
 * @param linearFactor positions are divided by this; 1 for no scaling
 */
public record Rope(int headDim, double theta, double linearFactor) {

    /** cos and sin of every (row, position, frequency), each (B, 1, T, hd): shared by q and k of all layers. */
    public NDList tables(NDArray positions) {
        NDManager m = positions.getManager();
        int half = headDim / 2;
        float[] invFreq = new float[half];
        for (int i = 0; i < half; i++) {
            invFreq[i] = (float) (1.0 / Math.pow(theta, 2.0 * i / headDim) / linearFactor);
        }
        long batch = positions.getShape().get(0);
        long t = positions.getShape().get(1);
        NDArray angles = positions.toType(DataType.FLOAT32, false).reshape(batch, 1, t, 1)
                .mul(m.create(invFreq, new Shape(1, 1, 1, half))); // (B, 1, T, hd/2)
        NDArray both = angles.concat(angles, 3); // (B, 1, T, hd); DJL's concat and split take no negative axis
        return new NDList(both.cos(), both.sin());
    }

    /**
     * @param x (B, h, T, hd) queries or keys
     * @param tables {@link #tables} of the positions of x's T tokens
     * @return (B, h, T, hd) rotated
     */
    public static NDArray apply(NDArray x, NDList tables) {
        long hd = x.getShape().get(3);
        NDList halves = x.split(new long[] {hd / 2}, 3); // 2 × (B, h, T, hd/2)
        NDArray rotated = halves.get(1).neg().concat(halves.get(0), 3); // (B, h, T, hd)
        return x.mul(tables.get(0)).add(rotated.mul(tables.get(1)));
    }
}
