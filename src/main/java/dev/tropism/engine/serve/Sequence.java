package dev.tropism.engine.serve;

import dev.tropism.engine.lm.CharTokenizer;
import dev.tropism.engine.lm.Tokenizer;
import dev.tropism.engine.lm.Sampler;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * One request's decoding state, owned by the decoding thread: its prompt, its own seeded sampler, the
 * token whose keys and values are not cached yet ({@link #pending}), and its completion text.
 */
final class Sequence {

    private static final String[] SPECIAL_NAMES = {"<pad>", "<bos>", "<eos>", "<unk>"};

    final GenerationRequest request;
    final GenerationListener listener;
    final GenerationHandle handle;
    final int[] prompt; // BOS + prompt tokens
    final long seed;
    final long submitted; // System.nanoTime()
    final long deadline; // System.nanoTime() bound, Long.MAX_VALUE for none
    private final Sampler.Decoding decoding;
    private final CompletionText text;
    private final int blockSize;
    int cached; // real tokens of this row in the batch cache
    int pending; // last generated token, fed at the next decode step
    int generated;
    long started = -1;
    long firstToken = -1;
    private boolean clientGone;

    Sequence(GenerationRequest request, GenerationListener listener, GenerationHandle handle, int[] prompt, long seed,
            int blockSize) {
        this.request = request;
        this.listener = listener;
        this.handle = handle;
        this.prompt = prompt;
        this.seed = seed;
        this.blockSize = blockSize;
        this.submitted = System.nanoTime();
        this.deadline = request.timeout() == null ? Long.MAX_VALUE
                : submitted + Math.min(request.timeout().toNanos(), Long.MAX_VALUE / 4);
        // Greedy needs no RNG; otherwise one Random per request, drawn once per token, so the request's
        // tokens never depend on what else is in the batch.
        this.decoding = request.greedy() ? Sampler.Decoding.greedy()
                : new Sampler.Decoding(request.temperature(), request.topP(), new Random(seed));
        this.text = new CompletionText(request.stop());
    }

    /** Why this request must stop before the next step regardless of the model, or null. */
    FinishReason interruption(long now) {
        if (handle.isCancelled() || clientGone) {
            return FinishReason.CANCELLED;
        }
        return now - deadline > 0 ? FinishReason.TIMEOUT : null;
    }

    /** How this request picks its tokens: greedy, or its temperature and top-p with its own seeded Random. */
    Sampler.Decoding decoding() {
        return decoding;
    }

    /**
     * Samples this row's next token in Java from its logits {@code logits[offset .. offset + vocab)} (tiny-gpt), streams
     * the text that became final and returns the finish reason, or null to go on.
     */
    FinishReason accept(float[] logits, int offset, int vocab, Tokenizer tok) {
        int id = Sampler.pick(logits, offset, vocab, decoding, tok);
        TokenLogprob lp = request.logprobs() && id != tok.eos()
                ? logprob(logits, offset, vocab, id, request.topLogprobs(), tok) : null;
        return accept(id, lp, tok);
    }

    /**
     * Takes {@code id}, chosen for this row (on the device for imported models), with its log-probability when the
     * request asks for them: streams the text that became final and returns the finish reason, or null to go on.
     */
    FinishReason accept(int id, TokenLogprob lp, Tokenizer tok) {
        generated++;
        if (firstToken < 0) {
            firstToken = System.nanoTime();
        }
        pending = id;
        if (id == tok.eos()) {
            return FinishReason.STOP;
        }
        deliver(text.append(tokenText(id, tok), lp));
        if (clientGone) {
            return FinishReason.CANCELLED;
        }
        if (text.stopped()) {
            return FinishReason.STOP;
        }
        if (generated >= request.maxTokens() || prompt.length + generated >= blockSize) {
            return FinishReason.LENGTH; // the next token would not fit max_tokens or the context
        }
        return null;
    }

    /** The final result; releases held-back text unless a stop string cut it. */
    GenerationResult finish(FinishReason reason, String error) {
        if (reason != FinishReason.CANCELLED && !text.stopped()) {
            deliver(text.flush());
        } else if (!text.stopped()) {
            text.flush(); // the client is gone: keep the text in the result, stream nothing
        }
        long now = System.nanoTime();
        return new GenerationResult(text.text(), reason, prompt.length, generated,
                request.logprobs() ? new ArrayList<>(text.logprobs()) : List.of(), seed, error,
                started < 0 ? now - submitted : started - submitted, firstToken < 0 ? -1 : firstToken - submitted,
                now - submitted);
    }

    private void deliver(GenerationDelta d) {
        if (d == null || clientGone) {
            return;
        }
        try {
            listener.onDelta(d);
        } catch (RuntimeException | Error e) { // NOPMD: any listener failure means the client is gone
            clientGone = true;
        }
    }

    static String tokenText(int id, Tokenizer tok) {
        return tok instanceof CharTokenizer && id < SPECIAL_NAMES.length ? SPECIAL_NAMES[id]
                : tok.decode(new int[] {id}, 0, 1);
    }

    /**
     * ln p(id) under the raw model distribution: logit − logsumexp(logits), in double, plus the
     * {@code top} most likely ids.
     */
    static TokenLogprob logprob(float[] logits, int offset, int vocab, int id, int top, Tokenizer tok) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, logits[offset + i]);
        }
        double z = 0;
        for (int i = 0; i < vocab; i++) {
            z += Math.exp(logits[offset + i] - max);
        }
        double logZ = max + Math.log(z);
        List<TokenLogprob.Alternative> alternatives = new ArrayList<>(top);
        boolean[] taken = new boolean[vocab];
        for (int k = 0; k < top && k < vocab; k++) {
            int best = -1;
            for (int i = 0; i < vocab; i++) {
                if (!taken[i] && (best < 0 || logits[offset + i] > logits[offset + best])) {
                    best = i;
                }
            }
            taken[best] = true;
            alternatives.add(new TokenLogprob.Alternative(tokenText(best, tok), best, logits[offset + best] - logZ));
        }
        return new TokenLogprob(tokenText(id, tok), id, logits[offset + id] - logZ, alternatives);
    }
}
