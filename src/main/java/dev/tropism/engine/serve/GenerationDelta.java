package dev.tropism.engine.serve;

import java.util.List;

/**
 * Newly final text of one request. Text that could still turn into a stop string is held back until
 * it cannot, so the concatenation of every delta is exactly {@link GenerationResult#text()}.
 *
 * @param text the new characters (never empty)
 * @param logprobs the tokens of this text with their log-probabilities, empty unless the request
 *     asked for {@code logprobs}
 */
public record GenerationDelta(String text, List<TokenLogprob> logprobs) {

    public GenerationDelta {
        logprobs = List.copyOf(logprobs);
    }
}
