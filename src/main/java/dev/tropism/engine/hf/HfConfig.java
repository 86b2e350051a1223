package dev.tropism.engine.hf;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The shape of an imported causal LM, read from HF {@code config.json} (field names and defaults as in transformers'
 * {@code GPT2Config}, {@code LlamaConfig} and {@code Qwen2Config}), normalized to one record for the three families.
 *
 * <p>What Tropism cannot run faithfully is refused with the field named: an unknown {@code model_type}, custom code
 * ({@code auto_map}: the model would need {@code trust_remote_code}), {@code rope_scaling} other than none or
 * {@code linear}, an activation other than the family's, Qwen2's sliding window.
 *
 * @param architecture from {@code model_type}
 * @param vocabSize rows of the embedding (may exceed the tokenizer's ids, as Qwen2 pads it)
 * @param hiddenSize model width d ({@code n_embd} / {@code hidden_size})
 * @param layers transformer blocks ({@code n_layer} / {@code num_hidden_layers})
 * @param heads query heads ({@code n_head} / {@code num_attention_heads})
 * @param kvHeads key/value heads ({@code num_key_value_heads}; equal to {@code heads} for GPT-2 and by default)
 * @param headDim per-head size ({@code head_dim}, default d / heads)
 * @param intermediateSize MLP width ({@code n_inner}, default 4d / {@code intermediate_size})
 * @param contextLength {@code n_positions} / {@code max_position_embeddings}
 * @param normEps {@code layer_norm_epsilon} / {@code rms_norm_eps}
 * @param gelu GPT-2's activation; null for the SwiGLU families
 * @param ropeTheta RoPE base θ ({@code rope_theta}, default 10000); unused by GPT-2
 * @param ropeLinearFactor linear RoPE scaling factor (positions are divided by it); 1 without scaling
 * @param tieWordEmbeddings the output projection is the token embedding
 * @param attentionBias q, k and v projections have biases (Qwen2 always; Llama's {@code attention_bias}, which also
 *     gives o_proj one)
 * @param outputBias o_proj has a bias (Llama's {@code attention_bias})
 * @param mlpBias gate, up and down projections have biases (Llama's {@code mlp_bias})
 * @param attentionScaleByLayer GPT-2's {@code scale_attn_by_inverse_layer_idx}: layer i's scores are also divided
 *     by i + 1
 */
public record HfConfig(Architecture architecture, int vocabSize, int hiddenSize, int layers, int heads, int kvHeads,
        int headDim, int intermediateSize, int contextLength, double normEps, Gelu gelu, double ropeTheta,
        double ropeLinearFactor, boolean tieWordEmbeddings, boolean attentionBias, boolean outputBias,
        boolean mlpBias, boolean attentionScaleByLayer) {

    public static final String FILE = "config.json";

    /** Reads {@code dir/config.json}. */
    public static HfConfig read(Path dir) throws ModelFormatException, IOException {
        Path file = dir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            throw new ModelFormatException("the model directory has no " + FILE);
        }
        JsonElement root;
        try {
            root = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8));
        } catch (JsonParseException e) {
            throw new ModelFormatException(FILE + " is not valid JSON (" + e.getMessage() + ")", e);
        }
        if (!root.isJsonObject()) {
            throw new ModelFormatException(FILE + " must be a JSON object");
        }
        return parse(root.getAsJsonObject());
    }

    /** Parses a {@code config.json} object. */
    public static HfConfig parse(JsonObject c) throws ModelFormatException {
        if (c.has("auto_map")) {
            throw new ModelFormatException(FILE + " has auto_map: the model needs its own Python code "
                    + "(trust_remote_code), which Tropism does not run; use a gpt2, llama or qwen2 model");
        }
        String type = string(c, "model_type", null);
        Architecture a = Architecture.of(type);
        if (a == null) {
            throw new ModelFormatException(FILE + ": model_type " + (type == null ? "is missing" : "\"" + type
                    + "\" is not supported") + "; Tropism imports " + Arrays.stream(Architecture.values())
                    .map(Architecture::modelType).toList());
        }
        return a == Architecture.GPT2 ? gpt2(c) : llama(c, a);
    }

    private static HfConfig gpt2(JsonObject c) throws ModelFormatException {
        int d = positive(c, "n_embd", 768);
        int heads = positive(c, "n_head", 12);
        int inner = c.has("n_inner") && !c.get("n_inner").isJsonNull() ? positive(c, "n_inner", 0) : 4 * d;
        String act = string(c, "activation_function", "gelu_new");
        Gelu gelu = Gelu.of(act);
        if (gelu == null) {
            throw new ModelFormatException(FILE + ": activation_function \"" + act + "\" is not supported for gpt2; "
                    + "use gelu_new (GPT-2's tanh GELU) or gelu");
        }
        if (!bool(c, "scale_attn_weights", true)) {
            throw new ModelFormatException(FILE + ": scale_attn_weights false is not supported");
        }
        divisible(d, heads, "n_embd", "n_head");
        return new HfConfig(Architecture.GPT2, positive(c, "vocab_size", 50257), d, positive(c, "n_layer", 12), heads,
                heads, d / heads, inner, positive(c, "n_positions", 1024), number(c, "layer_norm_epsilon", 1e-5), gelu,
                10000, 1, bool(c, "tie_word_embeddings", true), true, true, true,
                bool(c, "scale_attn_by_inverse_layer_idx", false));
    }

    private static HfConfig llama(JsonObject c, Architecture a) throws ModelFormatException {
        int d = positive(c, "hidden_size", 4096);
        int heads = positive(c, "num_attention_heads", 32);
        int kvHeads = c.has("num_key_value_heads") && !c.get("num_key_value_heads").isJsonNull()
                ? positive(c, "num_key_value_heads", heads) : heads;
        if (heads % kvHeads != 0) {
            throw new ModelFormatException(FILE + ": num_attention_heads (" + heads + ") must be a multiple of "
                    + "num_key_value_heads (" + kvHeads + ")");
        }
        int headDim;
        if (c.has("head_dim") && !c.get("head_dim").isJsonNull()) {
            headDim = positive(c, "head_dim", 0);
        } else {
            divisible(d, heads, "hidden_size", "num_attention_heads");
            headDim = d / heads;
        }
        if (headDim % 2 != 0) {
            throw new ModelFormatException(FILE + ": the head size " + headDim + " must be even for RoPE");
        }
        String act = string(c, "hidden_act", "silu");
        if (!act.equals("silu")) {
            throw new ModelFormatException(FILE + ": hidden_act \"" + act + "\" is not supported; " + a.modelType()
                    + " models use silu");
        }
        if (a == Architecture.QWEN2 && bool(c, "use_sliding_window", false)) {
            throw new ModelFormatException(FILE + ": use_sliding_window true is not supported; set it to false "
                    + "(contexts up to sliding_window are unaffected)");
        }
        boolean qwen = a == Architecture.QWEN2;
        boolean attnBias = bool(c, "attention_bias", false);
        return new HfConfig(a, positive(c, "vocab_size", 32000), d, positive(c, "num_hidden_layers", 32), heads,
                kvHeads, headDim, positive(c, "intermediate_size", 11008), positive(c, "max_position_embeddings", 2048),
                number(c, "rms_norm_eps", 1e-6), null, number(c, "rope_theta", 10000), ropeLinearFactor(c),
                bool(c, "tie_word_embeddings", false), qwen || attnBias, !qwen && attnBias,
                !qwen && bool(c, "mlp_bias", false), false);
    }

    /** {@code rope_scaling}: null, {@code {"type"|"rope_type": "default"}} or {@code linear} with a factor. */
    private static double ropeLinearFactor(JsonObject c) throws ModelFormatException {
        JsonElement s = c.get("rope_scaling");
        if (s == null || s.isJsonNull()) {
            return 1;
        }
        if (!s.isJsonObject()) {
            throw new ModelFormatException(FILE + ": rope_scaling must be null or an object");
        }
        JsonObject o = s.getAsJsonObject();
        String type = string(o, "rope_type", string(o, "type", "default"));
        if (type.equals("default")) {
            return 1;
        }
        if (!type.equals("linear")) {
            throw new ModelFormatException(FILE + ": rope_scaling type \"" + type + "\" is not supported; "
                    + "only none or linear is");
        }
        double factor = number(o, "factor", Double.NaN);
        if (!(factor >= 1)) {
            throw new ModelFormatException(FILE + ": rope_scaling.factor must be a number >= 1, got " + o.get("factor"));
        }
        return factor;
    }

    private static void divisible(int d, int heads, String dName, String hName) throws ModelFormatException {
        if (d % heads != 0) {
            throw new ModelFormatException(FILE + ": " + dName + " (" + d + ") must be divisible by " + hName + " ("
                    + heads + ")");
        }
    }

    private static int positive(JsonObject c, String key, int fallback) throws ModelFormatException {
        JsonElement v = c.get(key);
        if (v == null || v.isJsonNull()) {
            return fallback;
        }
        try {
            int i = v.getAsJsonPrimitive().getAsBigDecimal().intValueExact();
            if (i > 0) {
                return i;
            }
        } catch (RuntimeException e) {
            // reported below
        }
        throw new ModelFormatException(FILE + ": " + key + " must be a positive integer, got " + v);
    }

    private static double number(JsonObject c, String key, double fallback) throws ModelFormatException {
        return field(c, key, fallback, v -> v.isNumber() && v.getAsDouble() > 0, JsonPrimitive::getAsDouble,
                "a positive number");
    }

    private static boolean bool(JsonObject c, String key, boolean fallback) throws ModelFormatException {
        return field(c, key, fallback, JsonPrimitive::isBoolean, JsonPrimitive::getAsBoolean, "true or false");
    }

    private static String string(JsonObject c, String key, String fallback) throws ModelFormatException {
        return field(c, key, fallback, JsonPrimitive::isString, JsonPrimitive::getAsString, "a string");
    }

    /** {@code c.key} when present and not null, else {@code fallback}; refused unless {@code valid}. */
    private static <T> T field(JsonObject c, String key, T fallback, Predicate<JsonPrimitive> valid,
            Function<JsonPrimitive, T> value, String what) throws ModelFormatException {
        JsonElement v = c.get(key);
        if (v == null || v.isJsonNull()) {
            return fallback;
        }
        if (!v.isJsonPrimitive() || !valid.test(v.getAsJsonPrimitive())) {
            throw new ModelFormatException(FILE + ": " + key + " must be " + what + ", got " + v);
        }
        return value.apply(v.getAsJsonPrimitive());
    }

    /** Repetitions of each k/v head in grouped-query attention (Ainslie et al. 2023): heads / kvHeads. */
    public int kvGroups() {
        return heads / kvHeads;
    }
}
