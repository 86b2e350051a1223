package dev.tropism.engine.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.IntPredicate;

/**
 * Batched autoregressive sampling with temperature and nucleus (top-p, Holtzman et al. 2020)
 * filtering, or greedy decoding. Prompts are left-padded so every row's next token sits in the last
 * column. With the KV cache each new token costs one position's forward; without it the whole prefix
 * is recomputed (kept for tests and the benchmark). Randomness comes only from the caller's seeded
 * {@link Random}, so a run's randomness is reproducible from its seed and step alone.
 *
 * <p>Where a token is chosen depends on the model ({@link LanguageModel#drawsOnDevice}): a character
 * tiny-gpt's small vocabulary is copied to Java and drawn there ({@link #pick}), which keeps its random
 * stream (and the determinism tests' exact values) as it always was; 32k–150k logits (imported models, a
 * tiny-gpt on GPT-2's BPE) stay on the device ({@link TokenDraw}) and only the B chosen ids come back.
 */
public final class Sampler {

    private Sampler() {
    }

    /**
     * Prompts as a left-padded batch: {@code tokens[b]} is BOS + prompt, right-aligned in width {@code
     * width}; {@code lengths[b]} the real length.
     */
    public record PromptBatch(int[][] tokens, int[] lengths, int width) {

        public static PromptBatch of(Tokenizer tok, List<String> prompts, int maxPromptTokens) {
            int[][] rows = new int[prompts.size()][];
            int width = 1;
            int room = tok.bos() >= 0 ? maxPromptTokens - 1 : maxPromptTokens;
            for (int b = 0; b < rows.length; b++) {
                int[] ids = tok.encode(prompts.get(b));
                int keep = Math.min(ids.length, room); // keep the prompt's tail if too long
                int[] row = tok.start(Arrays.copyOfRange(ids, ids.length - keep, ids.length));
                rows[b] = row;
                width = Math.max(width, row.length);
            }
            int[][] padded = new int[rows.length][width];
            int[] lengths = new int[rows.length];
            for (int b = 0; b < rows.length; b++) {
                System.arraycopy(rows[b], 0, padded[b], width - rows[b].length, rows[b].length);
                lengths[b] = rows[b].length;
            }
            return new PromptBatch(padded, lengths, width);
        }
    }

    /**
     * Completions of a batch.
     *
     * @param tokens (B, maxNew) generated ids; after EOS the rest is PAD
     * @param lengths tokens that count per row: up to and including EOS, or maxNew when truncated
     * @param truncated rows that hit maxNew without EOS
     */
    public record Completions(int[][] tokens, int[] lengths, boolean[] truncated, String[] texts) {

        /** Tokens generated over all rows (the sum of {@link #lengths}): what a throughput counts. */
        public long tokenCount() {
            long n = 0;
            for (int len : lengths) {
                n += len;
            }
            return n;
        }
    }

    /**
     * How to pick each token: greedy when {@code rng} is null.
     *
     * @param topK keep only the k most probable tokens before top-p (Fan et al. 2018); 0 keeps all. Applied on the
     *     device path only (imported models); tiny-gpt's Java draw has no top-k
     */
    public record Decoding(double temperature, double topP, Random rng, int topK) {

        public Decoding(double temperature, double topP, Random rng) {
            this(temperature, topP, rng, 0);
        }

        public static Decoding greedy() {
            return new Decoding(1.0, 1.0, null);
        }
    }

