package dev.tropism.engine.lm;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.util.List;

/**
 * A language model's chat template, stored in {@code model.json} as {@code "chat_template":
 * {"message": ..., "assistant_prefix": ...}}: every message is rendered through {@code message}, in which
 * {@value #ROLE} and {@value #CONTENT} stand for the message's role and text, and {@code assistant_prefix}
 * follows for the model to continue. A model without one uses {@link #DEFAULT}: {@code "{role}:
 * {content}\n"} then {@code "assistant: "}, so {@code [system "Add.", user "2+3"]} renders as {@code
 * "system: Add.\nuser: 2+3\nassistant: "}. Pretraining writes the default; alignment keeps the base
 * model's template.
 *
 * @param message per message; must contain {@value #CONTENT}, at most {@value #MAX_CHARS} characters
 * @param assistantPrefix after the last message, at most {@value #MAX_CHARS} characters (may be empty)
 */
public record ChatFormat(String message, String assistantPrefix) {

    public static final String ROLE = "{role}";
    public static final String CONTENT = "{content}";
    public static final int MAX_CHARS = 1000;
    public static final ChatFormat DEFAULT = new ChatFormat(ROLE + ": " + CONTENT + "\n", "assistant: ");

    public ChatFormat {
        if (message == null || !message.contains(CONTENT) || message.length() > MAX_CHARS) {
            throw new IllegalArgumentException("chat_template.message must contain " + CONTENT + " and have at most "
                    + MAX_CHARS + " characters");
        }
        if (assistantPrefix == null || assistantPrefix.length() > MAX_CHARS) {
            throw new IllegalArgumentException("chat_template.assistant_prefix must be a string of at most "
                    + MAX_CHARS + " characters");
        }
    }

    /** One message to render. */
    public record Turn(String role, String content) {
    }

    /** The messages, each through {@link #message}, then {@link #assistantPrefix}. */
    public String render(List<Turn> turns) {
        StringBuilder out = new StringBuilder();
        for (Turn t : turns) {
            // placeholders are replaced in one pass, so a role or content holding "{content}" stays literal
            int at = 0;
            while (at < message.length()) {
                if (message.startsWith(ROLE, at)) {
                    out.append(t.role());
                    at += ROLE.length();
                } else if (message.startsWith(CONTENT, at)) {
                    out.append(t.content());
                    at += CONTENT.length();
                } else {
                    out.append(message.charAt(at++));
                }
            }
        }
        return out.append(assistantPrefix).toString();
    }

    JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("message", message);
        o.addProperty("assistant_prefix", assistantPrefix);
        return o;
    }

    /** From {@code model.json}'s {@code chat_template}; absent or null gives {@link #DEFAULT}. */
    static ChatFormat fromJson(JsonElement e) throws IOException {
        if (e == null || e.isJsonNull()) {
            return DEFAULT;
        }
        try {
            JsonObject o = e.getAsJsonObject();
            for (String key : o.keySet()) {
                if (!key.equals("message") && !key.equals("assistant_prefix")) {
                    throw new IllegalArgumentException("chat_template has an unknown field '" + key + "'");
                }
            }
            return new ChatFormat(string(o, "message"), string(o, "assistant_prefix"));
        } catch (IllegalStateException | UnsupportedOperationException | IllegalArgumentException ex) {
            throw new IOException("model.json: invalid chat_template: " + ex.getMessage(), ex);
        }
    }

    private static String string(JsonObject o, String key) {
        JsonElement v = o.get(key);
        if (v == null || !v.isJsonPrimitive() || !v.getAsJsonPrimitive().isString()) {
            throw new IllegalArgumentException("chat_template." + key + " must be a string");
        }
        return v.getAsString();
    }
}
