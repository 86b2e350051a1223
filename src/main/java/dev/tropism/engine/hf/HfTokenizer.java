package dev.tropism.engine.hf;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.tropism.engine.lm.Tokenizer;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * An imported model's tokenizer: its {@code tokenizer.json} run by HuggingFace tokenizers (the Rust library, through
 * DJL's {@code ai.djl.huggingface:tokenizers}, which bundles its native library), with the special tokens and the
 * Jinja {@code chat_template} of {@code tokenizer_config.json}.
 *
 * <p>The tokenizer is created only from the local file ({@code HuggingFaceTokenizer.newInstance(Path, Map)}); the
 * String overload would fetch from the hub. Encoding adds no special tokens, truncates nothing and pads nothing:
 * Tropism adds BOS and EOS itself, as it does for {@code tiny-gpt}.
 */
public final class HfTokenizer implements Tokenizer, AutoCloseable {

    public static final String FILE = "tokenizer.json";
    public static final String CONFIG = "tokenizer_config.json";
    private static final Map<String, String> OPTIONS =
            Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false");

    /** A special token named by {@code tokenizer_config.json}: its text and id. */
    private record Special(String content, int id) {
    }

    /** What {@code tokenizer_config.json} says: special tokens (null when unnamed) and the chat template. */
    private record Config(Special bos, Special eos, Special pad, String chatTemplate) {
    }

    private final HuggingFaceTokenizer tokenizer;
    private final int vocabSize;
    private final Map<String, Integer> ids;
    private final Config config;
    private final String kind;
    private boolean closed;

    private HfTokenizer(HuggingFaceTokenizer tokenizer, int vocabSize, Map<String, Integer> ids, Config config,
            String kind) {
        this.tokenizer = tokenizer;
        this.kind = kind;
        this.vocabSize = vocabSize;
        this.ids = ids;
        this.config = config;
    }

