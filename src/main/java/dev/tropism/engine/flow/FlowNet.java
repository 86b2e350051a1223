package dev.tropism.engine.flow;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import dev.tropism.engine.nn.FiniteCheck;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The {@code tiny-flow} velocity network v_θ(x_σ, σ, c): a small class-conditional U-Net (Ronneberger et al.
 * 2015; the residual-block layout of DDPM, Ho et al. 2020). A sinusoidal embedding of σ (Vaswani et al. 2017)
 * plus a learned class embedding (with a null class for classifier-free guidance) is added to every residual
 * block. Levels halve the resolution with stride-2
 * convolutions and restore it with nearest-neighbour upsampling, a convolution and skip connections.
 *
 * <p>Convention (rectified flow, Liu et al. 2022; SD3, Esser et al. 2024): x_σ = (1−σ)·x₀ + σ·ε, so the
 * target velocity is v = dx_σ/dσ = ε − x₀ and the clean image predicted from (x_σ, v) is x̂₀ = x_σ − σ·v.
 *
 * <p>Parameters live in this object's manager; a forward creates its arrays in the input's manager.
 */
public final class FlowNet implements AutoCloseable {

    private final FlowNetConfig config;
    private final ParamStore p;
    private FiniteCheck check = FiniteCheck.OFF;

    private FlowNet(FlowNetConfig config, ParamStore p) {
        this.config = config;
        this.p = p;
    }

    /**
     * Fresh weights: He-normal convolutions, N(0, 0.02) embeddings, zeros for biases, ones for norm gains;
     * the second convolution of every residual block and the output convolution start at zero, so the
     * initial network predicts v = 0 and every block starts as the identity.
     */
    public static FlowNet initialize(FlowNetConfig c, long seed, NDManager parent) {
        ParamStore p = new ParamStore(parent);
        Random rng = new Random(seed);
        int e = c.embedDim();
        p.normal("temb.w1", rng, Math.sqrt(1.0 / e), e, e);
        p.constant("temb.b1", 0f, e);
        p.normal("temb.w2", rng, Math.sqrt(1.0 / e), e, e);
        p.constant("temb.b2", 0f, e);
        p.normal("cemb", rng, 0.02, c.numClasses() + 1, e);
        p.he("in.w", rng, c.channels(), 1, 3, 3);
        p.constant("in.b", 0f, c.channels());
        for (int l = 0; l < c.levels(); l++) {
            resBlock(p, rng, c, "down" + l, l == 0 ? c.channels() : c.channelsAt(l), c.channelsAt(l));
            if (l < c.levels() - 1) {
                p.he("down" + l + ".pool.w", rng, c.channelsAt(l + 1), c.channelsAt(l), 3, 3);
                p.constant("down" + l + ".pool.b", 0f, c.channelsAt(l + 1));
            }
        }
        int deepest = c.channelsAt(c.levels() - 1);
        resBlock(p, rng, c, "mid", deepest, deepest);
        for (int l = c.levels() - 2; l >= 0; l--) {
            p.he("up" + l + ".unpool.w", rng, c.channelsAt(l), c.channelsAt(l + 1), 3, 3);
            p.constant("up" + l + ".unpool.b", 0f, c.channelsAt(l));
            resBlock(p, rng, c, "up" + l, 2 * c.channelsAt(l), c.channelsAt(l));
        }
        p.constant("out.gn.g", 1f, c.channels());
        p.constant("out.gn.b", 0f, c.channels());
        p.constant("out.w", 0f, 1, c.channels(), 3, 3);
        p.constant("out.b", 0f, 1);
        return new FlowNet(c, p);
    }

    private static void resBlock(ParamStore p, Random rng, FlowNetConfig c, String name, int in, int out) {
        p.constant(name + ".gn1.g", 1f, in);
        p.constant(name + ".gn1.b", 0f, in);
        p.he(name + ".conv1.w", rng, out, in, 3, 3);
        p.constant(name + ".conv1.b", 0f, out);
        p.normal(name + ".emb.w", rng, Math.sqrt(1.0 / c.embedDim()), out, c.embedDim());
        p.constant(name + ".emb.b", 0f, out);
        p.constant(name + ".gn2.g", 1f, out);
        p.constant(name + ".gn2.b", 0f, out);
        p.constant(name + ".conv2.w", 0f, out, out, 3, 3);
        p.constant(name + ".conv2.b", 0f, out);
        if (in != out) {
            p.he(name + ".skip.w", rng, out, in, 1, 1);
            p.constant(name + ".skip.b", 0f, out);
        }
    }

    /** Loads weights written by {@link #save}; names and shapes must match {@code c}. */
    public static FlowNet load(FlowNetConfig c, Path file, NDManager parent) throws IOException {
        FlowNet net = initialize(c, 0, parent);
        net.p.load(file);
        return net;
    }

    public void save(Path file) throws IOException {
        p.save(file);
    }

    /** A copy of these weights (the frozen reference, or the rollout policy θ_old). */
    public FlowNet copy(NDManager parent) {
        FlowNet copy = new FlowNet(config, p.copy(parent));
        copy.check = check;
        return copy;
    }

