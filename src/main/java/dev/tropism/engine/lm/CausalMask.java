package dev.tropism.engine.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/** The additive attention bias every {@link CausalLm} applies before its softmax. */
public final class CausalMask {

    /** Large enough to vanish in a softmax, small enough to stay finite when added to a score. */
    private static final float NEG_INF = -1e9f;

    private CausalMask() {
    }

    /**
     * Causal over (Tn, Tk) with the new queries at offsets tc..tc+Tn-1, plus key padding: 0 where a query may attend,
     * -1e9 (or -2e9) where it may not.
     *
     * @param keyMask (B, Tk) 1 for real keys, 0 for padding; Tk = tc + tn. Or (B, Tn, Tk), a mask per query: rows
     *     that pack several sequences (SFT's packing) let each query see only the keys of its own sequence
     * @param tn new positions (queries)
     * @return (B, 1, Tn, Tk) in {@code keyMask}'s manager
     */
    public static NDArray bias(NDArray keyMask, long tn) {
        long batch = keyMask.getShape().get(0);
        long tk = keyMask.getShape().get(keyMask.getShape().dimension() - 1);
        long tc = tk - tn;
        float[] causal = new float[(int) (tn * tk)];
        for (int i = 0; i < tn; i++) {
            for (int j = 0; j < tk; j++) {
                causal[(int) (i * tk + j)] = j <= tc + i ? 0f : NEG_INF;
            }
        }
        long queries = keyMask.getShape().dimension() == 3 ? tn : 1;
        return keyMask.getManager().create(causal, new Shape(1, 1, tn, tk))
                .add(keyMask.sub(1f).mul(-NEG_INF).reshape(batch, 1, queries, tk)); // (B, 1, Tn, Tk)
    }
}
