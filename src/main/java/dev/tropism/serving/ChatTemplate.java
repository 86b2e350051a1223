package dev.tropism.serving;

import dev.tropism.engine.lm.ChatFormat;
import java.util.List;

/**
 * Chat messages as the endpoints accept them, rendered into the one text a character-level model
 * continues through the model's own chat template ({@link ChatFormat}, stored in its {@code model.json};
 * models without one use {@link ChatFormat#DEFAULT}, {@code "<role>: <content>\n"} per message then
 * {@code "assistant: "}).
 */
public final class ChatTemplate {

    /** The roles a message may have (OpenAI's, without tool calls). */
    public static final List<String> ROLES = List.of("system", "developer", "user", "assistant");

    private ChatTemplate() {
    }

    /** One chat message: a role from {@link #ROLES} and its text. */
    public record Message(String role, String content) {
    }

    public static String render(List<Message> messages, ChatFormat format) {
        return format.render(messages.stream().map(m -> new ChatFormat.Turn(m.role(), m.content())).toList());
    }
}
