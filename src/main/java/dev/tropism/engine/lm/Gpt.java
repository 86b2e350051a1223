package dev.tropism.engine.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import dev.tropism.engine.nn.FiniteCheck;
import dev.tropism.engine.nn.NamedArrays;
import dev.tropism.engine.nn.Scalars;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The {@code tiny-gpt} decoder-only transformer (Radford et al. 2019, GPT-2; layout after nanoGPT):
 * token + learned position embeddings, {@code nLayer} pre-LayerNorm blocks of causal multi-head
 * self-attention and a 4d GELU MLP, a final LayerNorm, and an output projection tied to the token
 * embedding (Press &amp; Wolf 2017).
 *
 * <p>Parameters are plain NDArrays owned by this object's manager; every forward creates its arrays
 * in the manager of its input (callers pass inputs from a per-step sub-manager), so nothing
 * accumulates across steps. The same forward serves training (no cache) and sampling (with a
 * {@link KvCache}).
 */
public final class Gpt implements AutoCloseable {

    private static final float NEG_INF = -1e9f;

    private final GptConfig config;
    private final NDManager manager;
    private final Map<String, NDArray> params = new LinkedHashMap<>();
    private FiniteCheck check = FiniteCheck.OFF;

    private Gpt(GptConfig config, NDManager parent) {
        this.config = config;
        this.manager = parent.newSubManager();
    }

    /**
     * Fresh weights: N(0, 0.02) for matrices and embeddings, with the residual projections scaled by
     * 1/sqrt(2·nLayer) (GPT-2, Sec. 2.3); zeros for biases, ones for LayerNorm gains. Drawn from a
     * Java RNG seeded with {@code seed}, so initialization does not depend on engine-global state.
     */
    public static Gpt initialize(GptConfig c, long seed, NDManager parent) {
        Gpt g = new Gpt(c, parent);
        Random rng = new Random(seed);
        int d = c.nEmbd();
        float std = 0.02f;
        float residualStd = (float) (0.02 / Math.sqrt(2.0 * c.nLayer()));
        g.normal("wte", rng, std, c.vocabSize(), d);
        g.normal("wpe", rng, std, c.blockSize(), d);
        for (int i = 0; i < c.nLayer(); i++) {
            String p = "h" + i + ".";
            g.constant(p + "ln1.g", 1f, d);
            g.constant(p + "ln1.b", 0f, d);
            g.normal(p + "attn.w", rng, std, 3 * d, d);
            g.constant(p + "attn.b", 0f, 3 * d);
            g.normal(p + "proj.w", rng, residualStd, d, d);
            g.constant(p + "proj.b", 0f, d);
            g.constant(p + "ln2.g", 1f, d);
            g.constant(p + "ln2.b", 0f, d);
            g.normal(p + "fc.w", rng, std, 4 * d, d);
            g.constant(p + "fc.b", 0f, 4 * d);
            g.normal(p + "fc2.w", rng, residualStd, d, 4 * d);
            g.constant(p + "fc2.b", 0f, d);
        }
        g.constant("lnf.g", 1f, d);
        g.constant("lnf.b", 0f, d);
        return g;
    }

