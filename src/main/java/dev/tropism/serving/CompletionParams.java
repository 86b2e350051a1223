package dev.tropism.serving;

import dev.tropism.engine.lm.ChatFormat;
import java.util.List;

/**
 * The validated options of one {@code /v1/completions} or {@code /v1/chat/completions} request, before
 * the model is known (context limits are checked against the model in {@link CompletionService}).
 *
 * @param model a model id or a checkpoint id
 * @param prompts the {@code prompt} strings to continue; empty for a chat
 * @param messages a chat's messages, rendered through the model's chat template once the model is
 *     known ({@link #prompts(ChatFormat)}); empty for completions
 * @param chat whether this is a chat completion (response shapes differ)
 * @param maxTokens tokens to generate per choice; null = the default (16 for completions, the rest of
 *     the context for chat, as OpenAI's)
 * @param temperature in [0, 2]; 0 = greedy
 * @param topP in (0, 1]
 * @param n choices per prompt; choice {@code k} (over all prompts) samples with {@code seed + k}
 * @param stop at most 4 non-empty strings
 * @param seed null = a random seed per choice
 * @param logprobs return token log-probabilities
 * @param topLogprobs alternatives per position, in [0, 5]
 * @param stream answer with server-sent events
 * @param includeUsage {@code stream_options.include_usage}: a last chunk with {@code usage}
 */
public record CompletionParams(String model, List<String> prompts, List<ChatTemplate.Message> messages, boolean chat, Integer maxTokens,
        double temperature, double topP, int n, List<String> stop, Long seed, boolean logprobs, int topLogprobs,
        boolean stream, boolean includeUsage) {

    public CompletionParams {
        prompts = List.copyOf(prompts);
        messages = List.copyOf(messages);
        stop = List.copyOf(stop);
    }

    /** How many texts this request continues: its prompts, or one chat. */
    public int promptCount() {
        return chat ? 1 : prompts.size();
    }

    /** The texts to continue on a model with this chat template: the prompts, or the rendered chat. */
    public List<String> prompts(ChatFormat format) {
        return chat ? List.of(ChatTemplate.render(messages, format)) : prompts;
    }

    /** Generations this request asks for: {@code n} per prompt. */
    public int choices() {
        return promptCount() * n;
    }
}
