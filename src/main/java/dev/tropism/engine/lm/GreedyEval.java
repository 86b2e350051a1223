package dev.tropism.engine.lm;

import ai.djl.ndarray.NDManager;
import dev.tropism.engine.MetricNames;
import dev.tropism.engine.RewardBatch;
import dev.tropism.engine.RewardFunction;
import dev.tropism.engine.RewardStats;
import dev.tropism.engine.ScoringContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Greedy-decoding evaluation of a language model on prompt items: {@code eval/reward/mean}, the mean
 * of each reward component ({@code eval/reward/<grader>/mean}) and {@code eval/accuracy} (share of
 * items whose reward reaches a threshold). With a gold reward (a job's {@code eval_reward_spec}) the
 * same completions are also scored by it, as {@code eval/gold/...}. Used by pretraining (for early
 * stopping) and by alignment runs.
 */
public final class GreedyEval {

    private static final int BATCH = 250;

    private GreedyEval() {
    }

    /** Evaluation with the training reward only and no model context. */
    public static Map<String, Double> evaluate(LanguageModel model, List<Map<String, Object>> items, RewardFunction reward,
            int maxPromptTokens, int maxNewTokens, double threshold, NDManager parent) {
        return evaluate(model, items, reward, null, maxPromptTokens, maxNewTokens, threshold, ScoringContext.NONE, parent);
    }

    /**
     * @param items prompt items (each with a {@code prompt} field); all are evaluated
     * @param gold the evaluation-only reward, or null
     * @param maxPromptTokens prompts are cut to their last tokens to fit
     * @param maxNewTokens completion length limit
     * @param threshold an item counts as correct when its reward is at least this
     * @param context handed to the reward functions (likelihood graders read the policy through it)
     */
    public static Map<String, Double> evaluate(LanguageModel model, List<Map<String, Object>> items, RewardFunction reward,
            RewardFunction gold, int maxPromptTokens, int maxNewTokens, double threshold, ScoringContext context,
            NDManager parent) {
        if (items.isEmpty()) {
            return Map.of();
        }
        RewardStats stats = new RewardStats(items.size());
        RewardStats goldStats = gold == null ? null : new RewardStats(items.size());
        for (int i = 0; i < items.size(); i += BATCH) {
            List<Map<String, Object>> chunk = items.subList(i, Math.min(items.size(), i + BATCH));
            List<String> prompts = new ArrayList<>(chunk.size());
            for (Map<String, Object> item : chunk) {
                prompts.add(String.valueOf(item.get("prompt")));
            }
            Sampler.Completions c = Sampler.sample(model, Sampler.PromptBatch.of(model.tokenizer(), prompts, maxPromptTokens),
                    maxNewTokens, Sampler.Decoding.greedy(), true, parent);
            RewardBatch batch = new RewardBatch(chunk, List.of(c.texts()), 1, context);
            stats.addAll(RewardFunction.scoreSafely(reward, batch));
            if (gold != null) {
                goldStats.addAll(RewardFunction.scoreSafely(gold, batch));
            }
        }
        Map<String, Double> out = new LinkedHashMap<>();
        put(out, stats, MetricNames.EVAL_REWARD_PREFIX, MetricNames.EVAL_REWARD_MEAN, MetricNames.EVAL_ACCURACY, threshold);
        if (goldStats != null) {
            put(out, goldStats, MetricNames.EVAL_GOLD_PREFIX, MetricNames.EVAL_GOLD_MEAN, MetricNames.EVAL_GOLD_ACCURACY,
                    threshold);
        }
        return out;
    }

    private static void put(Map<String, Double> out, RewardStats stats, String prefix, String meanName, String accuracyName,
            double threshold) {
        double[] r = stats.rewards();
        int correct = 0;
        for (double v : r) {
            correct += v >= threshold ? 1 : 0;
        }
        out.put(meanName, stats.mean());
        out.put(accuracyName, (double) correct / r.length);
        stats.componentMeans().forEach((name, mean) -> out.put(MetricNames.component(prefix, name), mean));
    }
}