    /** Anomaly mode: every layer's output of {@link #velocity} goes through {@code check}. */
    public void checkFinite(FiniteCheck check) {
        this.check = check;
    }

    public FlowNetConfig config() {
        return config;
    }

    /** Parameters in a stable order. */
    public Map<String, NDArray> parameters() {
        return p.all();
    }

    /** Names of the parameters that weight decay applies to (convolution and linear weights). */
    public List<String> decayedParameterNames() {
        List<String> out = new ArrayList<>();
        for (String name : p.all().keySet()) {
            if (name.endsWith(".w") || name.endsWith(".w1") || name.endsWith(".w2")) {
                out.add(name);
            }
        }
        return out;
    }

    public long parameterCount() {
        return p.count();
    }

    public void requireGradients(boolean on) {
        p.requireGradients(on);
    }

    /**
     * The velocity v_θ(x, σ, c).
     *
     * @param x (B, 1, S, S) noisy images
     * @param sigma (B) noise levels in [0, 1]
     * @param labels (B) int32 class indices; {@link FlowNetConfig#nullClass()} for the unconditional branch
     * @return (B, 1, S, S) velocity
     */
    public NDArray velocity(NDArray x, NDArray sigma, NDArray labels) {
        NDManager m = x.getManager();
        int e = config.embedDim();
        // Sinusoidal features of 1000·σ.
        float[] freqs = new float[e / 2];
        for (int i = 0; i < freqs.length; i++) {
            freqs[i] = (float) Math.exp(-Math.log(10000.0) * i / freqs.length);
        }
        check.output("input", x);
        NDArray angles = sigma.mul(1000f).reshape(-1, 1).mul(m.create(freqs).reshape(1, -1)); // (B, E/2)
        NDArray temb = angles.sin().concat(angles.cos(), 1); // (B, E)
        temb = check.output("temb", Layers.linear(Layers.silu(Layers.linear(temb, p.get("temb.w1"), p.get("temb.b1"))),
                p.get("temb.w2"), p.get("temb.b2")));
        NDArray cemb = check.output("cemb",
                Embedding.embedding(labels, p.get("cemb"), SparseFormat.DENSE).singletonOrThrow()); // (B, E)
        NDArray emb = Layers.silu(temb.add(cemb)); // (B, E)

        NDArray h = check.output("in", Layers.conv(x, p.get("in.w"), p.get("in.b"), 1)); // (B, C, S, S)
        List<NDArray> skips = new ArrayList<>();
        for (int l = 0; l < config.levels(); l++) {
            h = resBlock(h, emb, "down" + l);
            skips.add(h);
            if (l < config.levels() - 1) {
                h = check.output("down" + l + ".pool",
                        Layers.conv(h, p.get("down" + l + ".pool.w"), p.get("down" + l + ".pool.b"), 2)); // (B, 2C, S/2, S/2)
            }
        }
        h = resBlock(h, emb, "mid");
        for (int l = config.levels() - 2; l >= 0; l--) {
            h = check.output("up" + l + ".unpool",
                    Layers.upsample(h, p.get("up" + l + ".unpool.w"), p.get("up" + l + ".unpool.b"))); // (B, C_l, 2H, 2W)
            h = resBlock(NDArrays.concat(new NDList(h, skips.get(l)), 1), emb, "up" + l);
        }
        h = Layers.silu(check.output("out.gn", Layers.groupNorm(h, config.groups(), p.get("out.gn.g"), p.get("out.gn.b"))));
        return check.output("out", Layers.conv(h, p.get("out.w"), p.get("out.b"), 1)); // (B, 1, S, S)
    }

    private NDArray resBlock(NDArray x, NDArray emb, String name) {
        long out = p.get(name + ".conv1.w").getShape().get(0);
        int inGroups = groupsFor(x.getShape().get(1));
        NDArray h = Layers.silu(check.output(name + ".gn1",
                Layers.groupNorm(x, inGroups, p.get(name + ".gn1.g"), p.get(name + ".gn1.b"))));
        h = check.output(name + ".conv1", Layers.conv(h, p.get(name + ".conv1.w"), p.get(name + ".conv1.b"), 1));
        h = h.add(check.output(name + ".emb", Layers.linear(emb, p.get(name + ".emb.w"), p.get(name + ".emb.b")))
                .reshape(-1, out, 1, 1));
        h = Layers.silu(check.output(name + ".gn2",
                Layers.groupNorm(h, groupsFor(out), p.get(name + ".gn2.g"), p.get(name + ".gn2.b"))));
        h = check.output(name + ".conv2", Layers.conv(h, p.get(name + ".conv2.w"), p.get(name + ".conv2.b"), 1));
        NDArray skip = p.all().containsKey(name + ".skip.w")
                ? check.output(name + ".skip", Layers.conv(x, p.get(name + ".skip.w"), p.get(name + ".skip.b"), 1)) : x;
        return h.add(skip);
    }

    private int groupsFor(long channels) {
        return (int) Math.min(config.groups(), channels);
    }

    @Override
    public void close() {
        p.close();
    }
}
