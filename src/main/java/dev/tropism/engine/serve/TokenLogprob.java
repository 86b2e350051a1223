package dev.tropism.engine.serve;

import java.util.List;

/**
 * The log-probability of one chosen token, and optionally the most likely alternatives at its
 * position. Log-probabilities are those of the model's raw next-token distribution (log-softmax of the
 * logits over the whole vocabulary), before temperature and top-p, as vLLM and the OpenAI API report
 * them; so they are finite and at most 0.
 *
 * @param token the token's text (one character for the char tokenizer)
 * @param id the token id
 * @param logprob ln p(token | prefix)
 * @param top the {@code top_logprobs} most likely tokens at this position, most likely first (may or
 *     may not include the chosen one); empty when none were asked for
 */
public record TokenLogprob(String token, int id, double logprob, List<Alternative> top) {

    public TokenLogprob {
        top = List.copyOf(top);
    }

    /** One alternative at a position. */
    public record Alternative(String token, int id, double logprob) {
    }
}
