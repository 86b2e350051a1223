package dev.tropism.engine.serve;

import java.util.List;

/**
 * The outcome of one request. Every submitted request gets exactly one, whatever happened: errors
 * are reported here, never thrown into the caller's future.
 *
 * @param text the completion, without the prompt and without the stop string or EOS
 * @param finishReason why it ended
 * @param promptTokens tokens the model read: BOS plus the prompt's tokens
 * @param completionTokens tokens the model generated, including an EOS and the tokens of a matched
 *     stop string (they were computed, so usage counts them); 0 when it never ran
 * @param logprobs one entry per token of {@link #text()}, in order, when the request asked for
 *     logprobs; else empty
 * @param seed the seed of the request's sampler (drawn at submission when the request gave none), so
 *     any sampled output can be reproduced
 * @param error what went wrong when {@code finishReason} is {@link FinishReason#ERROR}, else null
 * @param queueNanos time from submission to the request's first forward pass (prefill)
 * @param firstTokenNanos time from submission to its first generated token; -1 if none
 * @param totalNanos time from submission to the end
 */
public record GenerationResult(String text, FinishReason finishReason, int promptTokens, int completionTokens,
        List<TokenLogprob> logprobs, long seed, String error, long queueNanos, long firstTokenNanos, long totalNanos) {

    public GenerationResult {
        logprobs = List.copyOf(logprobs);
    }
}
