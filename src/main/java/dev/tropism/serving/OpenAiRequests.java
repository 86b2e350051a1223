package dev.tropism.serving;

import dev.tropism.engine.serve.GenerationRequest;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads and validates the bodies of the OpenAI-compatible endpoints: size-limited (413), JSON (400),
 * every field type- and range-checked with OpenAI's parameter name in the error. Fields OpenAI defines
 * but Tropism does not implement are accepted only at their neutral value (e.g. {@code presence_penalty:
 * 0}); any other field is rejected, as OpenAI does.
 */
@Component
class OpenAiRequests {

    private static final Set<String> COMMON = Set.of("model", "max_tokens", "temperature", "top_p", "n", "stop",
            "seed", "stream", "stream_options", "user", "frequency_penalty", "presence_penalty", "logit_bias");
    private static final Set<String> COMPLETION = Set.of("prompt", "logprobs", "echo", "suffix", "best_of");
    private static final Set<String> CHAT = Set.of("messages", "logprobs", "top_logprobs", "max_completion_tokens");

    private final JsonMapper json;
    private final ServingProperties properties;

    OpenAiRequests(JsonMapper json, ServingProperties properties) {
        this.json = json;
        this.properties = properties;
    }

    /** The body as a JSON object; 413 beyond {@code tropism.serving.max-body-size}, 400 if not JSON. */
    JsonNode read(HttpServletRequest request) {
        long limit = properties.maxBodySize().toBytes();
        if (request.getContentLengthLong() > limit) {
            throw tooLarge(limit);
        }
        byte[] body;
        try (InputStream in = request.getInputStream()) {
            body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (body.length > limit) {
            throw tooLarge(limit);
        }
        JsonNode node;
        try {
            node = json.readTree(body);
        } catch (JacksonException e) {
            throw OpenAiException.invalid(null, "The request body is not valid JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw OpenAiException.invalid(null, "The request body must be a JSON object.");
        }
        return node;
    }

    private static OpenAiException tooLarge(long limit) {
        return new OpenAiException(HttpStatus.PAYLOAD_TOO_LARGE, OpenAiException.INVALID_REQUEST, null,
                "request_too_large", "The request body exceeds the limit of " + limit + " bytes.", null);
    }

    /** {@code POST /v1/completions}. */
    CompletionParams completion(JsonNode body) {
        allowOnly(body, COMPLETION);
        List<String> prompts = prompts(body.get("prompt"));
        neutral(body, "echo", n -> n.isBoolean() && !n.booleanValue(), "false");
        neutral(body, "suffix", n -> n.isString() && n.stringValue().isEmpty(), "null or empty");
        int n = intField(body, "n", 1, 1, properties.maxN());
        neutral(body, "best_of", b -> b.isIntegralNumber() && b.longValue() == n, "equal to n");
        Integer top = optionalInt(body, "logprobs", 0, GenerationRequest.MAX_TOP_LOGPROBS);
        return common(body, prompts, List.of(), optionalInt(body, "max_tokens", 1, Integer.MAX_VALUE), n,
                top != null, top == null ? 0 : top);
    }

    /** {@code POST /v1/chat/completions}: the messages, rendered later through the model's chat template. */
    CompletionParams chat(JsonNode body) {
        allowOnly(body, CHAT);
        JsonNode messages = body.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            throw OpenAiException.invalid("messages", "'messages' must be a non-empty array of messages.");
        }
        List<ChatTemplate.Message> parsed = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            parsed.add(message(messages.get(i), "messages[" + i + "]"));
        }
        int n = intField(body, "n", 1, 1, properties.maxN());
        boolean logprobs = bool(body, "logprobs", false);
        Integer top = optionalInt(body, "top_logprobs", 0, GenerationRequest.MAX_TOP_LOGPROBS);
        if (top != null && !logprobs) {
            throw OpenAiException.invalid("top_logprobs", "'top_logprobs' needs 'logprobs' to be true.");
        }
        Integer maxTokens = optionalInt(body, "max_completion_tokens", 1, Integer.MAX_VALUE);
        Integer legacy = optionalInt(body, "max_tokens", 1, Integer.MAX_VALUE);
        if (maxTokens != null && legacy != null && !maxTokens.equals(legacy)) {
            throw OpenAiException.invalid("max_tokens", "'max_tokens' and 'max_completion_tokens' differ.");
        }
        return common(body, List.of(), parsed, maxTokens != null ? maxTokens : legacy, n, logprobs,
                top == null ? 0 : top);
    }

