package dev.tropism.engine.align;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.tropism.engine.ConfigException;
import dev.tropism.engine.Engine;
import dev.tropism.engine.MetricNames;
import dev.tropism.engine.align.DpoRun.LossType;
import dev.tropism.engine.lm.GreedyEval;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DpoRunTest {

    @TempDir
    Path tmp;

    /** For each prompt a= .. h=: "x" preferred over "y" and over "z" (16 pairs). */
    static List<Map<String, Object>> pairs() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map<String, Object> item : LmMethodFixture.items()) {
            for (String rejected : List.of("y", "z")) {
                Map<String, Object> pair = new LinkedHashMap<>();
                pair.put("prompt", item.get("prompt"));
                pair.put("chosen", "x");
                pair.put("rejected", rejected);
                out.add(pair);
            }
        }
        return out;
    }

    private static DpoRun.Config config(int maxSteps, LossType lossType, double beta, double labelSmoothing,
            double learningRate) {
        return new DpoRun.Config(maxSteps, 16, learningRate, 0, 0.0, 1.0, beta, lossType, labelSmoothing, 0, 0, 1000);
    }

    private static LmAlignSpec spec(DpoRun.Config config, List<Map<String, Object>> train, long seed)
            throws IOException {
        return new LmAlignSpec(LmMethodFixture.base(), LmMethodType.DPO, config, train, pairs(), null, null, seed,
                null);
    }

    /** The per-pair losses of policy (−1, −3) and (−2, −1) against a reference of (−2, −2): h = 2 and h = −1. */
    private static float[] losses(LossType type, double beta, double eps) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray pc = m.create(new float[] {-1, -2});
            NDArray pr = m.create(new float[] {-3, -1});
            NDArray ref = m.create(new float[] {-2, -2});
            return DpoRun.loss(pc, pr, ref, ref, type, beta, eps).toFloatArray();
        }
    }

    @Test
    void lossesAtKnownLogRatiosMatchHandValues() {
        // h = (−1 + 2) − (−3 + 2) = 2 and (−2 + 2) − (−1 + 2) = −1; with β = 0.5, β·h = 1 and −0.5.
        // sigmoid: −log σ(1) = log(1 + e^−1) = 0.3132617, −log σ(−0.5) = log(1 + e^0.5) = 0.9740770
        assertThat(losses(LossType.SIGMOID, 0.5, 0)).containsExactly(new float[] {0.3132617f, 0.9740770f},
                within(1e-6f));
        // cDPO, ε = 0.1: (1 − ε)·sp(−βh) + ε·sp(βh) = sp(−βh) + ε·βh (as sp(z) = sp(−z) + z): 0.4132617, 0.9240770
        assertThat(losses(LossType.SIGMOID, 0.5, 0.1)).containsExactly(new float[] {0.4132617f, 0.9240770f},
                within(1e-6f));
        // rDPO, ε = 0.1: [(1 − ε)·sp(−βh) − ε·sp(βh)] / (1 − 2ε) = sp(−βh) − ε·βh/(1 − 2ε): 0.3132617 − 0.125,
        // 0.9740770 + 0.0625
        assertThat(losses(LossType.ROBUST, 0.5, 0.1)).containsExactly(new float[] {0.1882617f, 1.0365770f},
                within(1e-6f));
        // rDPO at ε = 0 is DPO
        assertThat(losses(LossType.ROBUST, 0.5, 0)).containsExactly(losses(LossType.SIGMOID, 0.5, 0), within(0f));
        // IPO, β = 0.5: (h − 1/(2β))² = (2 − 1)², (−1 − 1)²
        assertThat(losses(LossType.IPO, 0.5, 0)).containsExactly(new float[] {1f, 4f}, within(1e-6f));
        // IPO, β = 0.25: (2 − 2)², (−1 − 2)²
        assertThat(losses(LossType.IPO, 0.25, 0)).containsExactly(new float[] {0f, 9f}, within(1e-6f));
        // hinge, β = 0.25: max(0, 1 − 0.5), max(0, 1 + 0.25); β = 0.5: the first pair is past the margin
        assertThat(losses(LossType.HINGE, 0.25, 0)).containsExactly(new float[] {0.5f, 1.25f}, within(1e-6f));
        assertThat(losses(LossType.HINGE, 0.5, 0)).containsExactly(new float[] {0f, 1.5f}, within(1e-6f));
    }

    @Test
    void implicitRewardsAreBetaTimesLogRatios() {
        // policy (−1, −2 | −3, −1), reference (−2, −2 | −2, −2), β = 0.5: chosen 0.5, 0; rejected −0.5, 0.5
        double[] r = DpoRun.rewards(new float[] {-1, -2, -3, -1}, new float[] {-2, -2, -2, -2}, 0.5);
        assertThat(r[0]).as("chosen").isCloseTo(0.25, within(1e-12));
        assertThat(r[1]).as("rejected").isCloseTo(0.0, within(1e-12));
        assertThat(r[2]).as("margins").isCloseTo(0.25, within(1e-12));
        assertThat(r[3]).as("accuracies: the first pair only").isEqualTo(0.5);
    }

    @Test
    void configRejectsLabelSmoothingWhereTheLossHasNone() {
        ConfigException ipo = assertThrows(ConfigException.class, () -> config(5, LossType.IPO, 0.1, 0.1, 1e-3));
        assertThat(ipo.field()).isEqualTo("label_smoothing");
        assertThat(ipo.getMessage()).contains("leave it at 0 for ipo");
        ConfigException robust = assertThrows(ConfigException.class, () -> config(5, LossType.ROBUST, 0.1, 0.5, 1e-3));
        assertThat(robust.field()).isEqualTo("label_smoothing");
        assertThat(assertThrows(ConfigException.class, () -> config(5, LossType.SIGMOID, 0, 0, 1e-3)).field())
                .isEqualTo("beta");
    }

    @Test
    void withTheReferenceEqualToThePolicyTheRewardsAreZeroAndTheLossIsLog2() throws IOException {
        try (DpoRun run = (DpoRun) Engine.open(spec(config(3, LossType.SIGMOID, 0.1, 0, 1e-3), pairs(), 4))) {
            Map<String, Double> eval = run.evaluate();
            assertThat(eval.get(MetricNames.EVAL_LOSS)).isCloseTo(Math.log(2), within(1e-6));
            assertThat(eval.get(MetricNames.EVAL_REWARDS_MARGINS)).isZero();
            assertThat(eval.get(MetricNames.EVAL_REWARDS_ACCURACIES)).as("ties are not wins").isZero();
            Map<String, Double> first = run.trainStep();
            assertThat(first.get(MetricNames.TRAIN_LOSS)).isCloseTo(Math.log(2), within(1e-6));
            assertThat(first.get(MetricNames.TRAIN_REWARDS_CHOSEN)).isCloseTo(0.0, within(1e-7));
            assertThat(first.get(MetricNames.TRAIN_REWARDS_REJECTED)).isCloseTo(0.0, within(1e-7));
            assertThat(first.get(MetricNames.TRAIN_REWARDS_MARGINS)).isCloseTo(0.0, within(1e-7));
            Map<String, Double> second = run.trainStep();
            assertThat(second.get(MetricNames.TRAIN_LOSS)).as("one step moved the policy").isLessThan(Math.log(2));
            assertThat(second.get(MetricNames.TRAIN_REWARDS_MARGINS)).isPositive();
        }
    }

    @Test
    void dpoRaisesPreferenceAccuracyAndTheGreedyAccuracyOfTheChosenAnswer() throws IOException {
        int steps = 20;
        List<Map<String, Double>> trained = new ArrayList<>();
        Map<String, Double> before;
        Map<String, Double> after;
        double greedyBefore;
        double greedyAfter;
        try (DpoRun run = (DpoRun) Engine.open(spec(config(steps, LossType.SIGMOID, 0.1, 0, 3e-3), pairs(), 1))) {
            before = run.evaluate();
            greedyBefore = greedyAccuracy(run);
            for (int i = 0; i < steps; i++) {
                trained.add(run.trainStep());
            }
            after = run.evaluate();
            greedyAfter = greedyAccuracy(run);
        }
        System.out.printf("DPO eval accuracies %.3f -> %.3f, margins %.3f -> %.3f, loss %.3f -> %.3f, greedy accuracy "
                + "of x %.3f -> %.3f%n", before.get(MetricNames.EVAL_REWARDS_ACCURACIES),
                after.get(MetricNames.EVAL_REWARDS_ACCURACIES), before.get(MetricNames.EVAL_REWARDS_MARGINS),
                after.get(MetricNames.EVAL_REWARDS_MARGINS), before.get(MetricNames.EVAL_LOSS),
                after.get(MetricNames.EVAL_LOSS), greedyBefore, greedyAfter);
        assertThat(after.get(MetricNames.EVAL_REWARDS_ACCURACIES)).isEqualTo(1.0);
        assertThat(after.get(MetricNames.EVAL_LOSS)).isLessThan(before.get(MetricNames.EVAL_LOSS) - 0.3);
        assertThat(after.get(MetricNames.EVAL_REWARDS_CHOSEN)).as("x became likelier than under the reference")
                .isPositive();
        assertThat(after.get(MetricNames.EVAL_REWARDS_REJECTED)).isNegative();
        assertThat(greedyAfter).isGreaterThanOrEqualTo(0.875).isGreaterThan(greedyBefore);
        assertThat(LmMethodFixture.mean(trained.subList(steps - 5, steps), MetricNames.TRAIN_REWARDS_ACCURACIES))
                .isEqualTo(1.0);
    }

    @Test
    void everyLossTypeLearnsThePreference() throws IOException {
        Map<LossType, double[]> cases = new LinkedHashMap<>();
        cases.put(LossType.IPO, new double[] {0.5, 0});
        cases.put(LossType.HINGE, new double[] {0.5, 0});
        cases.put(LossType.ROBUST, new double[] {0.1, 0.1});
        cases.put(LossType.SIGMOID, new double[] {0.1, 0.2}); // cDPO
        for (Map.Entry<LossType, double[]> c : cases.entrySet()) {
            DpoRun.Config cfg = config(8, c.getKey(), c.getValue()[0], c.getValue()[1], 3e-3);
            try (DpoRun run = (DpoRun) Engine.open(spec(cfg, pairs(), 2))) {
                for (int i = 0; i < 8; i++) {
                    run.trainStep();
                }
                Map<String, Double> eval = run.evaluate();
                System.out.printf("DPO %s (β %.2f, ε %.2f): eval margins %.3f, accuracies %.3f%n", c.getKey(),
                        c.getValue()[0], c.getValue()[1], eval.get(MetricNames.EVAL_REWARDS_MARGINS),
                        eval.get(MetricNames.EVAL_REWARDS_ACCURACIES));
                assertThat(eval.get(MetricNames.EVAL_REWARDS_MARGINS)).as(c.getKey().name()).isPositive();
                assertThat(eval.get(MetricNames.EVAL_REWARDS_ACCURACIES)).as(c.getKey().name()).isEqualTo(1.0);
            }
        }
    }

    @Test
    void pairsOfMixedLengthsAreCutToMaxLengthAndBatchTogether() throws IOException {
        // block size 8 (max_length 0): a long prompt with a short answer beside a short prompt with a long answer,
        // both cut, in one batch of 12 columns whose rows each fit in 8 positions
        List<Map<String, Object>> mixed = new ArrayList<>(pairs());
        mixed.add(Map.of("prompt", "abcdefgh=", "chosen", "x", "rejected", "y"));
        mixed.add(Map.of("prompt", "a=", "chosen", "xxxxxxxxxx", "rejected", "z"));
        mixed.add(Map.of("prompt", "", "chosen", "x", "rejected", ""));
        DpoRun.Config cfg = new DpoRun.Config(3, 19, 1e-3, 0, 0.0, 1.0, 0.1, LossType.SIGMOID, 0, 0, 0, 1000);
        try (DpoRun run = (DpoRun) Engine.open(spec(cfg, mixed, 5))) {
            Map<String, Double> first = run.trainStep();
            assertThat(first.get(MetricNames.TRAIN_LOSS)).isCloseTo(Math.log(2), within(1e-5));
            assertThat(run.trainStep().get(MetricNames.TRAIN_LOSS)).isFinite();
        }
        ConfigException tooLong = assertThrows(ConfigException.class, () -> Engine.open(spec(
                new DpoRun.Config(3, 4, 1e-3, 0, 0.0, 1.0, 0.1, LossType.SIGMOID, 0, 9, 0, 1000), pairs(), 5)));
        assertThat(tooLong.field()).isEqualTo("max_length");
    }

    @Test
    void resumesExactly() throws IOException {
        LmMethodFixture.assertResumesExactly(spec(config(3, LossType.SIGMOID, 0.1, 0, 3e-3), pairs(), 9),
                tmp.resolve("ckpt"));
    }

    @Test
    void nativeArraysStayFlat() throws IOException {
        LmMethodFixture.assertNativeArraysFlat(spec(config(5, LossType.ROBUST, 0.1, 0.1, 3e-3), pairs(), 3));
    }

    /** Share of the prompts a= .. h= whose greedy completion is "x". */
    private static double greedyAccuracy(DpoRun run) {
        return GreedyEval.evaluate(run.policy(), LmMethodFixture.items(), LmMethodFixture.EXACT_MATCH, 5, 3, 1.0,
                run.root()).get(MetricNames.EVAL_ACCURACY);
    }
}
