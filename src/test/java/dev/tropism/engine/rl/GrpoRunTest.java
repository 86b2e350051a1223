package dev.tropism.engine.rl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tropism.engine.Engine;
import dev.tropism.engine.MetricNames;
import dev.tropism.engine.RewardFunction;
import dev.tropism.engine.RewardResult;
import dev.tropism.engine.TrainingRun;
import dev.tropism.engine.lm.GptConfig;
import dev.tropism.engine.lm.PretrainConfig;
import dev.tropism.engine.lm.PretrainSpec;
import dev.tropism.engine.rl.GrpoConfig.LossType;
import dev.tropism.engine.rl.GrpoConfig.ScaleRewards;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GRPO on a task that pretraining cannot solve but RL can: the corpus pairs each prompt "a=".."h="
 * equally often with each of "x", "y", "z", so the pretrained model answers any of the three (reward
 * ≈ 1/3); the reward accepts only "x". (A prompt-dependent target, a→x, b→y, c→z, ..., did not
 * move within 40 steps at lr 3e-3: pretraining taught the model that the letter is irrelevant.)
 */
class GrpoRunTest {

    private static final String[] CANDIDATES = {"x", "y", "z"};
    private static final RewardFunction EXACT_MATCH =
            RewardFunction.perSample((item, output) -> RewardResult.of(output.equals(item.get("answer")) ? 1.0 : 0.0));

    @TempDir
    static Path tmp;
    static Path base;
    static List<Map<String, Object>> items = new ArrayList<>();

    @BeforeAll
    static void pretrain() throws IOException {
        List<String> corpus = new ArrayList<>();
        for (int p = 0; p < 8; p++) {
            String prompt = (char) ('a' + p) + "=";
            for (int rep = 0; rep < 4; rep++) {
                for (String c : CANDIDATES) {
                    corpus.add(prompt + c);
                }
            }
            Map<String, Object> item = new LinkedHashMap<>();
            item.put("prompt", prompt);
            item.put("answer", "x");
            items.add(item);
        }
        PretrainSpec spec = new PretrainSpec(new GptConfig(2, 32, 4, 8, 4),
                new PretrainConfig(150, 32, 3e-3, 0.1, 15, 0.0, 1.0, 0, 0.0, 0.0, 500, 8), corpus, 5);
        base = tmp.resolve("base");
        try (TrainingRun run = Engine.open(spec)) {
            for (int i = 0; i < spec.training().maxSteps(); i++) {
                run.trainStep();
            }
            run.exportModel(base);
        }
    }

    private static GrpoConfig config(int maxSteps, int numIterations, double beta) {
        return new GrpoConfig(maxSteps, 8, 8, numIterations, 3e-3, 0, 0.0, 1.0, beta, 0.2, 0.28, ScaleRewards.GROUP,
                LossType.DAPO, false, 3, 1.0, 1.0, 0, 1000, 1.0);
    }

    private static double meanReward(List<Map<String, Double>> steps) {
        return steps.stream().mapToDouble(s -> s.get(MetricNames.TRAIN_REWARD_MEAN)).average().orElseThrow();
    }

