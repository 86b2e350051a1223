package dev.tropism.engine.align;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.tropism.engine.lm.CausalLm;
import java.util.Arrays;
import java.util.List;

/**
 * Rows of {@link SftExample}s as the tensors of one forward. A row holds one example (padding, right-padded to the
 * batch's widest row) or several laid end to end (packing). An example of n tokens takes n − 1 positions, its inputs
 * t_0 … t_{n−2}, whose targets are t_1 … t_{n−1}; its positions start again at 0; and in a row that packs several,
 * each query attends only to the keys of its own example (a (B, W, W) key mask), so a packed example is scored
 * exactly as it would be alone. Only the positions whose target the loss counts are projected onto the vocabulary.
 */
final class SftBatch {

    /** (B, W) int32 token ids. */
    final NDArray inputs;
    /** (B, W) int32 positions, from 0 in each example. */
    final NDArray positions;
    /** (B, W) float32, 0 on padding; (B, W, W), 1 where query and key share an example, when a row packs several. */
    final NDArray keyMask;
    /** (N) int64 flat positions b·W + t whose targets count. */
    final NDArray counted;
    /** (N) int64 the counted targets. */
    final NDArray targets;
    /** N, the targets the loss counts. */
    final int count;
    /** Positions holding a token (not padding): what a forward processes. */
    final long tokens;

    private SftBatch(NDArray inputs, NDArray positions, NDArray keyMask, NDArray counted, NDArray targets, int count,
            long tokens) {
        this.inputs = inputs;
        this.positions = positions;
        this.keyMask = keyMask;
        this.counted = counted;
        this.targets = targets;
        this.count = count;
        this.tokens = tokens;
    }

    /** The batch of {@code rows} (each a list of examples laid end to end), in {@code m}. */
    static SftBatch of(List<List<SftExample>> rows, NDManager m) {
        int b = rows.size();
        int width = 1;
        boolean packed = false;
        int count = 0;
        for (List<SftExample> row : rows) {
            int used = 0;
            for (SftExample e : row) {
                used += e.inputs();
                for (int j = 1; j < e.tokens().length; j++) {
                    count += e.counts()[j] ? 1 : 0;
                }
            }
            width = Math.max(width, used);
            packed |= row.size() > 1;
        }
        int[] in = new int[b * width];
        int[] pos = new int[b * width];
        float[] mask = new float[packed ? b * width * width : b * width];
        long[] at = new long[count];
        long[] targets = new long[count];
        int k = 0;
        long tokens = 0;
        for (int r = 0; r < b; r++) {
            int start = 0;
            for (SftExample e : rows.get(r)) {
                int len = e.inputs();
                for (int t = 0; t < len; t++) {
                    int i = r * width + start + t;
                    in[i] = e.tokens()[t];
                    pos[i] = t;
                    if (e.counts()[t + 1]) {
                        at[k] = i;
                        targets[k++] = e.tokens()[t + 1];
                    }
                    if (packed) { // queries of this example see its keys only; the causal mask adds the rest
                        Arrays.fill(mask, i * width + start, i * width + start + len, 1f); // (B, W, W)
                    } else {
                        mask[i] = 1f;
                    }
                }
                start += len;
            }
            tokens += start;
        }
        Shape shape = new Shape(b, width);
        return new SftBatch(m.create(in, shape), m.create(pos, shape),
                m.create(mask, packed ? new Shape(b, width, width) : shape), m.create(at), m.create(targets), count,
                tokens);
    }

    /** Lends the forward inputs to {@code m} until it closes, so that a forward's arrays land in {@code m}. */
    void attachInputs(NDManager m) {
        inputs.tempAttach(m);
        positions.tempAttach(m);
        keyMask.tempAttach(m);
        counted.tempAttach(m);
        targets.tempAttach(m);
    }

    /** (N, V) the logits that predict the counted targets; only those positions are projected. */
    NDArray logits(CausalLm lm) {
        NDArray hidden = lm.hidden(inputs, positions, keyMask, null); // (B, W, d)
        NDArray picked = hidden.reshape(-1, lm.width()).get(new NDIndex("{}", counted)); // (N, d)
        return lm.logits(picked); // (N, V)
    }

    /** (N) log π(target) of each counted target. */
    NDArray logp(NDArray logits) {
        return CompletionBatch.tokenLogp(logits, targets); // (N)
    }

    /** Number of counted targets that are also the logits' argmax (no gradient). */
    long correct(NDArray logits) {
        return logits.stopGradient().argMax(-1).eq(targets).toType(DataType.INT64, false).sum().getLong();
    }
}
