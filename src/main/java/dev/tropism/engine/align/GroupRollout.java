package dev.tropism.engine.align;

import ai.djl.ndarray.NDManager;
import dev.tropism.engine.RewardBatch;
import dev.tropism.engine.RewardFunction;
import dev.tropism.engine.RewardResult;
import dev.tropism.engine.RewardStats;
import dev.tropism.engine.ScoringContext;
import dev.tropism.engine.lm.LanguageModel;
import dev.tropism.engine.lm.Sampler;
import dev.tropism.engine.lm.Sampler.Completions;
import dev.tropism.engine.lm.Sampler.Decoding;
import dev.tropism.engine.lm.Sampler.PromptBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * G completions sampled for each of P prompts and scored by the reward: rows are grouped by prompt, G consecutive rows
 * per group. The rollout phase of every on-policy method (GRPO, RLOO, PPO, PRIME, online DPO, SuperHF, GFlowNets).
 *
 * @param items the item of each row (what the reward reads), (P·G)
 * @param prompts the prompt text of each row
 * @param batch the rows' left-padded prompt tokens
 * @param completions the sampled completions
 * @param results each row's reward result (errors count as their reward, never throw)
 * @param reward each row's scalar reward
 * @param rolloutNanos time spent sampling
 * @param rewardNanos time spent scoring
 */
public record GroupRollout(List<Map<String, Object>> items, List<String> prompts, PromptBatch batch,
        Completions completions, List<RewardResult> results, double[] reward, long rolloutNanos, long rewardNanos) {

    /** Number of rows (P·G). */
    public int rows() {
        return prompts.size();
    }

    /**
     * Samples {@code g} completions for each of {@code items} from {@code policy} and scores them.
     *
     * @param maxPromptTokens prompts longer than this keep their tail
     * @param maxNew the completion length limit
     */
    public static GroupRollout draw(LanguageModel policy, List<Map<String, Object>> items, int g, int maxPromptTokens,
            int maxNew, Decoding decoding, RewardFunction reward, ScoringContext scoring, NDManager parent) {
        long t0 = System.nanoTime();
        List<String> prompts = new ArrayList<>(items.size() * g);
        List<Map<String, Object>> rowItems = new ArrayList<>(items.size() * g);
        for (Map<String, Object> item : items) {
            for (int i = 0; i < g; i++) {
                prompts.add(String.valueOf(item.get("prompt")));
                rowItems.add(item);
            }
        }
        PromptBatch batch = PromptBatch.of(policy.tokenizer(), prompts, maxPromptTokens);
        Completions completions = Sampler.sample(policy, batch, maxNew, decoding, true, parent);
        long t1 = System.nanoTime();
        List<RewardResult> results = RewardFunction.scoreSafely(reward,
                new RewardBatch(rowItems, List.of(completions.texts()), g, scoring));
        RewardStats scores = new RewardStats(prompts.size());
        scores.addAll(results);
        long t2 = System.nanoTime();
        return new GroupRollout(rowItems, prompts, batch, completions, results, scores.rewards(), t1 - t0, t2 - t1);
    }

    /** The reward statistics of every row (means, per-grader means, errors). */
    public RewardStats stats() {
        RewardStats scores = new RewardStats(results.size());
        scores.addAll(results);
        return scores;
    }

    /**
     * The first {@code limit} kept groups of several rollouts, as one batch (its timings are 0). The rollouts' prompt
     * batches may have different widths, so each row's prompt is taken without its left padding and padded again to
     * the joined batch's width.
     */
    public static GroupRollout join(List<GroupRollout> parts, List<List<Integer>> keptGroups, int g, int limit) {
        List<Map<String, Object>> items = new ArrayList<>();
        List<String> prompts = new ArrayList<>();
        List<int[]> promptRows = new ArrayList<>(); // unpadded
        List<int[]> tokens = new ArrayList<>();
        List<Integer> lengths = new ArrayList<>();
        List<Boolean> truncated = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        List<RewardResult> results = new ArrayList<>();
        int groups = 0;
        for (int p = 0; p < parts.size() && groups < limit; p++) {
            GroupRollout r = parts.get(p);
            for (int group : keptGroups.get(p)) {
                if (groups == limit) {
                    break;
                }
                for (int row = group * g; row < (group + 1) * g; row++) {
                    int[] padded = r.batch.tokens()[row];
                    items.add(r.items.get(row));
                    prompts.add(r.prompts.get(row));
                    promptRows.add(Arrays.copyOfRange(padded, padded.length - r.batch.lengths()[row], padded.length));
                    tokens.add(r.completions.tokens()[row]);
                    lengths.add(r.completions.lengths()[row]);
                    truncated.add(r.completions.truncated()[row]);
                    texts.add(r.completions.texts()[row]);
                    results.add(r.results.get(row));
                }
                groups++;
            }
        }
        int rows = prompts.size();
        int width = 1;
        for (int[] prompt : promptRows) {
            width = Math.max(width, prompt.length);
        }
        int[][] padded = new int[rows][width]; // left padding of 0, masked out, as PromptBatch.of pads
        int[] promptLengths = new int[rows];
        boolean[] cut = new boolean[rows];
        int[] completionLengths = new int[rows];
        for (int b = 0; b < rows; b++) {
            int[] prompt = promptRows.get(b);
            int pad = width - prompt.length;
            System.arraycopy(prompt, 0, padded[b], pad, prompt.length);
            promptLengths[b] = prompt.length;
            cut[b] = truncated.get(b);
            completionLengths[b] = lengths.get(b);
        }
        RewardStats scores = new RewardStats(rows);
        scores.addAll(results);
        return new GroupRollout(items, prompts, new PromptBatch(padded, promptLengths, width),
                new Completions(tokens.toArray(int[][]::new), completionLengths, cut, texts.toArray(String[]::new)),
                results, scores.rewards(), 0, 0);
    }
}
