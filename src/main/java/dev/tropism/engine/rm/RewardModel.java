package dev.tropism.engine.rm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import dev.tropism.engine.ConfigException;
import dev.tropism.engine.PolicyFamily;
import dev.tropism.engine.hf.Dtype;
import dev.tropism.engine.hf.HfCausalLm;
import dev.tropism.engine.hf.HfDirectory;
import dev.tropism.engine.hf.Lora;
import dev.tropism.engine.hf.LoraConfig;
import dev.tropism.engine.hf.ModelFormatException;
import dev.tropism.engine.hf.Safetensors;
import dev.tropism.engine.hf.SafetensorsWriter;
import dev.tropism.engine.lm.CausalLm;
import dev.tropism.engine.lm.Gpt;
import dev.tropism.engine.lm.GptConfig;
import dev.tropism.engine.lm.LanguageModel;
import dev.tropism.engine.lm.Tokenizer;
import dev.tropism.engine.nn.FiniteCheck;
import dev.tropism.engine.nn.Gradients;
import dev.tropism.engine.nn.NamedArrays;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A scalar reward model r(x, y): a language model's backbone ({@link CausalLm#hidden}) read at the last
 * token of BOS + prompt + response + EOS, followed by a d → 1 linear head (the InstructGPT reward model's
 * shape, Ouyang et al. 2022, Sec. 3.5, with the unembedding replaced by a scalar projection; TRL's
 * {@code AutoModelForSequenceClassification} with one label reads the same last position). Sequences are
 * left-padded, so the last position is always the EOS of every row (or the response's last token for a
 * tokenizer that names no EOS). The backbone is a {@code tiny-gpt} or an imported HF model; an imported one
 * may train through LoRA adapters ({@link LoraConfig}) with the head, or in full.
 *
 * <p>On disk, {@code model.json} (format {@value #FORMAT}, family {@code reward-model}, architecture,
 * {@code max_length}) and:
 * <ul>
 *   <li>tiny-gpt: the backbone shape in {@code model.json}, {@code tokenizer.json} and {@code weights.ndlist}
 *       (the backbone's arrays plus {@code head.w} and {@code head.b}), as before imported models existed;</li>
 *   <li>imported: the backbone as an HF directory under {@value #BACKBONE_DIR}/ ({@link HfDirectory}: merged
 *       weights when adapters are on, the adapters under its {@code peft/}), loadable by transformers as it is,
 *       and the head in {@value #HEAD_FILE} ({@code head.w} (1, d), {@code head.b} (1)).</li>
 * </ul>
 *
 * <p>Thread safety: {@link #score} and {@link #close} are synchronized, so one instance may be shared by
 * concurrent graders; calls are served one at a time. Training ({@link RewardModelRun}) uses the
 * package-private methods from its own thread only.
 */
public final class RewardModel implements AutoCloseable {

    public static final String FORMAT = "tropism-rm/1";
    /** Where an imported backbone is written, in HF layout. */
    public static final String BACKBONE_DIR = "backbone";
    /** The head of an imported backbone's reward model. */
    public static final String HEAD_FILE = "head.safetensors";
    /** Sequences per forward in {@link #score}. */
    private static final int SCORE_BATCH = 64;
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

    private final NDManager manager;
    private final LanguageModel backbone;
    private final CausalLm lm;
    private final Tokenizer tokenizer;
    private final int maxLength;
    private final Map<String, NDArray> head = new LinkedHashMap<>();
    private final Map<String, NDArray> params = new LinkedHashMap<>(); // what trains: backbone or adapters, then head
    private boolean closed;

    private RewardModel(NDManager manager, LanguageModel backbone, int maxLength, NDArray headW, NDArray headB) {
        this.manager = manager;
        this.backbone = backbone;
        this.lm = backbone.lm();
        this.tokenizer = backbone.tokenizer();
        this.maxLength = maxLength;
        head.put("head.w", headW); // (1, d)
        head.put("head.b", headB); // (1)
        Lora lora = lm instanceof HfCausalLm hf ? hf.lora() : null;
        params.putAll(lora == null ? lm.parameters() : lora.parameters());
        params.putAll(head);
    }

    /**
     * A reward model whose backbone and tokenizer are the language model in {@code baseDir} (either layout) and
     * whose head is fresh; the whole backbone trains.
     *
     * @see #fromLanguageModel(Path, int, long, LoraConfig, NDManager)
     */
    public static RewardModel fromLanguageModel(Path baseDir, int maxLength, long seed, NDManager parent)
            throws IOException {
        return fromLanguageModel(baseDir, maxLength, seed, null, parent);
    }

    /**
     * A reward model whose backbone and tokenizer are the language model in {@code baseDir} and whose head
     * is fresh: w ~ N(0, 1/(d + 1)), b = 0 (Stiennon et al. 2020, "Learning to summarize", Appendix B.1),
     * drawn from a Java RNG seeded with {@code seed}.
     *
     * @param maxLength tokens per sequence at most; 0 means the backbone's context length
     * @param lora adapters to train instead of the backbone's weights (drawn from {@code seed}); null for full
     *     fine-tuning. Imported backbones only
     */
    public static RewardModel fromLanguageModel(Path baseDir, int maxLength, long seed, LoraConfig lora,
            NDManager parent) throws IOException {
        NDManager m = parent.newSubManager();
        LanguageModel base = null;
        try {
            base = LanguageModel.load(baseDir, m);
            if (lora != null) {
                adapt(base, lora, seed, m);
            }
            int d = base.lm().width();
            float[] w = new float[d];
            Random rng = new Random(seed);
            double std = 1 / Math.sqrt(d + 1.0);
            for (int i = 0; i < d; i++) {
                w[i] = (float) (rng.nextGaussian() * std);
            }
            return new RewardModel(m, base, resolveMaxLength(maxLength, base.lm()), m.create(w, new Shape(1, d)),
                    m.zeros(new Shape(1)));
        } catch (IOException | RuntimeException e) {
            closeAll(base, m);
            throw e;
        }
    }

    /** Attaches fresh adapters to {@code base}, which must be an imported model. */
    private static void adapt(LanguageModel base, LoraConfig lora, long seed, NDManager m) {
        if (!(base.lm() instanceof HfCausalLm hf)) {
            throw new ConfigException("lora", "LoRA adapts imported models (gpt2, llama, qwen2); train a tiny-gpt "
                    + "reward model in full (lora: null)");
        }
        hf.attach(Lora.initialize(lora, hf, seed, m));
    }

    /**
     * The reward model of a LoRA run's checkpoint: the base in {@code baseDir} with the adapters and head that
     * {@link #save} wrote into {@code savedDir}, so training resumes on the same weights (not on the merged ones).
     */
    static RewardModel resumeAdapters(Path baseDir, Path savedDir, NDManager parent) throws IOException {
        NDManager m = parent.newSubManager();
        LanguageModel base = null;
        try {
            base = LanguageModel.load(baseDir, m);
            if (!(base.lm() instanceof HfCausalLm hf)) {
                throw new IOException("a LoRA reward-model checkpoint needs an imported base model");
            }
            Path backboneDir = savedDir.resolve(BACKBONE_DIR);
            try {
                hf.attach(Lora.loadPeft(backboneDir.resolve(HfDirectory.PEFT_DIR), hf, m));
            } catch (ModelFormatException e) {
                throw new IOException("checkpoint adapters: " + e.getMessage(), e);
            }
            JsonObject o = readDescription(savedDir);
            RewardModel rm = new RewardModel(m, base, resolveMaxLength(o.get("max_length").getAsInt(), hf),
                    m.zeros(new Shape(1, hf.width())), m.zeros(new Shape(1)));
            rm.readHead(savedDir);
            return rm;
        } catch (IOException | RuntimeException e) {
            closeAll(base, m);
            throw e;
        }
    }

    /** Loads a directory written by {@link #save}, either layout; an imported backbone comes with merged weights. */
    public static RewardModel load(Path dir, NDManager parent) throws IOException {
        JsonObject o = readDescription(dir);
        if (o.has(BACKBONE_DIR)) {
            NDManager m = parent.newSubManager();
            LanguageModel base = null;
            try {
                base = LanguageModel.load(dir.resolve(o.get(BACKBONE_DIR).getAsString()), m);
                RewardModel rm = new RewardModel(m, base, resolveMaxLength(o.get("max_length").getAsInt(), base.lm()),
                        m.zeros(new Shape(1, base.lm().width())), m.zeros(new Shape(1)));
                rm.readHead(dir);
                return rm;
            } catch (IOException | RuntimeException e) {
                closeAll(base, m);
                throw e;
            }
        }
        GptConfig config = GptConfig.fromJson(o.getAsJsonObject("config"));
        Tokenizer tok = LanguageModel.readTokenizer(dir, config);
        NDManager m = parent.newSubManager();
        try {
            Gpt gpt = Gpt.initialize(config, 0, m);
            RewardModel rm = new RewardModel(m, new LanguageModel(gpt, tok), resolveMaxLength(o.get("max_length").getAsInt(),
                    gpt), m.zeros(new Shape(1, config.nEmbd())), m.zeros(new Shape(1)));
            try (InputStream in = new BufferedInputStream(Files.newInputStream(dir.resolve(LanguageModel.WEIGHTS)))) {
                NamedArrays.readInto(rm.params, in, m);
            }
            return rm;
        } catch (IOException | RuntimeException e) {
            m.close();
            if (tok instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    /** Closes what a failed load made: the backbone (its tokenizer's native handle too), then the arrays. */
    private static void closeAll(LanguageModel base, NDManager m) {
        if (base != null) {
            base.close();
        }
        m.close();
    }

    /** Replaces the head with the one in {@code dir}'s {@value #HEAD_FILE}. */
    private void readHead(Path dir) throws IOException {
        try (Safetensors s = Safetensors.open(dir.resolve(HEAD_FILE))) {
            for (Map.Entry<String, NDArray> e : head.entrySet()) {
                NDArray a = s.read(e.getKey(), manager);
                if (!a.getShape().equals(e.getValue().getShape())) {
                    throw new IOException(HEAD_FILE + ": '" + e.getKey() + "' is " + a.getShape() + ", the backbone "
                            + "needs " + e.getValue().getShape());
                }
                e.getValue().set(new NDIndex("..."), a); // in place, on the model's device
                a.close();
            }
        } catch (ModelFormatException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    private static JsonObject readDescription(Path dir) throws IOException {
        Path file = dir.resolve(LanguageModel.MODEL_JSON);
        if (!Files.exists(file)) {
            throw new IOException("not a model directory: " + LanguageModel.MODEL_JSON + " is missing");
        }
        JsonObject o = GSON.fromJson(Files.readString(file, StandardCharsets.UTF_8), JsonObject.class);
        if (o == null || !o.has("format") || !FORMAT.equals(o.get("format").getAsString())) {
            throw new IOException(LanguageModel.MODEL_JSON + " must have \"format\": \"" + FORMAT + "\"");
        }
        return o;
    }

    private static int resolveMaxLength(int maxLength, CausalLm lm) {
        if (maxLength == 0) {
            return lm.contextLength();
        }
        if (maxLength > lm.contextLength()) {
            throw new ConfigException("max_length", "must be at most the base model's "
                    + (lm instanceof Gpt ? "block_size" : "context length") + " of " + lm.contextLength()
                    + " tokens, got " + maxLength);
        }
        return maxLength;
    }

    /** Writes the model in its backbone's layout (see the class comment). */
    public void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        JsonObject o = new JsonObject();
        o.addProperty("format", FORMAT);
        o.addProperty("family", PolicyFamily.REWARD_MODEL.wireName());
        o.addProperty("architecture", architecture());
        o.addProperty("head", "scalar-last-token");
        o.addProperty("parameters", parameterCount());
        o.addProperty("max_length", maxLength);
        if (lm instanceof Gpt gpt) {
            o.add("config", gpt.config().toJson());
            Files.writeString(dir.resolve(LanguageModel.MODEL_JSON), GSON.toJson(o), StandardCharsets.UTF_8);
            gpt.config().tokenizer().write(tokenizer, dir);
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(dir.resolve(LanguageModel.WEIGHTS)))) {
                NamedArrays.write(params, out);
            }
            return;
        }
        o.addProperty(BACKBONE_DIR, BACKBONE_DIR);
        backbone.save(dir.resolve(BACKBONE_DIR));
        SafetensorsWriter.write(dir.resolve(HEAD_FILE), head, Dtype.F32, Map.of("format", "pt"));
        Files.writeString(dir.resolve(LanguageModel.MODEL_JSON), GSON.toJson(o), StandardCharsets.UTF_8);
    }

    /** {@code tiny-gpt}, or the imported backbone's HF {@code model_type}. */
    public String architecture() {
        return lm instanceof HfCausalLm hf ? hf.config().architecture().modelType() : "tiny-gpt";
    }

    /**
     * Rewards r(prompt ⊕ completion) of each pair {@code (prompts[i], completions[i])}, in input order.
     * Runs without gradients, {@value #SCORE_BATCH} sequences per forward, each batch in its own
     * sub-manager; inputs longer than {@link #maxLength()} keep their end.
     *
     * @throws IllegalStateException after {@link #close}
     */
    public synchronized double[] score(List<String> prompts, List<String> completions) {
        if (prompts.size() != completions.size()) {
            throw new IllegalArgumentException(prompts.size() + " prompts but " + completions.size() + " completions");
        }
        if (closed) {
            throw new IllegalStateException("reward model is closed");
        }
        Gradients.gradModeOff();
        double[] out = new double[prompts.size()];
        for (int from = 0; from < out.length; from += SCORE_BATCH) {
            int to = Math.min(out.length, from + SCORE_BATCH);
            List<int[]> seqs = new ArrayList<>(to - from);
            for (int i = from; i < to; i++) {
                seqs.add(encode(prompts.get(i), completions.get(i)));
            }
            try (NDManager m = manager.newSubManager()) {
                float[] r = rewards(seqs, m).toFloatArray();
                for (int i = 0; i < r.length; i++) {
                    out[from + i] = r[i];
                }
            }
        }
        return out;
    }

    /**
     * BOS + prompt + completion + EOS (each special token when the tokenizer has it), cut from the left to the
     * last {@link #maxLength()} tokens.
     */
    int[] encode(String prompt, String completion) {
        int[] p = tokenizer.encode(prompt);
        int[] c = tokenizer.encode(completion);
        int[] text = new int[p.length + c.length];
        System.arraycopy(p, 0, text, 0, p.length);
        System.arraycopy(c, 0, text, p.length, c.length);
        int[] started = tokenizer.start(text);
        int eos = tokenizer.eos();
        int[] all = eos >= 0 ? Arrays.copyOf(started, started.length + 1) : started;
        if (eos >= 0) {
            all[all.length - 1] = eos;
        }
        if (all.length <= maxLength) {
            return all;
        }
        int[] kept = new int[maxLength];
        System.arraycopy(all, all.length - maxLength, kept, 0, maxLength);
        return kept;
    }

    /**
     * Rewards of token sequences (each at most {@link #maxLength()} long), left-padded into one batch
     * created in {@code m}; with gradients when the parameters require them.
     *
     * @return (B) rewards
     */
    NDArray rewards(List<int[]> seqs, NDManager m) {
        int rows = seqs.size();
        int width = 1;
        for (int[] s : seqs) {
            width = Math.max(width, s.length);
        }
        int[] tokens = new int[rows * width];
        int[] positions = new int[rows * width];
        float[] keyMask = new float[rows * width];
        for (int b = 0; b < rows; b++) {
            int[] s = seqs.get(b);
            int pad = width - s.length;
            for (int t = pad; t < width; t++) {
                tokens[b * width + t] = s[t - pad];
                positions[b * width + t] = t - pad;
                keyMask[b * width + t] = 1f;
            }
        }
        Shape shape = new Shape(rows, width);
        NDArray h = lm.hidden(m.create(tokens, shape), m.create(positions, shape), m.create(keyMask, shape), null); // (B, T, d)
        NDArray last = h.get(new NDIndex(":, " + (width - 1) + ", :")); // (B, d)
        return Linear.linear(last, params.get("head.w"), params.get("head.b")).singletonOrThrow().reshape(rows); // (B)
    }

    /** Anomaly mode for the backbone's forward. */
    void checkFinite(FiniteCheck check) {
        lm.checkFinite(check);
    }

    /** The trainable parameters in a stable order: the backbone's (or its adapters'), then the head's. */
    Map<String, NDArray> parameters() {
        return Collections.unmodifiableMap(params);
    }

    /** Names of the trainable matrix parameters, the ones weight decay applies to. */
    List<String> matrixParameterNames() {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            if (e.getValue().getShape().dimension() >= 2) {
                out.add(e.getKey());
            }
        }
        return out;
    }

    void requireGradients(boolean on) {
        for (NDArray a : params.values()) {
            a.setRequiresGradient(on);
        }
    }

    /** The backbone network. */
    public CausalLm backbone() {
        return lm;
    }

    /** Tokens per scored sequence at most (BOS + prompt + completion + EOS). */
    public int maxLength() {
        return maxLength;
    }

    /** The backbone's parameters (without adapters, which a saved model merges) plus the head's. */
    public long parameterCount() {
        long n = lm.parameterCount();
        for (NDArray a : head.values()) {
            n += a.size();
        }
        return n;
    }

    /** Whether {@link #close} was called; a closed model no longer scores. */
    public synchronized boolean isClosed() {
        return closed;
    }

    /** Frees the native memory; waits for a {@link #score} call in progress. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            backbone.close();
            manager.close();
        }
    }
}
