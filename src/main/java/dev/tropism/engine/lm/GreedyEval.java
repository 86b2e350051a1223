package dev.tropism.engine.lm;

import ai.djl.ndarray.NDManager;
import dev.tropism.engine.MetricNames;
import dev.tropism.engine.RewardFunction;
import dev.tropism.engine.RewardResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Greedy-decoding evaluation of a language model on prompt items: {@code eval/reward/mean} and
 * {@code eval/accuracy} (share of items whose reward reaches a threshold). Used by pretraining (for
 * early stopping) and by alignment runs.
 */
public final class GreedyEval {

    private static final int BATCH = 250;

    private GreedyEval() {
    }

    /**
     * @param items prompt items (each with a {@code prompt} field); all are evaluated
     * @param maxPromptTokens prompts are cut to their last tokens to fit
     * @param maxNewTokens completion length limit
     * @param threshold an item counts as correct when its reward is at least this
     */
    public static Map<String, Double> evaluate(LanguageModel model, List<Map<String, Object>> items, RewardFunction reward,
            int maxPromptTokens, int maxNewTokens, double threshold, NDManager parent) {
        if (items.isEmpty()) {
            return Map.of();
        }
        double rewardSum = 0;
        int correct = 0;
        for (int i = 0; i < items.size(); i += BATCH) {
            List<Map<String, Object>> chunk = items.subList(i, Math.min(items.size(), i + BATCH));
            List<String> prompts = new ArrayList<>(chunk.size());
            for (Map<String, Object> item : chunk) {
                prompts.add(String.valueOf(item.get("prompt")));
            }
            Sampler.Completions c = Sampler.sample(model, Sampler.PromptBatch.of(model.tokenizer(), prompts, maxPromptTokens),
                    maxNewTokens, Sampler.Decoding.greedy(), true, parent);
            for (int b = 0; b < chunk.size(); b++) {
                double r = safeScore(reward, chunk.get(b), c.texts()[b]).reward();
                r = Double.isFinite(r) ? r : 0.0;
                rewardSum += r;
                correct += r >= threshold ? 1 : 0;
            }
        }
        Map<String, Double> out = new LinkedHashMap<>();
        out.put(MetricNames.EVAL_REWARD_MEAN, rewardSum / items.size());
        out.put(MetricNames.EVAL_ACCURACY, (double) correct / items.size());
        return out;
    }

    /** Calls the reward function, turning an exception into an error result (a grader never kills a run). */
    public static RewardResult safeScore(RewardFunction reward, Map<String, Object> item, String text) {
        try {
            return reward.score(item, text);
        } catch (RuntimeException e) {
            return RewardResult.error("reward function threw " + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }
}
