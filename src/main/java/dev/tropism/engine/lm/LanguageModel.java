package dev.tropism.engine.lm;

import ai.djl.ndarray.NDManager;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import dev.tropism.engine.PolicyFamily;
import dev.tropism.engine.hf.ChatTemplate;
import dev.tropism.engine.hf.HfConfig;
import dev.tropism.engine.hf.HfDirectory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A language model on disk and in memory: a {@link CausalLm}, its {@link Tokenizer} and how chats are rendered for
 * it. Two directory layouts load:
 * <ul>
 *   <li>Tropism's own {@code tiny-gpt} ({@value #FORMAT}): {@code model.json} (format, family, shape, and optionally
 *       its {@code chat_template}, see {@link ChatFormat}), {@code tokenizer.json} (a {@link CharTokenizer}, or
 *       GPT-2's HF tokenizer files when the shape's {@link TokenizerKind} is {@code gpt2}) and
 *       {@code weights.ndlist}. This is what pretraining and the alignment of a tiny-gpt export;</li>
 *   <li>an imported HuggingFace model ({@link HfDirectory}): {@code config.json}, {@code model.safetensors} (or
 *       shards), {@code tokenizer.json} and optionally {@code tokenizer_config.json} with a Jinja
 *       {@code chat_template}. Alignment of an imported model exports the same layout.</li>
 * </ul>
 * The service stores either in object storage and loads both through {@link #load}.
 */
public final class LanguageModel implements AutoCloseable {

    public static final String FORMAT = "tropism-lm/1";
    public static final String MODEL_JSON = "model.json";
    public static final String TOKENIZER_JSON = "tokenizer.json";
    public static final String WEIGHTS = "weights.ndlist";
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

    private final CausalLm lm;
    private final Tokenizer tokenizer;
    private final ChatFormat chatFormat;
    private final ChatTemplate chatTemplate;
    private final Map<String, byte[]> sideFiles;
    private final boolean ownsTokenizer;

    /** A tiny-gpt with the {@link ChatFormat#DEFAULT} chat template. */
    public LanguageModel(Gpt gpt, Tokenizer tokenizer) {
        this(gpt, tokenizer, ChatFormat.DEFAULT);
    }

    /** A tiny-gpt. */
    public LanguageModel(Gpt gpt, Tokenizer tokenizer, ChatFormat chatFormat) {
        this(gpt, tokenizer, chatFormat, null, Map.of());
    }

    /**
     * Any causal LM.
     *
     * @param chatTemplate the model's Jinja chat template (imported models), or null to render chats with
     *     {@code chatFormat}
     * @param sideFiles files of an imported model's directory written back unchanged by {@link #save} (its
     *     {@code config.json} and tokenizer files), by name; empty for tiny-gpt
     */
    public LanguageModel(CausalLm lm, Tokenizer tokenizer, ChatFormat chatFormat, ChatTemplate chatTemplate,
            Map<String, byte[]> sideFiles) {
        this.lm = lm;
        this.tokenizer = tokenizer;
        this.chatFormat = chatFormat;
        this.chatTemplate = chatTemplate;
        this.sideFiles = Map.copyOf(sideFiles);
        this.ownsTokenizer = true;
    }

    private LanguageModel(LanguageModel base, CausalLm other) {
        this.lm = other;
        this.tokenizer = base.tokenizer;
        this.chatFormat = base.chatFormat;
        this.chatTemplate = base.chatTemplate;
        this.sideFiles = base.sideFiles;
        this.ownsTokenizer = false;
    }

    /** The network. */
    public CausalLm lm() {
        return lm;
    }

    /**
     * The same model with {@code other} in place of its network (a policy copy, a merged export). The tokenizer is
     * shared: closing the result closes {@code other} only.
     */
    public LanguageModel with(CausalLm other) {
        return new LanguageModel(this, other);
    }

    /** The network as tiny-gpt; only pretraining, which trains tiny-gpt alone, needs it. */
    public Gpt gpt() {
        if (lm instanceof Gpt g) {
            return g;
        }
        throw new IllegalStateException("this is an imported model, not a tiny-gpt");
    }

    /**
     * Whether sampling draws each token on the device ({@code TokenDraw}): every model but one on the character
     * tokenizer, whose few dozen logits are copied to Java and drawn there, which keeps its seeded random stream (and
     * the determinism tests' exact values) as it always was. A tiny-gpt on GPT-2's BPE draws on the device too.
     */
    public boolean drawsOnDevice() {
        return !(tokenizer instanceof CharTokenizer);
    }

    /** Whether this is Tropism's own tiny-gpt (as opposed to an imported HuggingFace model). */
    public boolean isTinyGpt() {
        return lm instanceof Gpt;
    }

    /** How chat messages are rendered for a model without a Jinja template (stored in {@code model.json}). */
    public ChatFormat chatFormat() {
        return chatFormat;
    }

    /** An imported model's Jinja chat template ({@code tokenizer_config.json}), or null. */
    public ChatTemplate chatTemplate() {
        return chatTemplate;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** Files of an imported model's directory that {@link #save} writes back unchanged; empty for tiny-gpt. */
    public Map<String, byte[]> sideFiles() {
        return sideFiles;
    }

    /** Writes the model in its own layout: tiny-gpt's, or an HF directory (merged weights when adapters are on). */
    public void save(Path dir) throws IOException {
        if (!(lm instanceof Gpt gpt)) {
            HfDirectory.write(this, dir);
            return;
        }
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(MODEL_JSON), GSON.toJson(describe(gpt, chatFormat)), StandardCharsets.UTF_8);
        gpt.config().tokenizer().write(tokenizer, dir);
        gpt.save(dir.resolve(WEIGHTS));
    }

    /** Loads either layout: an HF directory when it has {@code config.json} and no {@code model.json}. */
    public static LanguageModel load(Path dir, NDManager parent) throws IOException {
        if (isHf(dir)) {
            return HfDirectory.load(dir, parent);
        }
        GptConfig config = readConfig(dir);
        ChatFormat format = ChatFormat.fromJson(readJson(dir).get("chat_template"));
        Tokenizer tok = readTokenizer(dir, config);
        try {
            return new LanguageModel(Gpt.load(config, dir.resolve(WEIGHTS), parent), tok, format, null, Map.of());
        } catch (IOException | RuntimeException e) {
            if (tok instanceof AutoCloseable c) {
                closeQuietly(c, e);
            }
            throw e;
        }
    }

    /** The tokenizer of a tiny-gpt directory (or of a tiny-gpt reward model's), checked against its shape. */
    public static Tokenizer readTokenizer(Path dir, GptConfig config) throws IOException {
        Tokenizer tok = config.tokenizer().read(dir);
        if (tok.vocabSize() != config.vocabSize()) {
            if (tok instanceof AutoCloseable c) {
                closeQuietly(c, null);
            }
            throw new IOException("tokenizer has " + tok.vocabSize() + " tokens but model.json says " + config.vocabSize());
        }
        return tok;
    }

    private static void closeQuietly(AutoCloseable c, Exception cause) {
        try {
            c.close();
        } catch (Exception e) {
            if (cause != null) {
                cause.addSuppressed(e);
            }
        }
    }

    /** Whether {@code dir} holds an imported HF model rather than a tiny-gpt. */
    public static boolean isHf(Path dir) {
        return !Files.exists(dir.resolve(MODEL_JSON)) && Files.isRegularFile(dir.resolve(HfConfig.FILE));
    }

    /**
     * The shape of either layout without loading weights (cheap, for validation).
     *
     * @param architecture {@code tiny-gpt}, or the HF {@code model_type}
     * @param vocabSize rows of the embedding
     * @param contextLength the longest prompt plus completion
     */
    public record Shape(String architecture, int vocabSize, int contextLength) {
    }

    /** Reads {@code model.json} or {@code config.json} of {@code dir}, without loading weights. */
    public static Shape readShape(Path dir) throws IOException {
        if (isHf(dir)) {
            return HfDirectory.shape(dir);
        }
        GptConfig c = readConfig(dir);
        return new Shape("tiny-gpt", c.vocabSize(), c.blockSize());
    }

    /** Reads and validates a tiny-gpt's {@code model.json} without loading weights. */
    public static GptConfig readConfig(Path dir) throws IOException {
        return GptConfig.fromJson(readJson(dir).getAsJsonObject("config"));
    }

    private static JsonObject readJson(Path dir) throws IOException {
        Path file = dir.resolve(MODEL_JSON);
        if (!Files.exists(file)) {
            throw new IOException("not a model directory: " + MODEL_JSON + " is missing");
        }
        JsonObject o = GSON.fromJson(Files.readString(file, StandardCharsets.UTF_8), JsonObject.class);
        if (o == null || !o.has("format") || !FORMAT.equals(o.get("format").getAsString())) {
            throw new IOException(MODEL_JSON + " must have \"format\": \"" + FORMAT + "\"");
        }
        return o;
    }

    static JsonObject describe(Gpt gpt, ChatFormat chatFormat) {
        JsonObject o = new JsonObject();
        o.addProperty("format", FORMAT);
        o.addProperty("family", PolicyFamily.LANGUAGE_MODEL.wireName());
        o.addProperty("architecture", "tiny-gpt");
        o.addProperty("parameters", gpt.parameterCount());
        o.add("config", gpt.config().toJson());
        o.add("chat_template", chatFormat.toJson());
        return o;
    }

    @Override
    public void close() {
        lm.close();
        if (ownsTokenizer && tokenizer instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
