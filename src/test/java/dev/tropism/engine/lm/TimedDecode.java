package dev.tropism.engine.lm;

import ai.djl.ndarray.NDManager;

/**
 * One timed {@link Sampler#sample} call, as the sampling benchmarks measure it: wall time of the whole decode (every
 * step's forward, pick and bookkeeping), in a sub-manager of {@code parent} closed afterwards.
 *
 * @param completions what the decode produced
 * @param seconds its wall time
 */
public record TimedDecode(Sampler.Completions completions, double seconds) {

    public static TimedDecode run(LanguageModel model, Sampler.PromptBatch prompts, int newTokens,
            Sampler.Decoding decoding, boolean cache, NDManager parent) {
        try (NDManager m = parent.newSubManager()) {
            long t0 = System.nanoTime();
            Sampler.Completions c = Sampler.sample(model, prompts, newTokens, decoding, cache, m);
            return new TimedDecode(c, (System.nanoTime() - t0) / 1e9);
        }
    }

    /** Generated tokens (all rows) per second. */
    public double tokensPerSecond() {
        return completions.tokenCount() / seconds;
    }
}