    private CompletionParams common(JsonNode body, List<String> prompts, List<ChatTemplate.Message> messages,
            Integer maxTokens, int n, boolean logprobs, int topLogprobs) {
        boolean chat = !messages.isEmpty();
        int promptCount = chat ? 1 : prompts.size();
        JsonNode model = body.get("model");
        if (model == null || !model.isString() || model.stringValue().isBlank()) {
            throw OpenAiException.invalid("model", "'model' is required: a model id or a checkpoint id (ckpt_...).");
        }
        if (promptCount * (long) n > properties.maxN()) {
            throw OpenAiException.invalid("n", "At most " + properties.maxN() + " choices per request (n × prompts), got "
                    + promptCount * (long) n + ".");
        }
        double temperature = number(body, "temperature", 1.0, 0, 2);
        double topP = number(body, "top_p", 1.0, Double.MIN_VALUE, 1);
        neutral(body, "frequency_penalty", p -> p.isNumber() && p.doubleValue() == 0, "0");
        neutral(body, "presence_penalty", p -> p.isNumber() && p.doubleValue() == 0, "0");
        neutral(body, "logit_bias", b -> b.isObject() && b.isEmpty(), "empty");
        JsonNode user = body.get("user");
        if (user != null && !user.isNull() && !user.isString()) {
            throw OpenAiException.invalid("user", "'user' must be a string.");
        }
        Long seed = seed(body);
        boolean stream = bool(body, "stream", false);
        boolean includeUsage = false;
        JsonNode options = body.get("stream_options");
        if (options != null && !options.isNull()) {
            if (!stream) {
                throw OpenAiException.invalid("stream_options", "'stream_options' is only allowed with 'stream': true.");
            }
            if (!options.isObject() || options.propertyNames().stream().anyMatch(k -> !k.equals("include_usage"))) {
                throw OpenAiException.invalid("stream_options", "'stream_options' may only hold 'include_usage'.");
            }
            includeUsage = bool(options, "include_usage", false);
        }
        return new CompletionParams(model.stringValue(), prompts, messages, chat, maxTokens, temperature, topP, n, stop(body),
                seed, logprobs, topLogprobs, stream, includeUsage);
    }

    private static void allowOnly(JsonNode body, Set<String> specific) {
        for (String name : body.propertyNames()) {
            if (!COMMON.contains(name) && !specific.contains(name)) {
                throw OpenAiException.invalid(name, "Unrecognized request argument supplied: " + name);
            }
        }
    }

    /** A field Tropism does not implement: absent, null, or its neutral value only. */
    private static void neutral(JsonNode body, String name, java.util.function.Predicate<JsonNode> isNeutral,
            String neutral) {
        JsonNode v = body.get(name);
        if (v != null && !v.isNull() && !isNeutral.test(v)) {
            throw OpenAiException.invalid(name, "'" + name + "' is not supported; it may only be " + neutral + ".");
        }
    }

    private static List<String> prompts(JsonNode prompt) {
        if (prompt == null || prompt.isNull()) {
            throw OpenAiException.invalid("prompt", "'prompt' is required: a string or an array of strings.");
        }
        if (prompt.isString()) {
            return List.of(prompt.stringValue());
        }
        if (!prompt.isArray() || prompt.isEmpty()) {
            throw OpenAiException.invalid("prompt", "'prompt' must be a string or a non-empty array of strings.");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode p : prompt) {
            if (!p.isString()) {
                throw OpenAiException.invalid("prompt", "'prompt' must be a string or an array of strings"
                        + " (token arrays are not supported).");
            }
            out.add(p.stringValue());
        }
        return out;
    }

