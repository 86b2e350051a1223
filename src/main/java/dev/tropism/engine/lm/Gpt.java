package dev.tropism.engine.lm;

import ai.djl.Device;
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
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
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
public final class Gpt implements CausalLm {

    private final GptConfig config;
    private final NDManager manager;
    private final Map<String, NDArray> params = new LinkedHashMap<>();
    private FiniteCheck check = FiniteCheck.OFF;
    private EmbeddingNoise noise;

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

    @Override
    public Gpt copy(NDManager parent) {
        Gpt g = new Gpt(config, parent);
        NamedArrays.duplicateInto(params, g.params, g.manager);
        g.check = check;
        return g;
    }

    @Override
    public void checkFinite(FiniteCheck check) {
        this.check = check;
    }

    @Override
    public void embeddingNoise(EmbeddingNoise noise) {
        this.noise = noise;
    }

    void loadParams(InputStream in) throws IOException {
        NamedArrays.readInto(params, in, manager);
    }

    public GptConfig config() {
        return config;
    }

    @Override
    public int vocabSize() {
        return config.vocabSize();
    }

    @Override
    public int contextLength() {
        return config.blockSize();
    }

    @Override
    public int width() {
        return config.nEmbd();
    }

    @Override
    public int layers() {
        return config.nLayer();
    }

    @Override
    public Map<String, NDArray> parameters() {
        return Collections.unmodifiableMap(params);
    }

    @Override
    public Device device() {
        return manager.getDevice();
    }

    @Override
    public NDArray forward(NDArray tokens, NDArray positions, NDArray keyMask, KvCache cache) {
        return logits(hidden(tokens, positions, keyMask, cache)); // (B, Tn, V)
    }

    @Override
    public NDArray logits(NDArray hidden) {
        return check.output("logits", Linear.linear(hidden, params.get("wte")).singletonOrThrow()); // (B, T, V), tied to wte
    }

    @Override
    public NDArray hidden(NDArray tokens, NDArray positions, NDArray keyMask, KvCache cache) {
        long batch = tokens.getShape().get(0);
        long tn = tokens.getShape().get(1);
        int d = config.nEmbd();
        int nh = config.nHead();
        int hs = config.headSize();
        NDArray bias = CausalMask.bias(keyMask, tn); // (B, 1, Tn, Tk)

        // Indices as int64, PyTorch's canonical index type (its int32 embedding path is far less exercised).
        NDArray tokenIds = tokens.toType(DataType.INT64, false);
        NDArray positionIds = positions.toType(DataType.INT64, false);
        NDArray x = Embedding.embedding(tokenIds, params.get("wte"), SparseFormat.DENSE).singletonOrThrow()
                .add(Embedding.embedding(positionIds, params.get("wpe"), SparseFormat.DENSE).singletonOrThrow()); // (B, Tn, d)
        if (noise != null) {
            x = noise.addTo(x);
        }
        check.output("embed", x);
        Shape normShape = new Shape(d);
        NDArray scale = Scalars.of(x, 1.0 / Math.sqrt(hs)); // one 0-d operand for every layer's scores
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
                    q.matMul(k.transpose(0, 1, 3, 2)).mul(scale).add(bias).softmax(-1)); // (B, nh, Tn, Tk)
            NDArray y = merge(att.matMul(v), batch, tn, d); // (B, Tn, d)
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

    /**
     * (B, Tn, d) → (B, nh, Tn, hs). With one new position (a decode step) the transpose only moves a size-1 axis, so a
     * single reshape gives the same elements in the same order: one native call fewer per tensor, layer and step.
     */
    private static NDArray heads(NDArray t, long batch, long tn, int nh, int hs) {
        if (tn == 1) {
            return t.reshape(batch, nh, 1, hs);
        }
        return t.reshape(batch, tn, nh, hs).transpose(0, 2, 1, 3);
    }

    /** (B, nh, Tn, hs) → (B, Tn, d), the inverse of {@link #heads}, likewise a single reshape when Tn = 1. */
    private static NDArray merge(NDArray y, long batch, long tn, int d) {
        if (tn == 1) {
            return y.reshape(batch, 1, d);
        }
        return y.transpose(0, 2, 1, 3).reshape(batch, tn, d);
    }

    @Override
    public KvCache newCache() {
        return new KvCache(config.nLayer());
    }

    /** Preallocated: see {@link KvCache#withCapacity} for why tiny-gpt's decode writes in place. */
    @Override
    public KvCache newCache(int capacity) {
        return KvCache.withCapacity(config.nLayer(), capacity);
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
}
