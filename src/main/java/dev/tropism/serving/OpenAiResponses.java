package dev.tropism.serving;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.tropism.engine.serve.TokenLogprob;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The OpenAI wire shapes of completions and chat completions, whole and as stream chunks. Field names
 * are written snake_case by the application's JSON mapper; null fields are sent as null, as OpenAI does,
 * except in chat deltas, which carry only what changed.
 */
final class OpenAiResponses {

    static final String TEXT_COMPLETION = "text_completion";
    static final String CHAT_COMPLETION = "chat.completion";
    static final String CHAT_COMPLETION_CHUNK = "chat.completion.chunk";

    private OpenAiResponses() {
    }

    /** A whole completion or chat completion, or one stream chunk (then {@code usage} is null). */
    record Completion(String id, String object, long created, String model, List<Object> choices, Usage usage) {
    }

    record Usage(long promptTokens, long completionTokens, long totalTokens) {

        static Usage of(long prompt, long completion) {
            return new Usage(prompt, completion, prompt + completion);
        }
    }

    /** {@code /v1/completions}: a choice, or a choice's piece in a chunk. */
    record TextChoice(int index, String text, CompletionLogprobs logprobs, String finishReason) {
    }

    /** {@code /v1/chat/completions}: a whole choice. */
    record ChatChoice(int index, Message message, ChatLogprobs logprobs, String finishReason) {
    }

    /** A chat choice's piece in a chunk. */
    record ChatChunkChoice(int index, Delta delta, ChatLogprobs logprobs, String finishReason) {
    }

    record Message(String role, String content) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Delta(String role, String content) {
    }

    /**
     * The legacy completions log-probabilities: parallel arrays, {@code text_offset} counted in characters
     * from the start of the prompt (OpenAI's convention), {@code top_logprobs} one map per token.
     */
    record CompletionLogprobs(List<String> tokens, List<Double> tokenLogprobs, List<Map<String, Double>> topLogprobs,
            List<Integer> textOffset) {

        static CompletionLogprobs of(List<TokenLogprob> logprobs, int offset, boolean withTop) {
            List<String> tokens = new ArrayList<>();
            List<Double> values = new ArrayList<>();
            List<Map<String, Double>> top = new ArrayList<>();
            List<Integer> offsets = new ArrayList<>();
            int at = offset;
            for (TokenLogprob t : logprobs) {
                tokens.add(t.token());
                values.add(t.logprob());
                Map<String, Double> alternatives = new LinkedHashMap<>();
                t.top().forEach(a -> alternatives.put(a.token(), a.logprob()));
                top.add(alternatives);
                offsets.add(at);
                at += t.token().length();
            }
            return new CompletionLogprobs(tokens, values, withTop ? top : null, offsets);
        }
    }

    /** The chat log-probabilities: one entry per token with its UTF-8 bytes and alternatives. */
    record ChatLogprobs(List<ChatTokenLogprob> content) {

        static ChatLogprobs of(List<TokenLogprob> logprobs) {
            List<ChatTokenLogprob> content = new ArrayList<>();
            for (TokenLogprob t : logprobs) {
                List<TopLogprob> top = new ArrayList<>();
                t.top().forEach(a -> top.add(new TopLogprob(a.token(), a.logprob(), bytes(a.token()))));
                content.add(new ChatTokenLogprob(t.token(), t.logprob(), bytes(t.token()), top));
            }
            return new ChatLogprobs(content);
        }
    }

    record ChatTokenLogprob(String token, double logprob, List<Integer> bytes, List<TopLogprob> topLogprobs) {
    }

    record TopLogprob(String token, double logprob, List<Integer> bytes) {
    }

    static List<Integer> bytes(String token) {
        List<Integer> out = new ArrayList<>();
        for (byte b : token.getBytes(StandardCharsets.UTF_8)) {
            out.add(b & 0xff);
        }
        return out;
    }

    /** The body of every error of these endpoints. */
    record ErrorBody(Error error) {
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    record Error(String message, String type, String param, String code) {
    }
}