    private static ChatTemplate.Message message(JsonNode m, String where) {
        if (m == null || !m.isObject()) {
            throw OpenAiException.invalid(where, where + " must be an object with 'role' and 'content'.");
        }
        for (String name : m.propertyNames()) {
            if (!name.equals("role") && !name.equals("content") && !name.equals("name")) {
                throw OpenAiException.invalid(where + "." + name, "Unrecognized field in " + where + ": " + name);
            }
        }
        JsonNode role = m.get("role");
        if (role == null || !role.isString() || !ChatTemplate.ROLES.contains(role.stringValue())) {
            throw OpenAiException.invalid(where + ".role", where + ".role must be one of " + ChatTemplate.ROLES + ".");
        }
        JsonNode content = m.get("content");
        if (content != null && content.isString()) {
            return new ChatTemplate.Message(role.stringValue(), content.stringValue());
        }
        if (content != null && content.isArray()) {
            StringBuilder text = new StringBuilder();
            for (JsonNode part : content) {
                if (!part.isObject() || !"text".equals(part.path("type").asString(null)) || !part.path("text").isString()) {
                    throw OpenAiException.invalid(where + ".content",
                            "Only text content parts ({\"type\":\"text\",\"text\":...}) are supported.");
                }
                text.append(part.get("text").stringValue());
            }
            return new ChatTemplate.Message(role.stringValue(), text.toString());
        }
        throw OpenAiException.invalid(where + ".content", where + ".content must be a string or an array of text parts.");
    }

    private static List<String> stop(JsonNode body) {
        JsonNode stop = body.get("stop");
        if (stop == null || stop.isNull()) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        if (stop.isString()) {
            out.add(stop.stringValue());
        } else if (stop.isArray()) {
            for (JsonNode s : stop) {
                if (!s.isString()) {
                    throw OpenAiException.invalid("stop", "'stop' must be a string or an array of strings.");
                }
                out.add(s.stringValue());
            }
        } else {
            throw OpenAiException.invalid("stop", "'stop' must be a string or an array of strings.");
        }
        if (out.size() > GenerationRequest.MAX_STOP || out.stream().anyMatch(String::isEmpty)) {
            throw OpenAiException.invalid("stop", "'stop' takes at most " + GenerationRequest.MAX_STOP
                    + " non-empty strings.");
        }
        return out;
    }

    /** {@code seed}: an integer (a long), or null when absent. */
    static Long seed(JsonNode body) {
        JsonNode s = body.get("seed");
        if (s == null || s.isNull()) {
            return null;
        }
        if (!s.isIntegralNumber() || !s.canConvertToLong()) {
            throw OpenAiException.invalid("seed", "'seed' must be an integer.");
        }
        return s.longValue();
    }

    static boolean bool(JsonNode body, String name, boolean fallback) {
        JsonNode v = body.get(name);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isBoolean()) {
            throw OpenAiException.invalid(name, "'" + name + "' must be a boolean.");
        }
        return v.booleanValue();
    }

    static int intField(JsonNode body, String name, int fallback, int min, int max) {
        Integer v = optionalInt(body, name, min, max);
        return v == null ? fallback : v;
    }

    static Integer optionalInt(JsonNode body, String name, int min, int max) {
        JsonNode v = body.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < min || v.intValue() > max) {
            throw OpenAiException.invalid(name, "'" + name + "' must be an integer in [" + min + ", " + max + "], got "
                    + v + ".");
        }
        return v.intValue();
    }

    static double number(JsonNode body, String name, double fallback, double min, double max) {
        JsonNode v = body.get(name);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isNumber() || !Double.isFinite(v.doubleValue()) || v.doubleValue() < min || v.doubleValue() > max) {
            throw OpenAiException.invalid(name, "'" + name + "' must be a number in " + (min == Double.MIN_VALUE
                    ? "(0" : "[" + fmt(min)) + ", " + fmt(max) + "], got " + v + ".");
        }
        return v.doubleValue();
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }
}