    @Test
    void grpoRaisesTheReward() {
        // A gold reward that disagrees with the optimized one: scored at evaluation, never optimized.
        RewardFunction contrary = RewardFunction.perSample((item, output) ->
                RewardResult.of(output.equals(item.get("answer")) ? 0.0 : 1.0));
        GrpoSpec spec = new GrpoSpec(base, config(30, 1, 0.0), items, items, EXACT_MATCH, 1, contrary);
        List<Map<String, Double>> steps = new ArrayList<>();
        double accuracyBefore;
        double accuracyAfter;
        try (TrainingRun run = Engine.open(spec)) {
            Map<String, Double> before = run.evaluate();
            accuracyBefore = before.get(MetricNames.EVAL_ACCURACY);
            assertEquals(1.0 - before.get(MetricNames.EVAL_REWARD_MEAN), before.get(MetricNames.EVAL_GOLD_MEAN), 1e-12);
            for (int i = 0; i < 30; i++) {
                steps.add(run.trainStep());
            }
            Map<String, Double> after = run.evaluate();
            accuracyAfter = after.get(MetricNames.EVAL_ACCURACY);
            assertEquals(1.0 - after.get(MetricNames.EVAL_REWARD_MEAN), after.get(MetricNames.EVAL_GOLD_MEAN), 1e-12);
            assertTrue(after.get(MetricNames.EVAL_GOLD_MEAN) < before.get(MetricNames.EVAL_GOLD_MEAN));
        }
        double first = meanReward(steps.subList(0, 5));
        double last = meanReward(steps.subList(25, 30));
        System.out.printf("GRPO reward %.3f -> %.3f, greedy accuracy %.3f -> %.3f%n", first, last, accuracyBefore,
                accuracyAfter);
        // Pretraining left the three candidates about equally likely.
        assertTrue(first > 0.15 && first < 0.6, "pretrained reward should be near 1/3, got " + first);
        assertTrue(last >= first + 0.3, "reward must rise by a clear margin: " + first + " -> " + last);
        assertTrue(accuracyAfter >= 0.875, "greedy accuracy after GRPO " + accuracyAfter);
        assertTrue(accuracyAfter > accuracyBefore, accuracyBefore + " -> " + accuracyAfter);
    }

    /**
     * PyTorch's grad mode is per thread and on by default; DJL turns it off only on the thread that
     * loaded the engine. A job resumed or queued onto another worker thread must train all the same.
     */
    @Test
    void trainsOnAThreadThatDidNotLoadTheEngine() throws Exception {
        GrpoSpec spec = new GrpoSpec(base, config(2, 1, 0.04), items, items, EXACT_MATCH, 1);
        java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
        Thread worker = new Thread(() -> {
            try (TrainingRun run = Engine.open(spec)) {
                run.trainStep();
                run.evaluate();
                run.trainStep();
            } catch (Throwable t) {
                failure.set(t);
            }
        }, "fresh-worker");
        worker.start();
        worker.join();
        if (failure.get() != null) {
            throw new AssertionError("GRPO on a fresh thread failed", failure.get());
        }
    }

    @Test
    void rewardFunctionErrorsAreCountedAndTheRunGoesOn() {
        RewardFunction reporting = RewardFunction.perSample((item, output) -> "b=".equals(item.get("prompt"))
                ? RewardResult.error("unparseable", "no answer found")
                : RewardResult.of(output.equals(item.get("answer")) ? 1.0 : 0.0));
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        RewardFunction flaky = batch -> {
            if (calls.incrementAndGet() == 2) {
                throw new IllegalStateException("grader crashed");
            }
            return reporting.score(batch);
        };
        GrpoSpec spec = new GrpoSpec(base, config(3, 1, 0.0), items, List.of(), flaky, 1);
        try (TrainingRun run = Engine.open(spec)) {
            for (int i = 0; i < 3; i++) {
                Map<String, Double> m = run.trainStep();
                assertTrue(Double.isFinite(m.get(MetricNames.TRAIN_LOSS)));
                if (i == 1) {
                    // the grader threw: every one of the 64 samples is an error and scores 0
                    assertEquals(64.0, m.get(MetricNames.TRAIN_REWARD_ERRORS));
                    assertEquals(64.0, m.get(MetricNames.trainRewardErrors("exception")));
                    assertEquals(1.0, m.get(MetricNames.TRAIN_FRAC_REWARD_ZERO_STD));
                } else {
                    // 8 prompts per step over 8 items, G = 8: the "b=" group reports 8 errors of its kind
                    assertEquals(8.0, m.get(MetricNames.TRAIN_REWARD_ERRORS), "step " + (i + 1));
                    assertEquals(8.0, m.get(MetricNames.trainRewardErrors("unparseable")));
                    assertTrue(m.get(MetricNames.TRAIN_FRAC_REWARD_ZERO_STD) >= 0.125);
                }
            }
            assertEquals(3, run.step());
        }
    }

