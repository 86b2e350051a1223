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
import dev.tropism.engine.lm.CharTokenizer;
import dev.tropism.engine.lm.Gpt;
import dev.tropism.engine.lm.GptConfig;
import dev.tropism.engine.lm.LanguageModel;
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
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A scalar reward model r(x, y): the {@code tiny-gpt} backbone ({@link Gpt#hidden}) read at the last
 * token of BOS + prompt + response + EOS, followed by a d → 1 linear head (the InstructGPT reward model's
 * shape, Ouyang et al. 2022, Sec. 3.5, with the unembedding replaced by a scalar projection). Sequences
 * are left-padded, so the last position is always the EOS of every row.
 *
 * <p>On disk, like a {@link LanguageModel}: {@code model.json} (format {@value #FORMAT}, family
 * {@code reward-model}, backbone shape, {@code max_length}), {@code tokenizer.json} and {@code
 * weights.ndlist} (the backbone's arrays plus {@code head.w} and {@code head.b}).
 *
 * <p>Thread safety: {@link #score} and {@link #close} are synchronized, so one instance may be shared by
 * concurrent graders; calls are served one at a time. Training ({@link RewardModelRun}) uses the
 * package-private methods from its own thread only.
 */
public final class RewardModel implements AutoCloseable {

    public static final String FORMAT = "tropism-rm/1";
    /** Sequences per forward in {@link #score}. */
    private static final int SCORE_BATCH = 64;
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

    private final NDManager manager;
    private final Gpt gpt;
    private final CharTokenizer tokenizer;
    private final int maxLength;
    private final Map<String, NDArray> params = new LinkedHashMap<>();
    private boolean closed;

    private RewardModel(NDManager manager, Gpt gpt, CharTokenizer tokenizer, int maxLength, NDArray headW,
            NDArray headB) {
        this.manager = manager;
        this.gpt = gpt;
        this.tokenizer = tokenizer;
        this.maxLength = maxLength;
        params.putAll(gpt.parameters());
        params.put("head.w", headW); // (1, d)
        params.put("head.b", headB); // (1)
    }

    /**
     * A reward model whose backbone and tokenizer are the language model in {@code baseDir} and whose head
     * is fresh: w ~ N(0, 1/(d + 1)), b = 0 (Stiennon et al. 2020, "Learning to summarize", Appendix B.1),
     * drawn from a Java RNG seeded with {@code seed}.
     *
     * @param maxLength tokens per sequence at most; 0 means the backbone's {@code block_size}
     */
    public static RewardModel fromLanguageModel(Path baseDir, int maxLength, long seed, NDManager parent)
            throws IOException {
        NDManager m = parent.newSubManager();
        try {
            LanguageModel base = LanguageModel.load(baseDir, m);
            if (!base.isTinyGpt()) {
                base.close();
                throw new ConfigException("base_model", "reward models on an imported (HF) backbone are not "
                        + "supported yet; use a tiny-gpt base");
            }
            int d = base.gpt().config().nEmbd();
            float[] w = new float[d];
            Random rng = new Random(seed);
            double std = 1 / Math.sqrt(d + 1.0);
            for (int i = 0; i < d; i++) {
                w[i] = (float) (rng.nextGaussian() * std);
            }
            return new RewardModel(m, base.gpt(), (CharTokenizer) base.tokenizer(), resolveMaxLength(maxLength, base.gpt().config()),
                    m.create(w, new Shape(1, d)), m.zeros(new Shape(1)));
        } catch (IOException | RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** Loads a directory written by {@link #save}. */
    public static RewardModel load(Path dir, NDManager parent) throws IOException {
        JsonObject o = readDescription(dir);
        GptConfig config = GptConfig.fromJson(o.getAsJsonObject("config"));
        CharTokenizer tok = CharTokenizer.load(dir.resolve(LanguageModel.TOKENIZER_JSON));
        if (tok.vocabSize() != config.vocabSize()) {
            throw new IOException("tokenizer has " + tok.vocabSize() + " tokens but model.json says " + config.vocabSize());
        }
        NDManager m = parent.newSubManager();
        try {
            RewardModel rm = new RewardModel(m, Gpt.initialize(config, 0, m), tok,
                    resolveMaxLength(o.get("max_length").getAsInt(), config), m.zeros(new Shape(1, config.nEmbd())),
                    m.zeros(new Shape(1)));
            try (InputStream in = new BufferedInputStream(Files.newInputStream(dir.resolve(LanguageModel.WEIGHTS)))) {
                NamedArrays.readInto(rm.params, in, m);
            }
            return rm;
        } catch (IOException | RuntimeException e) {
            m.close();
            throw e;
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

    private static int resolveMaxLength(int maxLength, GptConfig config) {
        if (maxLength == 0) {
            return config.blockSize();
        }
        if (maxLength > config.blockSize()) {
            throw new ConfigException("max_length", "must be at most the base model's block_size of "
                    + config.blockSize() + " tokens, got " + maxLength);
        }
        return maxLength;
    }

    public void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        JsonObject o = new JsonObject();
        o.addProperty("format", FORMAT);
        o.addProperty("family", PolicyFamily.REWARD_MODEL.wireName());
        o.addProperty("architecture", "tiny-gpt");
        o.addProperty("head", "scalar-last-token");
        o.addProperty("parameters", parameterCount());
        o.addProperty("max_length", maxLength);
        o.add("config", gpt.config().toJson());
        Files.writeString(dir.resolve(LanguageModel.MODEL_JSON), GSON.toJson(o), StandardCharsets.UTF_8);
        tokenizer.save(dir.resolve(LanguageModel.TOKENIZER_JSON));
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(dir.resolve(LanguageModel.WEIGHTS)))) {
            NamedArrays.write(params, out);
        }
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

    /** BOS + prompt + completion + EOS, cut from the left to the last {@link #maxLength()} tokens. */
    int[] encode(String prompt, String completion) {
        int[] p = tokenizer.encode(prompt);
        int[] c = tokenizer.encode(completion);
        int[] all = new int[p.length + c.length + 2];
        all[0] = CharTokenizer.BOS;
        System.arraycopy(p, 0, all, 1, p.length);
        System.arraycopy(c, 0, all, 1 + p.length, c.length);
        all[all.length - 1] = CharTokenizer.EOS;
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
        NDArray h = gpt.hidden(m.create(tokens, shape), m.create(positions, shape), m.create(keyMask, shape), null); // (B, T, d)
        NDArray last = h.get(new NDIndex(":, " + (width - 1) + ", :")); // (B, d)
        return Linear.linear(last, params.get("head.w"), params.get("head.b")).singletonOrThrow().reshape(rows); // (B)
    }

    /** Backbone and head parameters in a stable order. */
    /** Anomaly mode for the backbone's forward. */
    void checkFinite(dev.tropism.engine.nn.FiniteCheck check) {
        gpt.checkFinite(check);
    }

    Map<String, NDArray> parameters() {
        return Collections.unmodifiableMap(params);
    }

    /** Names of the matrix parameters, the ones weight decay applies to. */
    List<String> matrixParameterNames() {
        List<String> out = new ArrayList<>(gpt.matrixParameterNames());
        out.add("head.w");
        return out;
    }

    void requireGradients(boolean on) {
        for (NDArray a : params.values()) {
            a.setRequiresGradient(on);
        }
    }

    public GptConfig backboneConfig() {
        return gpt.config();
    }

    /** Tokens per scored sequence at most (BOS + prompt + completion + EOS). */
    public int maxLength() {
        return maxLength;
    }

    public long parameterCount() {
        long n = 0;
        for (NDArray a : params.values()) {
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
            manager.close();
        }
    }
}