    /**
     * Reads {@code dir/tokenizer.json} and, when present, {@code dir/tokenizer_config.json}.
     *
     * @throws ModelFormatException when tokenizer.json is missing or unreadable, or a special token it names is not in
     *     the vocabulary
     */
    public static HfTokenizer load(Path dir) throws ModelFormatException, IOException {
        Path file = dir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            throw new ModelFormatException("the model directory has no " + FILE + (Files.exists(dir.resolve(
                    "tokenizer.model")) ? " (a SentencePiece tokenizer.model alone is not supported; save the "
                    + "tokenizer with transformers to get tokenizer.json)" : ""));
        }
        JsonObject json = object(file);
        Map<String, Integer> ids = new HashMap<>();
        int size = vocabulary(json, ids);
        JsonObject c = Files.isRegularFile(dir.resolve(CONFIG)) ? object(dir.resolve(CONFIG)) : new JsonObject();
        JsonElement template = c.get("chat_template");
        Special eos = special(c, "eos_token", ids);
        if (eos == null) {
            eos = eosFromModelConfig(dir);
        }
        Config config = new Config(special(c, "bos_token", ids), eos,
                special(c, "pad_token", ids), template != null && template.isJsonPrimitive() ? template.getAsString()
                : null);
        HuggingFaceTokenizer tok;
        try {
            tok = HuggingFaceTokenizer.newInstance(file, OPTIONS);
        } catch (RuntimeException e) {
            throw new ModelFormatException(FILE + " cannot be loaded by HuggingFace tokenizers: " + e.getMessage(), e);
        }
        return new HfTokenizer(tok, size, ids, config, kind(json));
    }

    private static JsonObject object(Path file) throws ModelFormatException, IOException {
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            JsonElement e = JsonParser.parseReader(r);
            if (!e.isJsonObject()) {
                throw new ModelFormatException(file.getFileName() + " must be a JSON object");
            }
            return e.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new ModelFormatException(file.getFileName() + " is not valid JSON (" + e.getMessage() + ")", e);
        }
    }

    /**
     * {@code config.json}'s {@code eos_token_id} (a number or a list, whose first entry is taken) when
     * tokenizer_config.json names no EOS, as transformers' generation falls back to it; null when neither has one.
     */
    private static Special eosFromModelConfig(Path dir) throws ModelFormatException, IOException {
        Path file = dir.resolve(HfConfig.FILE);
        if (!Files.isRegularFile(file)) {
            return null;
        }
        JsonElement v = object(file).get("eos_token_id");
        if (v != null && v.isJsonArray() && !v.getAsJsonArray().isEmpty()) {
            v = v.getAsJsonArray().get(0);
        }
        if (v == null || !v.isJsonPrimitive() || !v.getAsJsonPrimitive().isNumber()) {
            return null;
        }
        return new Special(null, v.getAsInt());
    }

    /** {@code model.type} of tokenizer.json, lower-cased ({@code bpe}, {@code unigram}, {@code wordpiece}, ...). */
    private static String kind(JsonObject json) {
        JsonElement type = json.getAsJsonObject("model").get("type");
        return type != null && type.isJsonPrimitive() ? type.getAsString().toLowerCase(Locale.ROOT) : "unknown";
    }

    /**
     * Fills {@code ids} with the added tokens (and, for a vocabulary object, every token) and returns the id count:
     * the largest id + 1 over {@code model.vocab} (an object for BPE/WordPiece, a list for Unigram) and
     * {@code added_tokens}.
     */
    private static int vocabulary(JsonObject json, Map<String, Integer> ids) throws ModelFormatException {
        int size = 0;
        JsonElement model = json.get("model");
        JsonElement vocab = model != null && model.isJsonObject() ? model.getAsJsonObject().get("vocab") : null;
        if (vocab != null && vocab.isJsonObject()) {
            for (Map.Entry<String, JsonElement> e : vocab.getAsJsonObject().entrySet()) {
                int id = e.getValue().getAsInt();
                ids.put(e.getKey(), id);
                size = Math.max(size, id + 1);
            }
        } else if (vocab != null && vocab.isJsonArray()) {
            size = vocab.getAsJsonArray().size();
        } else {
            throw new ModelFormatException(FILE + " has no model.vocab");
        }
        JsonElement added = json.get("added_tokens");
        if (added != null && added.isJsonArray()) {
            for (JsonElement a : added.getAsJsonArray()) {
                JsonObject t = a.getAsJsonObject();
                int id = t.get("id").getAsInt();
                ids.put(t.get("content").getAsString(), id);
                size = Math.max(size, id + 1);
            }
        }
        return size;
    }

    /** {@code tokenizer_config.json}'s {@code key} (a string or an {@code AddedToken} object), or null. */
    private static Special special(JsonObject config, String key, Map<String, Integer> ids)
            throws ModelFormatException {
        JsonElement v = config.get(key);
        if (v == null || v.isJsonNull()) {
            return null;
        }
        String content = v.isJsonObject() && v.getAsJsonObject().has("content")
                ? v.getAsJsonObject().get("content").getAsString() : v.isJsonPrimitive() ? v.getAsString() : null;
        Integer id = content == null ? null : ids.get(content);
        if (id == null) {
            throw new ModelFormatException(CONFIG + ": " + key + " " + v + " is not a token of " + FILE);
        }
        return new Special(content, id);
    }

    /**
     * Refuses a tokenizer whose ids do not all have a row in the model's embedding. An embedding larger than the
     * tokenizer is fine (Qwen2 pads its own to a multiple of 128).
     */
    public void requireFits(int modelVocabSize) throws ModelFormatException {
        if (vocabSize > modelVocabSize) {
            throw new ModelFormatException(FILE + " has " + vocabSize + " token ids but config.json's vocab_size is "
                    + modelVocabSize + "; the tokenizer does not belong to this model");
        }
    }

    /** The tokenizer model's type from tokenizer.json ({@code bpe}, {@code unigram}, ...), for the model card. */
    public String kind() {
        return kind;
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public int[] encode(String text) {
        long[] ids = tokenizer.encode(text).getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
        }
        return out;
    }

    @Override
    public int bos() {
        return config.bos() == null ? -1 : config.bos().id();
    }

    @Override
    public int eos() {
        return config.eos() == null ? -1 : config.eos().id();
    }

    /** {@code pad_token}, else EOS (what GPT-2 and Llama fine-tuning recipes pad with), else 0. */
    @Override
    public int pad() {
        return config.pad() != null ? config.pad().id() : Math.max(eos(), 0);
    }

    @Override
    public boolean generatable(int id) {
        return id >= 0 && id < vocabSize && (id == eos() || (id != bos() && (config.pad() == null || id != pad())));
    }

    @Override
    public String decode(int[] tokens, int from, int to) {
        int end = from;
        while (end < to && (config.eos() == null || tokens[end] != config.eos().id())) {
            end++;
        }
        long[] ids = new long[end - from];
        for (int i = from; i < end; i++) {
            ids[i - from] = tokens[i];
        }
        return tokenizer.decode(ids, true);
    }

    /** The id of token {@code content} when it is a special (added) token or in a vocabulary object. */
    public OptionalInt id(String content) {
        Integer id = ids.get(content);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    public OptionalInt bosId() {
        return optional(config.bos());
    }

    public OptionalInt eosId() {
        return optional(config.eos());
    }

    public OptionalInt padId() {
        return optional(config.pad());
    }

    private static OptionalInt optional(Special s) {
        return s == null ? OptionalInt.empty() : OptionalInt.of(s.id());
    }

    /** {@code tokenizer_config.json}'s Jinja chat template with this tokenizer's BOS and EOS text, when it has one. */
    public Optional<ChatTemplate> chatTemplate() {
        return Optional.ofNullable(config.chatTemplate()).map(t -> new ChatTemplate(t,
                config.bos() == null ? null : config.bos().content(), config.eos() == null ? null
                : config.eos().content() != null ? config.eos().content() : tokenizer.decode(new long[] {eos()}, false)));
    }

    /** Frees the native tokenizer; later calls do nothing. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            tokenizer.close();
        }
    }
}
