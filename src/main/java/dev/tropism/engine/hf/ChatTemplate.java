package dev.tropism.engine.hf;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's Jinja chat template ({@code tokenizer_config.json}'s {@code chat_template}), rendered with HubSpot's
 * jinjava the way transformers' {@code apply_chat_template} renders it with jinja2: {@code trim_blocks} and
 * {@code lstrip_blocks} on, variables {@code messages} (a list of {role, content}), {@code add_generation_prompt},
 * {@code bos_token} and {@code eos_token} (plus any the caller adds, such as Qwen3's {@code enable_thinking}), a
 * {@code raise_exception(message)} function with which templates refuse a conversation, and a {@code tojson} filter
 * that writes as Python's {@code json.dumps}. {@link Jinja2Compat} adds what jinjava lacks of jinja2.
 *
 * <p>The template is the user's text, so rendering is bounded (output size, render depth, range length) and runs
 * with jinjava's default restrictions on Java reflection.
 */
public final class ChatTemplate {

    /** One chat turn. */
    public record Message(String role, String content) {
    }

    /** Thrown by {@code raise_exception}; carries the template's own message. */
    private static final class Raised extends RuntimeException {
        Raised(String message) {
            super(message);
        }
    }

    private static final long MAX_OUTPUT_CHARS = 1_000_000;

    private final String template;
    private final String bosToken;
    private final String eosToken;
    private final Jinjava jinjava;

    /**
     * @param bosToken the text of the BOS token, or null (rendered as empty, as transformers does for a missing one)
     * @param eosToken the text of the EOS token, or null
     */
    public ChatTemplate(String template, String bosToken, String eosToken) {
        this.template = template;
        this.bosToken = bosToken == null ? "" : bosToken;
        this.eosToken = eosToken == null ? "" : eosToken;
        this.jinjava = Jinja2Compat.newJinjava(JinjavaConfig.newBuilder().withTrimBlocks(true)
                .withLstripBlocks(true).withMaxOutputSize(MAX_OUTPUT_CHARS).withMaxRenderDepth(10)
                .withRangeLimit(10_000).withFailOnUnknownTokens(false));
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception", ChatTemplate.class,
                "raise", String.class));
    }

    /** The template's Jinja source, as {@code tokenizer_config.json} holds it. */
    public String template() {
        return template;
    }

    /** The function templates call as {@code raise_exception(message)}. */
    public static String raise(String message) {
        throw new Raised(message);
    }

    /**
     * The prompt text of {@code messages}.
     *
     * @param addGenerationPrompt end with the assistant's turn header, for generation
     * @throws IllegalArgumentException when the template refuses the conversation ({@code raise_exception}) or fails
     */
    public String render(List<Message> messages, boolean addGenerationPrompt) {
        return render(messages, addGenerationPrompt, Map.of());
    }

    /**
     * The prompt text of {@code messages}, with more template variables, as transformers passes
     * {@code apply_chat_template}'s extra keyword arguments (e.g. {@code enable_thinking=false} for Qwen3).
     *
     * @param variables names and values (strings, numbers, booleans, lists and maps of those); they cannot replace
     *     {@code messages}, {@code add_generation_prompt} or the special tokens
     */
    public String render(List<Message> messages, boolean addGenerationPrompt, Map<String, ?> variables) {
        List<Map<String, Object>> turns = new ArrayList<>();
        for (Message m : messages) {
            Map<String, Object> turn = new LinkedHashMap<>();
            turn.put("role", m.role());
            turn.put("content", m.content());
            turns.add(turn);
        }
        Map<String, Object> vars = new HashMap<>(variables);
        vars.put("messages", turns);
        vars.put("add_generation_prompt", addGenerationPrompt);
        vars.put("bos_token", bosToken);
        vars.put("eos_token", eosToken);
        RenderResult result;
        try {
            result = jinjava.renderForResult(template, vars);
        } catch (Raised e) {
            throw new IllegalArgumentException("the chat template refused the conversation: " + e.getMessage(), e);
        }
        for (TemplateError e : result.getErrors()) {
            if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
                Throwable cause = e.getException();
                while (cause != null && !(cause instanceof Raised)) {
                    cause = cause.getCause();
                }
                throw new IllegalArgumentException(cause != null
                        ? "the chat template refused the conversation: " + cause.getMessage()
                        : "the chat template failed: " + e.getMessage() + (e.getLineno() > 0 ? " (line " + e.getLineno()
                        + ")" : ""));
            }
        }
        return result.getOutput();
    }

    /**
     * Checks at import that the template renders a one-turn conversation, so a template jinjava cannot run is
     * refused with the model rather than failing at the first chat request.
     */
    public void requireRenders() throws ModelFormatException {
        try {
            render(List.of(new Message("user", "Hello")), true);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(HfTokenizer.CONFIG + ": chat_template cannot be rendered (" + e.getMessage()
                    + ")", e);
        }
    }
}
