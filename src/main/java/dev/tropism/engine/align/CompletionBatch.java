package dev.tropism.engine.align;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.tropism.engine.lm.CausalLm;
import dev.tropism.engine.lm.Sampler.Completions;
import dev.tropism.engine.lm.Sampler.PromptBatch;
import dev.tropism.engine.lm.Tokenizer;
import dev.tropism.engine.nn.Scalars;
import java.util.Arrays;
import java.util.List;

/**
 * Prompts and their completions as the tensors of a training forward: each row is the left-padded prompt followed by
 * its completion, shifted for next-token targets, so that the logits at positions Tp − 1 … Tp + Tc − 2 predict the
 * completion's tokens. Every language-model method scores completions through it, sampled ones (GRPO, RLOO, PPO, …)
 * and given ones (SFT, DPO).
 */
public final class CompletionBatch {

    /** (B, Tp + Tc − 1) int32 token ids. */
    public final NDArray inputs;
    /** (B, Tp + Tc − 1) int32 positions (0 at each prompt's first real token). */
    public final NDArray positions;
    /** (B, Tp + Tc − 1) float32, 0 on left padding. */
    public final NDArray keyMask;
    /** (B, Tc) int64 completion tokens. */
    public final NDArray targets;
    /** (B, Tc) float32, 1 for the completion tokens that count in a loss. */
    public final NDArray mask;
    /** Tp, the padded prompt width. */
    public final int promptWidth;
    /** Tc, the padded completion width. */
    public final int completionWidth;

    private CompletionBatch(NDArray inputs, NDArray positions, NDArray keyMask, NDArray targets, NDArray mask,
            int promptWidth, int completionWidth) {
        this.inputs = inputs;
        this.positions = positions;
        this.keyMask = keyMask;
        this.targets = targets;
        this.mask = mask;
        this.promptWidth = promptWidth;
        this.completionWidth = completionWidth;
    }

    /**
     * The batch of {@code prompts} and their completions {@code c}, in {@code m}.
     *
     * @param maskTruncated whether completions cut at the length limit count for nothing (their mask rows are 0)
     * @param pad the tokenizer's padding id, the target of positions past a completion's end
     */
    public static CompletionBatch of(PromptBatch prompts, Completions c, boolean maskTruncated, int pad, NDManager m) {
        int rows = prompts.tokens().length;
        int tp = prompts.width();
        int tc = 1;
        for (int len : c.lengths()) {
            tc = Math.max(tc, len);
        }
        int width = tp + tc - 1;
        int[] in = new int[rows * width];
        int[] pos = new int[rows * width];
        float[] keyMask = new float[rows * width];
        long[] targets = new long[rows * tc];
        float[] mask = new float[rows * tc];
        for (int b = 0; b < rows; b++) {
            int padding = tp - prompts.lengths()[b];
            // Positions past the row's last token (the padding after a shorter completion) stay at the row's end, so
            // that a batch of rows of different prompt and completion lengths, each within the context, never asks
            // for a position beyond it; nothing real attends to them (causal), and their targets are masked.
            int end = prompts.lengths()[b] + Math.max(1, c.lengths()[b]) - 1;
            int[] completion = c.tokens()[b];
            for (int t = 0; t < width; t++) {
                int tok = t < tp ? prompts.tokens()[b][t] : t - tp < completion.length ? completion[t - tp] : pad;
                in[b * width + t] = tok;
                pos[b * width + t] = Math.min(Math.max(0, t - padding), end);
                keyMask[b * width + t] = t < padding ? 0f : 1f;
            }
            boolean drop = maskTruncated && c.truncated()[b];
            for (int t = 0; t < tc; t++) {
                targets[b * tc + t] = t < c.tokens()[b].length ? c.tokens()[b][t] : pad;
                mask[b * tc + t] = (!drop && t < c.lengths()[b]) ? 1f : 0f;
            }
        }
        return new CompletionBatch(m.create(in, new Shape(rows, width)), m.create(pos, new Shape(rows, width)),
                m.create(keyMask, new Shape(rows, width)), m.create(targets, new Shape(rows, tc)),
                m.create(mask, new Shape(rows, tc)), tp, tc);
    }

