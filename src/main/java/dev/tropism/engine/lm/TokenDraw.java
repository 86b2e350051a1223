package dev.tropism.engine.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Collections;
import java.util.List;

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
public final class TokenDraw {

    private final NDArray bias; // (V) 0 for generatable ids, −∞ for the rest

    /** The ids {@code tok} calls generatable, over a model vocabulary of {@code vocab} rows; arrays live in {@code m}. */
    public TokenDraw(Tokenizer tok, int vocab, NDManager m) {
        float[] b = new float[vocab];
        for (int i = 0; i < vocab; i++) {
            b[i] = tok.generatable(i) ? 0f : Float.NEGATIVE_INFINITY;
        }
        this.bias = m.create(b);
    }

    /**
     * The next id of each row, every row decoded alike.
     *
     * @param logits (B, V) the last position's logits
     * @return B ids: greedy (the arg max over generatable ids) when {@code d.rng()} is null
     */
    int[] draw(NDArray logits, Sampler.Decoding d) {
        return draw(logits, Collections.nCopies((int) logits.getShape().get(0), d));
    }

    /**
     * The next id of each row, row b decoded with {@code rows.get(b)}: its own temperature, top-k, top-p and
     * {@link java.util.Random} (greedy when that is null), as a server batches requests with different parameters.
     * Each sampling row draws one uniform from its own Random, in row order; greedy rows draw none. Top-p sorts the
     * batch's rows only when a row asks for it.
     *
     * @param logits (B, V) the last position's logits
     * @return B ids
     */
    public int[] draw(NDArray logits, List<Sampler.Decoding> rows) {
        int batch = rows.size();
        NDArray z = logits.add(bias); // (B, V)
        boolean anySampled = false;
        boolean anyTopP = false;
        boolean anyTopK = false;
        int vocab = (int) logits.getShape().get(1);
        int kMax = 0;
        for (Sampler.Decoding d : rows) {
            if (d.rng() != null) {
                anySampled = true;
                anyTopP |= d.topP() < 1.0;
                if (d.topK() > 0 && d.topK() < vocab) {
                    anyTopK = true;
                    kMax = Math.max(kMax, d.topK());
                }
            }
        }
        int[] greedy = anySampled && rows.stream().allMatch(d -> d.rng() != null) ? null
                : z.argMax(1).toType(DataType.INT32, false).toIntArray();
        if (!anySampled) {
            return greedy;
        }
        NDManager m = logits.getManager();
        float[] temperature = new float[batch];
        float[] topP = new float[batch];
        int[] kthIndex = new int[batch];
        float[] noTopK = new float[batch];
        float[] u = new float[batch];
        for (int b = 0; b < batch; b++) {
            Sampler.Decoding d = rows.get(b);
            boolean sampled = d.rng() != null;
            temperature[b] = sampled ? (float) d.temperature() : 1f;
            topP[b] = sampled ? (float) d.topP() : 1f;
            boolean k = sampled && d.topK() > 0 && d.topK() < vocab;
            kthIndex[b] = k ? d.topK() - 1 : 0;
            noTopK[b] = k ? 0f : 1f;
            u[b] = sampled ? (float) d.rng().nextDouble() : 0f;
        }
        z = z.div(m.create(temperature, new Shape(batch, 1))); // (B, V)
        if (anyTopK) {
            NDArray largest = z.topK(kMax, 1, true, true).get(0); // (B, kMax), descending
            NDArray kth = largest.gather(m.create(kthIndex, new Shape(batch, 1)).toType(DataType.INT64, false), 1); // (B, 1)
            NDArray off = m.create(noTopK, new Shape(batch, 1)).toType(DataType.BOOLEAN, false); // (B, 1) rows without top-k
            NDArray below = z.lt(kth).logicalAnd(off.logicalNot()); // (B, V)
            z = NDArrays.where(below, m.full(z.getShape(), Float.NEGATIVE_INFINITY), z);
        }
        NDArray p = z.softmax(1); // (B, V)
        NDArray uniform = m.create(u, new Shape(batch, 1)); // (B, 1)
        int[] plain = pick(p.cumSum(1), uniform).toType(DataType.INT32, false).toIntArray();
        int[] nucleus = anyTopP ? nucleus(p, m.create(topP, new Shape(batch, 1)), uniform) : null;
        int[] out = new int[batch];
        for (int b = 0; b < batch; b++) {
            Sampler.Decoding d = rows.get(b);
            out[b] = d.rng() == null ? greedy[b] : d.topP() < 1.0 ? nucleus[b] : plain[b];
        }
        return out;
    }

    /**
     * Draws from the nucleus of each row: the smallest set of most probable ids whose mass reaches the row's p.
     *
     * @param p (B, V) probabilities
     * @param topP (B, 1) each row's p
     * @param uniform (B, 1) each row's uniform
     */
    private static int[] nucleus(NDArray p, NDArray topP, NDArray uniform) {
        NDArray order = p.argSort(1, false); // (B, V) ids, most probable first
        NDArray sorted = p.gather(order, 1); // (B, V)
        NDArray before = sorted.cumSum(1).sub(sorted); // mass of the tokens ranked above each one
        NDArray kept = sorted.mul(before.lt(topP).toType(DataType.FLOAT32, false)); // (B, V) the nucleus
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
