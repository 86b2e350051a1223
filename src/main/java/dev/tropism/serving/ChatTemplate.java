package dev.tropism.serving;

import java.util.List;

/**
 * Renders chat messages into the one text a character-level model continues. Tropism's models carry
 * no chat template of their own yet, so every model uses this default: one line per message,
 * {@code "<role>: <content>\n"}, then {@code "assistant: "} for the model to continue. For example
 * {@code [{"role":"system","content":"Add."},{"role":"user","content":"2+3"}]} renders as
 * {@code "system: Add.\nuser: 2+3\nassistant: "}.
 */
public final class ChatTemplate {

    /** The roles a message may have (OpenAI's, without tool calls). */
    public static final List<String> ROLES = List.of("system", "developer", "user", "assistant");
    static final String ASSISTANT_PREFIX = "assistant: ";

    private ChatTemplate() {
    }

    /** One chat message: a role from {@link #ROLES} and its text. */
    public record Message(String role, String content) {
    }

    public static String render(List<Message> messages) {
        StringBuilder out = new StringBuilder();
        for (Message m : messages) {
            out.append(m.role()).append(": ").append(m.content()).append('\n');
        }
        return out.append(ASSISTANT_PREFIX).toString();
    }
}
