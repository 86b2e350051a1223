package dev.tropism.engine.hf;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import dev.tropism.engine.lm.CausalLm;
import dev.tropism.engine.lm.EmbeddingNoise;
import dev.tropism.engine.lm.KvCache;
import dev.tropism.engine.nn.FiniteCheck;
import dev.tropism.engine.nn.NamedArrays;
import dev.tropism.engine.nn.Scalars;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An imported HuggingFace causal LM: the {@link HfConfig} and weights of a model directory, run by the family's
 * forward ({@link Gpt2Lm} or {@link LlamaLm}). Parameters keep the checkpoint's names (without GPT-2's optional
 * {@code transformer.} prefix), so export and PEFT adapters map one to one; matrices are held in the (out, in)
 * layout of {@link Linear#linear}, GPT-2's Conv1D weights transposed on load.
 *
 * <p>Every parameter is owned by this object's manager; a forward creates its arrays in the manager of its input.
 */
public abstract sealed class HfCausalLm implements CausalLm permits Gpt2Lm, LlamaLm {

    /**
     * One parameter the family needs.
     *
     * @param name the parameter (and canonical checkpoint) name
     * @param shape its shape in memory
     * @param storedTransposed the checkpoint holds it as (in, out) (GPT-2's Conv1D)
     */
    record Weight(String name, Shape shape, boolean storedTransposed) {

        Shape storedShape() {
            return storedTransposed ? new Shape(shape.get(1), shape.get(0)) : shape;
        }
    }

    protected final HfConfig config;
    protected final NDManager manager;
    protected final Map<String, NDArray> params = new LinkedHashMap<>();
    protected FiniteCheck check = FiniteCheck.OFF;
    private Lora lora;
    private EmbeddingNoise noise;

    HfCausalLm(HfConfig config, NDManager parent) {
        this.config = config;
        this.manager = parent.newSubManager();
    }

    /**
     * Reads {@code dir}'s {@code config.json} and weights.
     *
     * @throws ModelFormatException when the directory is not a supported model, names the file and what to change
     */
    public static HfCausalLm load(Path dir, NDManager parent) throws ModelFormatException, IOException {
        HfConfig c = HfConfig.read(dir);
        try (HfWeights w = HfWeights.open(dir)) {
            return load(c, w, parent);
        }
    }

    /** The model of {@code c} with the weights of {@code weights}: every needed tensor present and of its shape. */
    public static HfCausalLm load(HfConfig c, HfWeights weights, NDManager parent)
            throws ModelFormatException, IOException {
        HfCausalLm model = of(c, parent);
        try {
            model.readFrom(weights);
            return model;
        } catch (ModelFormatException | IOException | RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** Loads weights written by {@link #save} for a model of {@code c}. */
    public static HfCausalLm loadSaved(HfConfig c, Path file, NDManager parent) throws IOException {
        HfCausalLm model = of(c, parent);
        for (Weight w : model.layout()) {
            model.params.put(w.name(), model.manager.zeros(w.shape(), DataType.FLOAT32));
        }
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
            NamedArrays.readInto(model.params, in, model.manager);
        }
        return model;
    }

    private static HfCausalLm of(HfConfig c, NDManager parent) {
        return switch (c.architecture()) {
            case GPT2 -> new Gpt2Lm(c, parent);
            case LLAMA, QWEN2 -> new LlamaLm(c, parent);
        };
    }

    /** Every parameter of this family and shape, in a stable order. */
    abstract List<Weight> layout();

    /** The checkpoint names under which {@code name} may be stored, preferred first. */
    List<String> storedNames(String name) {
        return List.of(name);
    }

    /** Checkpoint tensors that are buffers, not weights (e.g. GPT-2's causal mask {@code attn.bias}). */
    abstract boolean ignorable(String storedName);

    /** The parameter the output projection multiplies by: the token embedding when tied. */
    abstract String outputWeight();

    private void readFrom(HfWeights weights) throws ModelFormatException, IOException {
        for (Map.Entry<Weight, String> e : locate(weights).entrySet()) {
            Weight w = e.getKey();
            NDArray a = weights.read(e.getValue(), manager);
            if (w.storedTransposed()) {
                NDArray t = a.transpose().flatten().reshape(w.shape()); // (out, in), contiguous
                a.close();
                a = t;
            }
            params.put(w.name(), a);
        }
    }

    /**
     * Checks {@code weights} against this family's {@link #layout} from the headers alone (no tensor is read): every
     * needed tensor present under one of its {@link #storedNames} with its shape, and nothing else but buffers.
     *
     * @return each weight of the layout and the checkpoint name it is stored under, in layout order
     */
    Map<Weight, String> locate(HfWeights weights) throws ModelFormatException {
        Map<Weight, String> found = new LinkedHashMap<>();
        Set<String> used = new HashSet<>();
        for (Weight w : layout()) {
            String name = null;
            for (String candidate : storedNames(w.name())) {
                if (weights.entry(candidate) != null) {
                    name = candidate;
                    break;
                }
            }
            if (name == null) {
                throw new ModelFormatException("the checkpoint has no tensor '" + w.name() + "', which a "
                        + config.architecture().modelType() + " model of this config.json needs");
            }
            Shape stored = weights.entry(name).shape();
            if (!stored.equals(w.storedShape())) {
                throw new ModelFormatException("tensor '" + name + "' is " + stored + " in the checkpoint, but "
                        + "config.json implies " + w.storedShape() + "; check hidden sizes, heads and vocab_size");
            }
            found.put(w, name);
            used.add(name);
        }
        List<String> unexpected = new ArrayList<>();
        for (String name : weights.names()) {
            if (!used.contains(name) && !ignorable(name)) {
                unexpected.add(name);
            }
        }
        if (!unexpected.isEmpty()) {
            throw new ModelFormatException("the checkpoint has " + unexpected.size() + " tensor(s) a "
                    + config.architecture().modelType() + " model of this config.json does not use, e.g. '"
                    + unexpected.get(0) + "'; is model_type right, or does it hold an adapter or a head?");
        }
        return found;
    }

    /**
     * Checks that {@code weights} hold exactly the tensors of a model of {@code c} (as {@link #load} would), reading
     * headers only.
     *
     * @return the checkpoint names of the model's parameters, in layout order
     */
    static List<String> locate(HfConfig c, HfWeights weights) throws ModelFormatException {
        // The shape-only model holds no arrays: any device would do.
        try (NDManager scratch = NDManager.newBaseManager(Device.cpu()); HfCausalLm shape = of(c, scratch)) {
            return new ArrayList<>(shape.locate(weights).values());
        }
    }

    public HfConfig config() {
        return config;
    }

    @Override
    public NDArray forward(NDArray tokens, NDArray positions, NDArray keyMask, KvCache cache) {
        return logits(hidden(tokens, positions, keyMask, cache)); // (B, Tn, V)
    }

    @Override
    public NDArray logits(NDArray hidden) {
        return check.output("logits", Linear.linear(hidden, params.get(outputWeight())).singletonOrThrow()); // (B, T, V)
    }

    @Override
    public KvCache newCache() {
        return KvCache.empty(config.layers());
    }

    @Override
    public int vocabSize() {
        return config.vocabSize();
    }

    @Override
    public int contextLength() {
        return config.contextLength();
    }

    @Override
    public int width() {
        return config.hiddenSize();
    }

    @Override
    public int layers() {
        return config.layers();
    }

    @Override
    public int kvWidth() {
        return config.kvHeads() * config.headDim();
    }

    @Override
    public Map<String, NDArray> parameters() {
        return Collections.unmodifiableMap(params);
    }

    @Override
    public Device device() {
        return manager.getDevice();
    }

    /** A copy of the base weights, without adapters. */
    @Override
    public HfCausalLm copy(NDManager parent) {
        HfCausalLm c = of(config, parent);
        NamedArrays.duplicateInto(params, c.params, c.manager);
        c.check = check;
        return c;
    }

    @Override
    public void checkFinite(FiniteCheck check) {
        this.check = check;
    }

    @Override
    public void embeddingNoise(EmbeddingNoise noise) {
        this.noise = noise;
    }

    /** The input embeddings (B, Tn, d) with NEFTune's noise added while it is set. */
    NDArray noised(NDArray embeddings) {
        return noise == null ? embeddings : noise.addTo(embeddings);
    }

    @Override
    public void close() {
        manager.close();
    }

    /**
     * x·Wᵀ + b for the projection {@code name} ({@code name.weight}, and {@code name.bias} when the model has it),
     * plus its LoRA update when adapters are attached and on.
     */
    NDArray linear(NDArray x, String name) {
        NDArray b = params.get(name + ".bias");
        NDArray w = params.get(name + ".weight");
        NDArray y = (b == null ? Linear.linear(x, w) : Linear.linear(x, w, b)).singletonOrThrow();
        return lora == null ? y : lora.adapt(name, x, y);
    }

    /** Runs every forward through {@code adapters} (null detaches them); the base weights are not touched. */
    public void attach(Lora adapters) {
        this.lora = adapters;
    }

    /** The attached adapters, or null. */
    public Lora lora() {
        return lora;
    }

    /**
     * A copy in {@code parent} with the attached adapters folded into the weights (W + (α/r)·B·A), and no adapters:
     * what a merged export writes. Its logits equal this model's with the adapters on.
     */
    public HfCausalLm merged(NDManager parent) {
        HfCausalLm m = copy(parent);
        if (lora != null) {
            for (String module : lora.modules()) {
                NDArray w = m.params.get(module + ".weight");
                NDArray merged = lora.merge(module, w);
                merged.attach(m.manager);
                m.params.put(module + ".weight", merged);
                w.close();
            }
        }
        return m;
    }

    /**
     * The parameters as the checkpoint stores them, for writing a {@code model.safetensors}: canonical names, GPT-2's
     * Conv1D weights transposed back to (in, out) (new arrays in {@code m}); a tied output projection is not repeated.
     */
    public Map<String, NDArray> checkpointTensors(NDManager m) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (Weight w : layout()) {
            NDArray a = params.get(w.name());
            if (w.storedTransposed()) {
                NDArray t = a.transpose(); // (in, out)
                t.attach(m); // so what follows is created in m, not in the model's manager
                a = t.flatten().reshape(w.storedShape()); // contiguous
            }
            out.put(w.name(), a);
        }
        return out;
    }

    /** The module's path in the transformers model class (what PEFT keys name); GPT-2 adds {@code transformer.}. */
    String transformersModuleName(String module) {
        return module;
    }

    /** (B, T, h·hs) → (B, h, T, hs). */
    static NDArray heads(NDArray t, int h, int hs) {
        long batch = t.getShape().get(0);
        long len = t.getShape().get(1);
        return t.reshape(batch, len, h, hs).transpose(0, 2, 1, 3);
    }

    /**
     * Scaled dot-product attention (Vaswani et al. 2017, eq. 1) with an additive mask.
     *
     * @param q (B, h, Tn, hs)
     * @param k (B, h, Tk, hs)
     * @param v (B, h, Tk, hs)
     * @param bias (B, 1, Tn, Tk) from {@link dev.tropism.engine.lm.CausalMask#bias}
     * @return (B, Tn, h·hs), the heads concatenated
     */
    NDArray attend(NDArray q, NDArray k, NDArray v, NDArray bias, double scale, String layer) {
        NDArray att = check.output(layer + "attn.probs",
                q.matMul(k.transpose(0, 1, 3, 2)).mul(Scalars.of(q, scale)).add(bias).softmax(-1)); // (B, h, Tn, Tk)
        Shape s = q.getShape();
        return att.matMul(v).transpose(0, 2, 1, 3).reshape(s.get(0), s.get(2), s.get(1) * s.get(3)); // (B, Tn, h·hs)
    }
}
