package dev.tropism.engine.lm;

import ai.djl.ndarray.NDManager;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import dev.tropism.engine.PolicyFamily;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A language model on disk and in memory: {@code model.json} (format, family, shape, and optionally
 * its {@code chat_template}, see {@link ChatFormat}), {@code
 * tokenizer.json} and {@code weights.ndlist}. This is what pretraining and alignment export, what the
 * service stores in object storage, and what users may upload.
 */
public final class LanguageModel implements AutoCloseable {

    public static final String FORMAT = "tropism-lm/1";
    public static final String MODEL_JSON = "model.json";
    public static final String TOKENIZER_JSON = "tokenizer.json";
    public static final String WEIGHTS = "weights.ndlist";
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

    private final Gpt gpt;
    private final CharTokenizer tokenizer;
    private final ChatFormat chatFormat;

    /** A model with the {@link ChatFormat#DEFAULT} chat template. */
    public LanguageModel(Gpt gpt, CharTokenizer tokenizer) {
        this(gpt, tokenizer, ChatFormat.DEFAULT);
    }

    public LanguageModel(Gpt gpt, CharTokenizer tokenizer, ChatFormat chatFormat) {
        this.gpt = gpt;
        this.tokenizer = tokenizer;
        this.chatFormat = chatFormat;
    }

    /** How chat messages are rendered for this model (stored in {@code model.json}). */
    public ChatFormat chatFormat() {
        return chatFormat;
    }

    public Gpt gpt() {
        return gpt;
    }

    public CharTokenizer tokenizer() {
        return tokenizer;
    }

    public void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(MODEL_JSON), GSON.toJson(describe(gpt, chatFormat)), StandardCharsets.UTF_8);
        tokenizer.save(dir.resolve(TOKENIZER_JSON));
        gpt.save(dir.resolve(WEIGHTS));
    }

    public static LanguageModel load(Path dir, NDManager parent) throws IOException {
        GptConfig config = readConfig(dir);
        ChatFormat format = ChatFormat.fromJson(readJson(dir).get("chat_template"));
        CharTokenizer tok = CharTokenizer.load(dir.resolve(TOKENIZER_JSON));
        if (tok.vocabSize() != config.vocabSize()) {
            throw new IOException("tokenizer has " + tok.vocabSize() + " tokens but model.json says " + config.vocabSize());
        }
        return new LanguageModel(Gpt.load(config, dir.resolve(WEIGHTS), parent), tok, format);
    }

    /** Reads and validates {@code model.json} without loading weights. */
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
        gpt.close();
    }
}
