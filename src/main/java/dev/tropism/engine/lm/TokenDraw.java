package dev.tropism.engine.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Chooses the next token of every row on the device, for vocabularies too large to copy to Java per token (32k–150k
 * for imported models): temperature, top-k (Fan et al. 2018), top-p (Holtzman et al. 2020, the smallest set of most
 * probable tokens whose mass reaches p) and the draw itself are NDArray operations; only the B chosen ids come back.
 *
 * <p>The draw is by inverse CDF: with one uniform u per row from the caller's {@link java.util.Random}, the chosen id
 * is the first whose cumulative probability exceeds u·Σp. That is an exact draw from the filtered distribution, like
 * the Gumbel-max trick, but it needs B uniforms instead of B·V. Drawing B·V Gumbel noises on the device would use
 * PyTorch's global generator, which concurrent runs share, so a run could not be replayed from its seed and step;
 * drawing them in Java would copy as much as the logits did.
 */
final class TokenDraw {

    private final NDArray bias; // (V) 0 for generatable ids, −∞ for the rest

    /** The ids {@code tok} calls generatable, over a model vocabulary of {@code vocab} rows; arrays live in {@code m}. */
    TokenDraw(Tokenizer tok, int vocab, NDManager m) {
        float[] b = new float[vocab];
        for (int i = 0; i < vocab; i++) {
            b[i] = tok.generatable(i) ? 0f : Float.NEGATIVE_INFINITY;
        }
        this.bias = m.create(b);
    }

    /**
     * The next id of each row.
     *
     * @param logits (B, V) the last position's logits
     * @return B ids: greedy (the arg max over generatable ids) when {@code d.rng()} is null
     */
    int[] draw(NDArray logits, Sampler.Decoding d) {
        NDArray z = logits.add(bias); // (B, V)
        if (d.rng() == null) {
            return z.argMax(1).toType(DataType.INT32, false).toIntArray();
        }
        NDManager m = logits.getManager();
        long rows = logits.getShape().get(0);
        int vocab = (int) logits.getShape().get(1);
        if (d.temperature() != 1.0) {
            z = z.div(d.temperature());
        }
        if (d.topK() > 0 && d.topK() < vocab) {
            NDArray kth = z.topK(d.topK(), 1, true, false).get(0).min(new int[] {1}, true); // (B, 1)
            z = NDArrays.where(z.lt(kth), m.full(z.getShape(), Float.NEGATIVE_INFINITY), z);
        }
        NDArray p = z.softmax(1); // (B, V)
        float[] u = new float[(int) rows];
        for (int b = 0; b < u.length; b++) {
            u[b] = (float) d.rng().nextDouble();
        }
        NDArray uniform = m.create(u, new Shape(rows, 1)); // (B, 1)
        if (d.topP() >= 1.0) {
            return pick(p.cumSum(1), uniform).toType(DataType.INT32, false).toIntArray();
        }
        NDArray order = p.argSort(1, false); // (B, V) ids, most probable first
        NDArray sorted = p.gather(order, 1); // (B, V)
        NDArray before = sorted.cumSum(1).sub(sorted); // mass of the tokens ranked above each one
        NDArray kept = sorted.mul(before.lt(d.topP()).toType(DataType.FLOAT32, false)); // (B, V) the nucleus
        NDArray rank = pick(kept.cumSum(1), uniform); // (B)
        return order.gather(rank.expandDims(1), 1).squeeze(1).toType(DataType.INT32, false).toIntArray();
    }

    /**
     * Per row, the first index whose cumulative mass exceeds u·total, capped at the index where the total is reached
     * (so float rounding of u·total up to the total can never pick a zero-probability tail id).
     *
     * @param cum (B, V) cumulative probabilities, non-decreasing along the row
     * @param u (B, 1) uniforms in [0, 1)
     * @return (B) int64 indices
     */
    private static NDArray pick(NDArray cum, NDArray u) {
        NDArray total = cum.max(new int[] {1}, true); // (B, 1)
        NDArray below = cum.lte(u.mul(total)).toType(DataType.INT64, false).sum(new int[] {1}); // (B)
        return below.minimum(cum.argMax(1)); // argMax: the first index at the total
    }
}