    /**
     * DAPO's dynamic sampling on a reward where half the prompts always score 1 (zero-variance groups) and the others
     * score the exact match (mixed groups, about 1/3 right): every step keeps only mixed groups, draws more prompts for
     * the constant ones within its cap, and a resumed run draws the same.
     */
    @Test
    void dynamicSamplingTrainsOnlyOnInformativeGroupsWithinItsCapAndResumesExactly() throws IOException {
        RewardFunction halfConstant = RewardFunction.perSample((item, output) -> RewardResult.of(
                "abcd".indexOf(String.valueOf(item.get("prompt")).charAt(0)) >= 0 ? 1.0
                        : output.equals(item.get("answer")) ? 1.0 : 0.0));
        GrpoConfig plain = config(3, 2, 0.04);
        GrpoConfig dynamic = new GrpoConfig(plain.maxSteps(), plain.promptsPerStep(), plain.numGenerations(),
                plain.numIterations(), plain.learningRate(), plain.warmupSteps(), plain.weightDecay(), plain.gradClip(),
                plain.beta(), plain.epsilonLow(), plain.epsilonHigh(), plain.scaleRewards(), plain.lossType(),
                plain.maskTruncatedCompletions(), plain.maxCompletionLength(), plain.temperature(), plain.topP(),
                plain.evalInterval(), plain.evalLimit(), plain.accuracyThreshold(), true, 3);
        GrpoSpec spec = new GrpoSpec(base, dynamic, items, List.of(), halfConstant, 11);
        List<Map<String, Double>> straight = new ArrayList<>();
        try (TrainingRun run = Engine.open(spec)) {
            for (int i = 0; i < 3; i++) {
                straight.add(run.trainStep());
            }
        }
        for (Map<String, Double> m : straight) {
            assertTrue(m.get(MetricNames.TRAIN_FRAC_REWARD_ZERO_STD_BEFORE_FILTER) >= 0.25, m.toString());
            assertTrue(m.get(MetricNames.TRAIN_SAMPLING_ROUNDS) <= 3, m.toString());
            assertTrue(m.get(MetricNames.TRAIN_RESAMPLED_GROUPS) >= 1, m.toString());
            // Informative groups exist in every rollout (the mixed prompts), so none with zero variance is trained on.
            assertEquals(0.0, m.get(MetricNames.TRAIN_FRAC_REWARD_ZERO_STD), m.toString());
            assertTrue(m.get(MetricNames.TRAIN_REWARD_MEAN) < 0.9, m.toString()); // the all-1 groups were dropped
        }
        Path ckpt = tmp.resolve("grpo-dynamic-ckpt");
        try (TrainingRun run = Engine.open(spec)) {
            run.trainStep();
            run.trainStep();
            run.saveCheckpoint(ckpt);
        }
        try (TrainingRun run = Engine.resume(spec, ckpt)) {
            Map<String, Double> resumed = run.trainStep();
            for (Map.Entry<String, Double> e : straight.get(2).entrySet()) {
                if (!e.getKey().startsWith("perf/")) {
                    assertEquals(e.getValue(), resumed.get(e.getKey()), e.getKey());
                }
            }
        }
    }

    @Test
    void resumedGrpoContinuesExactly() throws IOException {
        // μ = 2 and β > 0 so that the old-policy ratio, the reference KL and AdamW's moments all matter.
        GrpoSpec spec = new GrpoSpec(base, config(3, 2, 0.04), items, List.of(), EXACT_MATCH, 9);
        Map<String, Double> straight;
        try (TrainingRun run = Engine.open(spec)) {
            run.trainStep();
            run.trainStep();
            straight = run.trainStep();
        }
        Path ckpt = tmp.resolve("grpo-ckpt");
        try (TrainingRun run = Engine.open(spec)) {
            run.trainStep();
            run.trainStep();
            run.saveCheckpoint(ckpt);
        }
        Map<String, Double> resumed;
        try (TrainingRun run = Engine.resume(spec, ckpt)) {
            assertEquals(2, run.step());
            resumed = run.trainStep();
            assertEquals(3, run.step());
        }
        assertTrue(straight.get(MetricNames.TRAIN_KL) > 0, "policy moved away from the reference");
        for (Map.Entry<String, Double> e : straight.entrySet()) {
            if (!e.getKey().startsWith("perf/")) {
                assertEquals(e.getValue(), resumed.get(e.getKey()), e.getKey());
            }
        }
    }
}