    /**
     * Given completions as {@link Completions}: each text is encoded and ends with the end-of-sequence token (when the
     * tokenizer has one), so that a model learns to stop; a completion longer than {@code maxTokens} keeps its first
     * {@code maxTokens} tokens and is marked truncated (it then has no end token).
     */
    public static Completions encode(Tokenizer tokenizer, List<String> texts, int maxTokens) {
        int rows = texts.size();
        int[][] tokens = new int[rows][];
        int[] lengths = new int[rows];
        boolean[] truncated = new boolean[rows];
        int eos = tokenizer.eos();
        for (int b = 0; b < rows; b++) {
            int[] ids = tokenizer.encode(texts.get(b));
            int[] withEnd = eos < 0 ? ids : Arrays.copyOf(ids, ids.length + 1); // no end token if the model has none
            if (eos >= 0) {
                withEnd[ids.length] = eos;
            }
            truncated[b] = withEnd.length > maxTokens;
            tokens[b] = truncated[b] ? Arrays.copyOf(withEnd, maxTokens) : withEnd;
            lengths[b] = tokens[b].length;
        }
        return new Completions(tokens, lengths, truncated, texts.toArray(String[]::new));
    }

    /** Rows {@code rows} of {@code c}, in that order (the kept or paired samples of a rollout). */
    public static Completions select(Completions c, int[] rows) {
        int[][] tokens = new int[rows.length][];
        int[] lengths = new int[rows.length];
        boolean[] truncated = new boolean[rows.length];
        String[] texts = new String[rows.length];
        for (int i = 0; i < rows.length; i++) {
            tokens[i] = c.tokens()[rows[i]];
            lengths[i] = c.lengths()[rows[i]];
            truncated[i] = c.truncated()[rows[i]];
            texts[i] = c.texts()[rows[i]];
        }
        return new Completions(tokens, lengths, truncated, texts);
    }

    /** Lends the forward inputs to {@code m} until it closes, so that a forward's arrays land in {@code m}. */
    public void attachInputs(NDManager m) {
        inputs.tempAttach(m);
        positions.tempAttach(m);
        keyMask.tempAttach(m);
    }

    /** Number of completion tokens that count (the sum of {@link #mask}), at least 1. */
    public double tokenCount() {
        return Math.max(1, mask.sum().getFloat());
    }

    /**
     * The logits that predict the completion tokens: the hidden states of positions Tp − 1 … Tp + Tc − 2, projected
     * onto the vocabulary and divided by {@code temperature}, so that log-probs are those of the distribution the
     * completions were drawn from (as TRL does). Only those positions are projected, not the prompt's.
     */
    public NDArray completionLogits(CausalLm model, double temperature) {
        return completionLogits(model, completionHidden(model), temperature);
    }

    /**
     * The final hidden states of positions Tp − 1 … Tp + Tc − 2, those that predict the completion tokens: what
     * {@link #completionLogits(CausalLm, double)} projects, and what a value head reads (PPO's V(s_t) at the state
     * before token t).
     */
    public NDArray completionHidden(CausalLm model) {
        NDArray hidden = model.hidden(inputs, positions, keyMask, null); // (B, Tp + Tc − 1, d)
        return hidden.get(new NDIndex(":, " + (promptWidth - 1) + ":, :")); // (B, Tc, d)
    }

    /** The logits of {@code completionHidden} (B, Tc, d) from {@link #completionHidden}, divided by {@code temperature}. */
    public static NDArray completionLogits(CausalLm model, NDArray completionHidden, double temperature) {
        NDArray completion = model.logits(completionHidden); // (B, Tc, V)
        return temperature == 1.0 ? completion : completion.div(Scalars.of(completion, temperature));
    }

    /** (B, Tc) log-probabilities of {@code targets} under {@code logits} (B, Tc, V). */
    public static NDArray tokenLogp(NDArray logits, NDArray targets) {
        return logits.logSoftmax(-1).gather(targets.expandDims(-1), -1).squeeze(-1); // (B, Tc)
    }

    /** (B, Tc) log-probs of the completion tokens under {@code model}, with the gradient when it records one. */
    public NDArray logp(CausalLm model, double temperature) {
        return tokenLogp(completionLogits(model, temperature), targets);
    }

    /**
     * (B, Tc) log-probs of the completion tokens under {@code model}, no gradient, kept in {@code m}. A forward's arrays
     * join the manager of its inputs, so the forward runs on inputs lent to a manager of its own: its (B, T, V) logits
     * and every layer's activations are freed here, before the next forward, instead of living through the update.
     */
    public NDArray logpApart(CausalLm model, double temperature, NDManager m) {
        try (NDManager f = m.newSubManager()) {
            attachInputs(f);
            NDArray logp = logp(model, temperature).stopGradient(); // (B, Tc)
            logp.attach(m);
            return logp;
        }
    }

    /** (B) sums over each row's counted tokens of a (B, Tc) per-token array. */
    public NDArray sequenceSum(NDArray perToken) {
        return perToken.mul(mask).sum(new int[] {1}); // (B)
    }
}