    /** Loads weights written by {@link #save}; names and shapes must match {@code c}. */
    public static Gpt load(GptConfig c, Path file, NDManager parent) throws IOException {
        Gpt g = initialize(c, 0, parent);
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
            g.loadParams(in);
        }
        return g;
    }

    /** A copy of these weights in its own manager (e.g. the frozen GRPO reference). */
    public Gpt copy(NDManager parent) {
        Gpt g = new Gpt(config, parent);
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            NDArray a = e.getValue().duplicate();
            a.attach(g.manager);
            g.params.put(e.getKey(), a);
        }
        g.check = check;
        return g;
    }

    /** Anomaly mode: every layer's output of {@link #hidden} and {@link #forward} goes through {@code check}. */
    public void checkFinite(FiniteCheck check) {
        this.check = check;
    }

    public void save(Path file) throws IOException {
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file))) {
            saveParams(out);
        }
    }

    void saveParams(OutputStream out) throws IOException {
        NamedArrays.write(params, out);
    }

    void loadParams(InputStream in) throws IOException {
        NamedArrays.readInto(params, in, manager);
    }

    public GptConfig config() {
        return config;
    }

    /** Parameters in a stable order. */
    public Map<String, NDArray> parameters() {
        return Collections.unmodifiableMap(params);
    }

    public long parameterCount() {
        long n = 0;
        for (NDArray a : params.values()) {
            n += a.size();
        }
        return n;
    }

    /** Turns gradient tracking of every parameter on or off. */
    public void requireGradients(boolean on) {
        for (NDArray a : params.values()) {
            a.setRequiresGradient(on);
        }
    }

    /**
     * Next-token logits.
     *
     * @param tokens (B, Tn) int32 token ids of the new positions
     * @param positions (B, Tn) int32 absolute positions (0-based, pads excluded from the count)
     * @param keyMask (B, Tc + Tn) float32, 1 for real tokens and 0 for padding, over cached + new keys
     * @param cache per-layer keys and values of earlier positions, extended in place; null when training
     * @return (B, Tn, V) logits
     */
    public NDArray forward(NDArray tokens, NDArray positions, NDArray keyMask, KvCache cache) {
        return check.output("logits",
                Linear.linear(hidden(tokens, positions, keyMask, cache), params.get("wte")).singletonOrThrow()); // (B, Tn, V), tied to wte
    }

    /**
     * The final hidden states (after the last LayerNorm, before the tied output projection): what
     * {@link #forward} projects onto the vocabulary, and what a scalar head (a reward model) reads.
     * Arguments as for {@link #forward}.
     *
     * @return (B, Tn, d) hidden states
     */
    public NDArray hidden(NDArray tokens, NDArray positions, NDArray keyMask, KvCache cache) {
        NDManager m = tokens.getManager();
        long batch = tokens.getShape().get(0);
        long tn = tokens.getShape().get(1);
        int d = config.nEmbd();
        int nh = config.nHead();
        int hs = config.headSize();
        long tc = cache == null ? 0 : cache.length();
        long tk = tc + tn;

        // Additive attention bias: causal over (Tn, Tk) with the new queries at offsets tc..tc+Tn-1,
        // plus key padding. (B, 1, Tn, Tk)
        float[] causal = new float[(int) (tn * tk)];
        for (int i = 0; i < tn; i++) {
            for (int j = 0; j < tk; j++) {
                causal[(int) (i * tk + j)] = j <= tc + i ? 0f : NEG_INF;
            }
        }
        NDArray bias = m.create(causal, new Shape(1, 1, tn, tk))
                .add(keyMask.sub(1f).mul(-NEG_INF).reshape(batch, 1, 1, tk)); // (B, 1, Tn, Tk)

        // Indices as int64, PyTorch's canonical index type (its int32 embedding path is far less exercised).
        NDArray tokenIds = tokens.toType(DataType.INT64, false);
        NDArray positionIds = positions.toType(DataType.INT64, false);
        NDArray x = Embedding.embedding(tokenIds, params.get("wte"), SparseFormat.DENSE).singletonOrThrow()
                .add(Embedding.embedding(positionIds, params.get("wpe"), SparseFormat.DENSE).singletonOrThrow()); // (B, Tn, d)
        check.output("embed", x);
        Shape normShape = new Shape(d);
        float scale = (float) (1.0 / Math.sqrt(hs));
        for (int i = 0; i < config.nLayer(); i++) {
            String p = "h" + i + ".";
            // Attention sub-layer
            NDArray a = check.output(p + "ln1", LayerNorm.layerNorm(x, normShape, params.get(p + "ln1.g"),
                    params.get(p + "ln1.b"), 1e-5f).singletonOrThrow()); // (B, Tn, d)
            NDList qkv = check.output(p + "attn", Linear.linear(a, params.get(p + "attn.w"), params.get(p + "attn.b"))
                    .singletonOrThrow()).split(3, 2); // 3 × (B, Tn, d)
            NDArray q = heads(qkv.get(0), batch, tn, nh, hs); // (B, nh, Tn, hs)
            NDArray k = heads(qkv.get(1), batch, tn, nh, hs);
            NDArray v = heads(qkv.get(2), batch, tn, nh, hs);
            if (cache != null) {
                k = cache.appendKeys(i, k); // (B, nh, Tk, hs)
                v = cache.appendValues(i, v);
            }
            NDArray att = check.output(p + "attn.probs",
                    q.matMul(k.transpose(0, 1, 3, 2)).mul(Scalars.of(q, scale)).add(bias).softmax(-1)); // (B, nh, Tn, Tk)
            NDArray y = att.matMul(v).transpose(0, 2, 1, 3).reshape(batch, tn, d); // (B, Tn, d)
            x = x.add(check.output(p + "proj",
                    Linear.linear(y, params.get(p + "proj.w"), params.get(p + "proj.b")).singletonOrThrow()));
            // MLP sub-layer
            NDArray h = check.output(p + "ln2", LayerNorm.layerNorm(x, normShape, params.get(p + "ln2.g"),
                    params.get(p + "ln2.b"), 1e-5f).singletonOrThrow());
            h = Activation.gelu(check.output(p + "fc",
                    Linear.linear(h, params.get(p + "fc.w"), params.get(p + "fc.b")).singletonOrThrow())); // (B, Tn, 4d)
            x = x.add(check.output(p + "fc2",
                    Linear.linear(h, params.get(p + "fc2.w"), params.get(p + "fc2.b")).singletonOrThrow())); // (B, Tn, d)
        }
        if (cache != null) {
            cache.advance(tn);
        }
        return check.output("lnf",
                LayerNorm.layerNorm(x, normShape, params.get("lnf.g"), params.get("lnf.b"), 1e-5f).singletonOrThrow()); // (B, Tn, d)
    }

    private static NDArray heads(NDArray t, long batch, long tn, int nh, int hs) {
        return t.reshape(batch, tn, nh, hs).transpose(0, 2, 1, 3);
    }

    /** A new, empty cache; its arrays live in the manager of the inputs passed to {@link #forward}. */
    public KvCache newCache() {
        return new KvCache(config.nLayer());
    }

    @Override
    public void close() {
        manager.close();
    }

    private void normal(String name, Random rng, float std, int... shape) {
        int n = 1;
        for (int s : shape) {
            n *= s;
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (rng.nextGaussian() * std);
        }
        params.put(name, manager.create(v, new Shape(toLong(shape))));
    }

    private void constant(String name, float value, int... shape) {
        params.put(name, manager.full(new Shape(toLong(shape)), value, DataType.FLOAT32));
    }

    private static long[] toLong(int[] s) {
        long[] l = new long[s.length];
        for (int i = 0; i < s.length; i++) {
            l[i] = s[i];
        }
        return l;
    }

    /**
     * Keys and values of the positions seen so far, per layer: (B, nh, Tc, hs). Extending it replaces
     * (and closes) the previous arrays, so a decode of N tokens holds one copy, not N.
     */
    public static final class KvCache {
        private final NDArray[] keys;
        private final NDArray[] values;
        private long length;

        KvCache(int layers) {
            keys = new NDArray[layers];
            values = new NDArray[layers];
        }

        public long length() {
            return length;
        }

        NDArray appendKeys(int layer, NDArray k) {
            keys[layer] = concat(keys[layer], k);
            return keys[layer];
        }

        NDArray appendValues(int layer, NDArray v) {
            values[layer] = concat(values[layer], v);
            return values[layer];
        }

        /** Moves the cached arrays to {@code m}, so they outlive the step manager that created them. */
        public void keep(NDManager m) {
            for (int i = 0; i < keys.length; i++) {
                if (keys[i] != null) {
                    keys[i].attach(m);
                    values[i].attach(m);
                }
            }
        }

        void advance(long n) {
            length += n;
        }

        /**
         * A cache over existing per-layer arrays, each (B, nh, Tc, hs) with the same Tc: what a continuous
         * batcher builds when it gathers, pads or joins rows of other caches between decoding steps.
         */
        public static KvCache of(NDArray[] keys, NDArray[] values) {
            if (keys.length != values.length || keys.length == 0) {
                throw new IllegalArgumentException("need the same positive number of key and value layers");
            }
            KvCache c = new KvCache(keys.length);
            System.arraycopy(keys, 0, c.keys, 0, keys.length);
            System.arraycopy(values, 0, c.values, 0, values.length);
            c.length = keys[0].getShape().get(2);
            return c;
        }

        /** Number of layers. */
        public int layers() {
            return keys.length;
        }

        /** Layer {@code layer}'s cached keys (B, nh, Tc, hs); null before the first forward. */
        public NDArray keys(int layer) {
            return keys[layer];
        }

        /** Layer {@code layer}'s cached values (B, nh, Tc, hs); null before the first forward. */
        public NDArray values(int layer) {
            return values[layer];
        }

        private static NDArray concat(NDArray old, NDArray add) {
            if (old == null) {
                return add;
            }
            NDArray joined = old.concat(add, 2);
            old.close();
            return joined;
        }
    }

    /** Names of all parameters whose tensors are matrices (weight decay applies to these only). */
    public List<String> matrixParameterNames() {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            if (e.getValue().getShape().dimension() >= 2) {
                out.add(e.getKey());
            }
        }
        return out;
    }
}
