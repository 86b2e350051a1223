package dev.tropism.engine.lm;

import ai.djl.ndarray.NDManager;
import dev.tropism.engine.ConfigException;
import dev.tropism.engine.RewardBatch;
import dev.tropism.engine.RewardFunction;
import dev.tropism.engine.RewardResult;
import dev.tropism.engine.nn.Gradients;
import dev.tropism.engine.lm.Sampler.Completions;
import dev.tropism.engine.lm.Sampler.Decoding;
import dev.tropism.engine.lm.Sampler.PromptBatch;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A reward-spec dry-run: samples G completions of each prompt from a language model and scores them with
 * the reward function, without training. The rollout and the reward call are those of a GRPO step
 * (Shao et al. 2024, "DeepSeekMath", Sec. 4.1.2): the same {@link Sampler} with KV cache, temperature
 * and top-p, G consecutive samples per prompt as one {@link RewardBatch} group, and an
 * {@link LmScoringContext} whose policy and reference are both the model, as at a run's first step. So
 * the rewards seen here are those the first training step would see, before any budget is spent.
 */
public final class LmDryRun {

    /** Rows (prompts × G) sampled and scored together: bounds the KV cache and logits of one batch. */
    static final int ROWS_PER_BATCH = 256;
    /** Mixed into the seed for the prompt subsample, so that it does not replay the token stream. */
    private static final long SUBSAMPLE_SALT = 0x5DEECE66DL;

    private LmDryRun() {
    }

    /**
     * One scored sample.
     *
     * @param item its dataset line (the same map for the G samples of a prompt)
     * @param output the completion, without the end-of-sequence marker
     * @param tokens generated tokens that count (up to and including EOS)
     * @param truncated whether it hit max_new_tokens without EOS
     */
    public record Scored(Map<String, Object> item, String output, int tokens, boolean truncated, RewardResult result) {
    }

    /**
     * @param samples prompt-major: samples {@code i·G .. i·G + G − 1} answer prompt i
     * @param samplingSeconds wall time spent generating
     * @param scoringSeconds wall time spent in the reward function
     * @param totalSeconds wall time of the whole run, loading the model included
     */
    public record Result(List<Scored> samples, int samplesPerPrompt, double samplingSeconds, double scoringSeconds,
            double totalSeconds) {
    }

    /**
     * Runs the dry-run on the model saved in {@code modelDir}. Checks the thread's interrupt flag between
     * batches.
     *
     * @param dataset prompt items (each with a {@code prompt} field)
     * @throws ConfigException when max_new_tokens leaves no room for the prompt in the model's block
     * @throws InterruptedException when the thread was interrupted (a shutdown)
     */
    public static Result run(Path modelDir, List<Map<String, Object>> dataset, RewardFunction reward, DryRunConfig cfg)
            throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        // PyTorch's grad mode is per thread and on by default: sampling must not build graphs.
        Gradients.gradModeOff();
        List<Map<String, Object>> items = select(dataset, cfg.limit(), cfg.seed());
        int g = cfg.samplesPerPrompt();
        int promptsPerBatch = Math.max(1, ROWS_PER_BATCH / g);
        Random rng = new Random(cfg.seed()); // one stream for every token: reproducible from the seed alone
        List<Scored> out = new ArrayList<>(items.size() * g);
        long samplingNanos = 0;
        long scoringNanos = 0;
        // A dry run is no job: like serving, it runs on DJL's default device (GPU 0 where there is one).
        try (NDManager root = NDManager.newBaseManager(ai.djl.engine.Engine.getInstance().defaultDevice());
                LanguageModel model = LanguageModel.load(modelDir, root)) {
            int block = model.lm().contextLength();
            int maxPromptTokens = block - cfg.maxNewTokens();
            ConfigException.require(maxPromptTokens >= 2, "max_new_tokens", "must leave room for the prompt within"
                    + " the model's block_size of " + block + " tokens (at most " + (block - 2) + "), got "
                    + cfg.maxNewTokens());
            for (int from = 0; from < items.size(); from += promptsPerBatch) {
                if (Thread.interrupted()) {
                    throw new InterruptedException("dry-run interrupted after " + out.size() + " samples");
                }
                List<Map<String, Object>> chunk = items.subList(from, Math.min(items.size(), from + promptsPerBatch));
                List<String> prompts = new ArrayList<>(chunk.size() * g);
                List<Map<String, Object>> rowItems = new ArrayList<>(chunk.size() * g);
                for (Map<String, Object> item : chunk) {
                    for (int k = 0; k < g; k++) {
                        prompts.add(String.valueOf(item.get("prompt")));
                        rowItems.add(item);
                    }
                }
                try (NDManager m = root.newSubManager()) { // everything of this batch dies with it
                    long a = System.nanoTime();
                    Completions c = Sampler.sample(model, PromptBatch.of(model.tokenizer(), prompts, maxPromptTokens),
                            cfg.maxNewTokens(), new Decoding(cfg.temperature(), cfg.topP(), rng), true, m);
                    long b = System.nanoTime();
                    LmScoringContext context = new LmScoringContext(model, model, cfg.seed(), maxPromptTokens,
                            cfg.maxNewTokens(), cfg.temperature(), cfg.topP(), m);
                    List<RewardResult> results = RewardFunction.scoreSafely(reward,
                            new RewardBatch(rowItems, List.of(c.texts()), g, context));
                    long e = System.nanoTime();
                    samplingNanos += b - a;
                    scoringNanos += e - b;
                    for (int r = 0; r < rowItems.size(); r++) {
                        out.add(new Scored(rowItems.get(r), c.texts()[r], c.lengths()[r], c.truncated()[r], results.get(r)));
                    }
                }
            }
        }
        return new Result(out, g, samplingNanos / 1e9, scoringNanos / 1e9, (System.nanoTime() - t0) / 1e9);
    }

    /**
     * The items used: all of them when there are at most {@code limit}, else a uniform subsample of
     * {@code limit} drawn with the seed (a seeded shuffle's head), kept in dataset order. Prompt files are
     * often sorted (by difficulty, by source), so their head would be a biased sample.
     */
    static List<Map<String, Object>> select(List<Map<String, Object>> dataset, int limit, long seed) {
        if (dataset.size() <= limit) {
            return dataset;
        }
        List<Integer> order = new ArrayList<>(dataset.size());
        for (int i = 0; i < dataset.size(); i++) {
            order.add(i);
        }
        Collections.shuffle(order, new Random(seed ^ SUBSAMPLE_SALT));
        List<Integer> chosen = new ArrayList<>(order.subList(0, limit));
        Collections.sort(chosen);
        List<Map<String, Object>> out = new ArrayList<>(limit);
        for (int i : chosen) {
            out.add(dataset.get(i));
        }
        return out;
    }
}
