package dev.tropism.engine.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.tropism.engine.ScoringContext;
import dev.tropism.engine.nn.Gradients;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The {@link ScoringContext} of a language-model run: log-probabilities under the policy, and
 * reference completions sampled from the frozen reference model (cached per prompt, since the
 * reference never changes and its samples are seeded by the prompt).
 *
 * <p>Not thread-safe: a run scores its batches one at a time on its own thread.
 */
public final class LmScoringContext implements ScoringContext {

    private static final int MAX_CACHED_PROMPTS = 4096;
    private static final int CHUNK = 128;

    private final LanguageModel policy;
    private final LanguageModel reference;
    private final long seed;
    private final int maxPromptTokens;
    private final int maxNewTokens;
    private final double temperature;
    private final double topP;
    private final NDManager parent;
    private final Map<String, List<String>> referenceCache = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, List<String>> eldest) {
            return size() > MAX_CACHED_PROMPTS;
        }
    };

    /**
     * @param policy the model whose log-probabilities are asked for
     * @param reference the frozen model reference completions come from
     * @param maxPromptTokens prompts are cut to their last tokens to fit
     * @param maxNewTokens length limit of reference completions
     */
    public LmScoringContext(LanguageModel policy, LanguageModel reference, long seed, int maxPromptTokens,
            int maxNewTokens, double temperature, double topP, NDManager parent) {
        this.policy = policy;
        this.reference = reference;
        this.seed = seed;
        this.maxPromptTokens = maxPromptTokens;
        this.maxNewTokens = maxNewTokens;
        this.temperature = temperature;
        this.topP = topP;
        this.parent = parent;
    }

    @Override
    public Likelihood[] likelihoods(List<String> contexts, List<String> targets) {
        if (contexts.size() != targets.size()) {
            throw new IllegalArgumentException(contexts.size() + " contexts but " + targets.size() + " targets");
        }
        Gradients.gradModeOff();
        Likelihood[] out = new Likelihood[contexts.size()];
        for (int from = 0; from < out.length; from += CHUNK) {
            int to = Math.min(out.length, from + CHUNK);
            chunk(contexts.subList(from, to), targets.subList(from, to), out, from);
        }
        return out;
    }

    /**
     * One forward pass over rows BOS ⊕ context ⊕ target, left-padded; the context is cut from the left
     * so that the whole target fits the block (a target longer than the block keeps its head).
     */
    private void chunk(List<String> contexts, List<String> targets, Likelihood[] out, int offset) {
        Tokenizer tok = policy.tokenizer();
        int block = policy.lm().contextLength();
        int rows = contexts.size();
        int[][] seqs = new int[rows][];
        int[] targetLen = new int[rows];
        int width = 2;
        for (int b = 0; b < rows; b++) {
            int[] target = tok.encode(targets.get(b));
            int tl = Math.min(target.length, block - 1);
            int[] ctx = tok.encode(contexts.get(b));
            int cl = Math.min(ctx.length, block - 1 - tl);
            int[] head = tok.start(Arrays.copyOfRange(ctx, ctx.length - cl, ctx.length)); // BOS ⊕ context
            int[] row = Arrays.copyOf(head, head.length + tl);
            System.arraycopy(target, 0, row, head.length, tl);
            seqs[b] = row;
            targetLen[b] = tl;
            width = Math.max(width, row.length);
        }
        int[] in = new int[rows * width];
        int[] pos = new int[rows * width];
        float[] keyMask = new float[rows * width];
        long[] next = new long[rows * width]; // the token each position predicts (PAD where unused)
        float[] targetMask = new float[rows * width];
        for (int b = 0; b < rows; b++) {
            int[] row = seqs[b];
            int pad = width - row.length;
            for (int t = 0; t < row.length; t++) {
                in[b * width + pad + t] = row[t];
                pos[b * width + pad + t] = t;
                keyMask[b * width + pad + t] = 1f;
            }
            // position p (in row coordinates) predicts row[p + 1]; the target starts at row.length − tl
            for (int p = row.length - 1 - targetLen[b]; p < row.length - 1; p++) {
                next[b * width + pad + p] = row[p + 1];
                targetMask[b * width + pad + p] = 1f;
            }
        }
        try (NDManager m = parent.newSubManager()) {
            NDArray logits = policy.lm().forward(m.create(in, new Shape(rows, width)), m.create(pos, new Shape(rows, width)),
                    m.create(keyMask, new Shape(rows, width)), null); // (B, T, V)
            NDArray logp = logits.logSoftmax(-1)
                    .gather(m.create(next, new Shape(rows, width)).expandDims(-1), -1).squeeze(-1); // (B, T)
            NDArray mask = m.create(targetMask, new Shape(rows, width)); // (B, T)
            float[] logSums = logp.mul(mask).sum(new int[] {1}).toFloatArray(); // (B)
            float[] probSums = logp.exp().mul(mask).sum(new int[] {1}).toFloatArray(); // (B)
            for (int b = 0; b < rows; b++) {
                int n = targetLen[b];
                out[offset + b] = n == 0 ? new Likelihood(Double.NaN, Double.NaN, 0)
                        : new Likelihood(logSums[b] / n, probSums[b] / n, n);
            }
        }
    }

    @Override
    public List<String> referenceCompletions(Map<String, Object> item, int m) {
        String prompt = String.valueOf(item.get("prompt"));
        // Keyed by (m, prompt): the first m of M > m samples differ from m samples drawn on their own (the
        // rows share one random stream), and a resumed run must get what the first run got.
        String key = m + "\u0000" + prompt;
        List<String> cached = referenceCache.get(key);
        if (cached != null) {
            return cached;
        }
        Gradients.gradModeOff();
        List<String> prompts = new ArrayList<>(m);
        for (int i = 0; i < m; i++) {
            prompts.add(prompt);
        }
        Sampler.PromptBatch batch = Sampler.PromptBatch.of(reference.tokenizer(), prompts, maxPromptTokens);
        Random rng = new Random(seed * 31L + prompt.hashCode());
        Sampler.Completions c = Sampler.sample(reference, batch, maxNewTokens,
                new Sampler.Decoding(temperature, topP, rng), true, parent);
        List<String> texts = List.of(c.texts());
        referenceCache.put(key, texts);
        return texts;
    }
}