    public static Completions sample(LanguageModel model, PromptBatch prompts, int maxNew, Decoding decoding,
            boolean useCache, NDManager parent) {
        CausalLm lm = model.lm();
        Tokenizer tok = model.tokenizer();
        boolean onDevice = model.drawsOnDevice();
        int batch = prompts.tokens().length;
        int tp = prompts.width();
        if (tp + maxNew > lm.contextLength()) {
            throw new IllegalArgumentException("prompt width " + tp + " + " + maxNew + " new tokens exceeds the "
                    + "model's context of " + lm.contextLength());
        }
        int total = tp + maxNew;
        int[] seq = new int[batch * total]; // (B, Tp + maxNew), row-major
        float[] mask = new float[batch * total];
        int[] pos = new int[batch * total];
        for (int b = 0; b < batch; b++) {
            int pad = tp - prompts.lengths()[b];
            for (int t = 0; t < tp; t++) {
                seq[b * total + t] = prompts.tokens()[b][t];
                mask[b * total + t] = t < pad ? 0f : 1f;
                pos[b * total + t] = Math.max(0, t - pad);
            }
            for (int t = tp; t < total; t++) {
                mask[b * total + t] = 1f;
                pos[b * total + t] = t - pad;
            }
        }
        int[][] out = new int[batch][maxNew];
        int[] lengths = new int[batch];
        boolean[] done = new boolean[batch];
        int vocab = lm.vocabSize();
        try (NDManager m = parent.newSubManager()) {
            TokenDraw draw = onDevice ? new TokenDraw(tok, vocab, m) : null;
            KvCache cache = useCache ? lm.newCache(total) : null;
            int fed = 0; // columns already in the cache
            for (int step = 0; step < maxNew; step++) {
                int upTo = tp + step; // columns known so far
                float[] last = null;
                int[] drawn = null;
                try (NDManager s = m.newSubManager()) {
                    int from = useCache ? fed : 0;
                    NDArray tokens = s.create(slice(seq, batch, total, from, upTo), new Shape(batch, upTo - from));
                    NDArray positions = s.create(slice(pos, batch, total, from, upTo), new Shape(batch, upTo - from));
                    NDArray keyMask = s.create(sliceF(mask, batch, total, 0, upTo), new Shape(batch, upTo));
                    NDArray logits = lm.forward(tokens, positions, keyMask, cache); // (B, Tn, V)
                    NDArray lastLogits = logits.get(new NDIndex(":, -1, :")); // (B, V)
                    if (onDevice) {
                        drawn = draw.draw(lastLogits, decoding);
                    } else {
                        last = lastLogits.toFloatArray();
                    }
                    if (useCache) {
                        cache.keep(m);
                    }
                }
                fed = upTo;
                boolean allDone = true;
                for (int b = 0; b < batch; b++) {
                    int next = done[b] ? tok.pad() : onDevice ? drawn[b] : pick(last, b * vocab, vocab, decoding, tok);
                    seq[b * total + upTo] = next;
                    out[b][step] = next;
                    if (!done[b]) {
                        lengths[b]++;
                        if (next == tok.eos()) {
                            done[b] = true;
                        }
                    }
                    allDone &= done[b];
                }
                if (allDone) {
                    break;
                }
            }
        }
        boolean[] truncated = new boolean[batch];
        String[] texts = new String[batch];
        for (int b = 0; b < batch; b++) {
            truncated[b] = !done[b];
            texts[b] = tok.decode(out[b], 0, lengths[b]);
        }
        return new Completions(out, lengths, truncated, texts);
    }

    /**
     * Picks a token id from one row of logits ({@code logits[offset .. offset + vocab)}) in Java: greedy
     * when {@code d.rng()} is null, else one draw of {@code d.rng()} from the temperature-scaled, top-p
     * filtered distribution over the ids {@code tok} calls {@link Tokenizer#generatable generatable}.
     */
    public static int pick(float[] logits, int offset, int vocab, Decoding d, Tokenizer tok) {
        IntPredicate generatable = tok::generatable;
        if (d.rng() == null) {
            int best = tok.eos() >= 0 ? tok.eos() : firstGeneratable(vocab, generatable);
            for (int i = 0; i < vocab; i++) {
                if (generatable.test(i) && logits[offset + i] > logits[offset + best]) {
                    best = i;
                }
            }
            return best;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            if (generatable.test(i)) {
                max = Math.max(max, logits[offset + i] / d.temperature());
            }
        }
        double[] p = new double[vocab];
        double z = 0;
        for (int i = 0; i < vocab; i++) {
            p[i] = generatable.test(i) ? Math.exp(logits[offset + i] / d.temperature() - max) : 0.0;
            z += p[i];
        }
        for (int i = 0; i < vocab; i++) {
            p[i] /= z;
        }
        if (d.topP() < 1.0) {
            // Nucleus: keep the smallest set of most probable tokens whose mass reaches top_p.
            Integer[] order = new Integer[vocab];
            for (int i = 0; i < vocab; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
            double cum = 0;
            boolean cut = false;
            for (Integer i : order) {
                if (cut) {
                    p[i] = 0;
                } else {
                    cum += p[i];
                    cut = cum >= d.topP();
                }
            }
            double kept = cum;
            for (int i = 0; i < vocab; i++) {
                p[i] /= kept;
            }
        }
        double u = d.rng().nextDouble();
        double acc = 0;
        for (int i = 0; i < vocab; i++) {
            acc += p[i];
            if (u < acc) {
                return i;
            }
        }
        for (int i = vocab - 1; i >= 0; i--) {
            if (p[i] > 0) {
                return i;
            }
        }
        return 0;
    }

    private static int firstGeneratable(int vocab, IntPredicate generatable) {
        for (int i = 0; i < vocab; i++) {
            if (generatable.test(i)) {
                return i;
            }
        }
        throw new IllegalStateException("the tokenizer has no generatable id");
    }

    private static int[] slice(int[] a, int rows, int stride, int from, int to) {
        int w = to - from;
        int[] out = new int[rows * w];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(a, r * stride + from, out, r * w, w);
        }
        return out;
    }

    private static float[] sliceF(float[] a, int rows, int stride, int from, int to) {
        int w = to - from;
        float[] out = new float[rows * w];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(a, r * stride + from, out, r * w, w);
        }
        return out;
    }
}
