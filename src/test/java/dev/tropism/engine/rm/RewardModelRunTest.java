package dev.tropism.engine.rm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import dev.tropism.engine.ConfigException;
import dev.tropism.engine.Engine;
import dev.tropism.engine.MetricNames;
import dev.tropism.engine.TrainingRun;
import dev.tropism.engine.lm.GptConfig;
import dev.tropism.engine.lm.PretrainConfig;
import dev.tropism.engine.lm.PretrainSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reward-model training on synthetic preferences with a prompt-dependent rule: for the prompt "c=" the
 * chosen response is the successor letter of c (cyclic over 12 letters), the rejected one any other
 * letter. A quarter of the 132 pairs is held out, so every held-out rejected sequence is one the model
 * never saw: scoring it low needs the rule, not a memorized list. The base model is pretrained for 100
 * steps on "c=succ(c)" lines, as a reward model starts from a policy that knows the domain.
 */
class RewardModelRunTest {

    private static final int LETTERS = 12;

    @TempDir
    static Path tmp;
    static Path base;
    static final List<PreferencePair> train = new ArrayList<>();
    static final List<PreferencePair> heldOut = new ArrayList<>();

    private static String letter(int i) {
        return String.valueOf((char) ('a' + i % LETTERS));
    }

    @BeforeAll
    static void pretrainBaseAndMakePairs() throws IOException {
        List<String> corpus = new ArrayList<>();
        for (int rep = 0; rep < 4; rep++) {
            for (int c = 0; c < LETTERS; c++) {
                corpus.add(letter(c) + "=" + letter(c + 1));
            }
        }
        PretrainSpec spec = new PretrainSpec(new GptConfig(2, 32, 4, 8, 4),
                new PretrainConfig(100, 32, 3e-3, 0.1, 10, 0.0, 1.0, 0, 0.0, 0.0, 500, 8), corpus, 5);
        base = tmp.resolve("base");
        try (TrainingRun run = Engine.open(spec)) {
            for (int i = 0; i < spec.training().maxSteps(); i++) {
                run.trainStep();
            }
            run.exportModel(base);
        }
        Random rng = new Random(1);
        for (int c = 0; c < LETTERS; c++) {
            for (int w = 0; w < LETTERS; w++) {
                if (w != (c + 1) % LETTERS) {
                    PreferencePair p = new PreferencePair(letter(c) + "=", letter(c + 1), letter(w));
                    (rng.nextDouble() < 0.25 ? heldOut : train).add(p);
                }
            }
        }
    }

    private static RewardModelConfig config(int maxSteps, double center) {
        return new RewardModelConfig(maxSteps, 32, 3e-3, 5, 0.0, 1.0, 50, 0.1, 1000, 0, center);
    }

    @Test
    void heldOutPairwiseAccuracyRisesClearlyAboveChance() {
        RewardModelSpec spec = new RewardModelSpec(base, config(250, 0.0), train, heldOut, 3);
        long start = System.nanoTime();
        Map<String, Double> before;
        Map<String, Double> after;
        List<Double> losses = new ArrayList<>();
        try (TrainingRun run = Engine.open(spec)) {
            assertThat(run.evalInterval()).isEqualTo(50);
            before = run.evaluate();
            while (run.step() < run.totalSteps()) {
                losses.add(run.trainStep().get(MetricNames.TRAIN_LOSS));
            }
            after = run.evaluate();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("reward model: %d train / %d held-out pairs, held-out accuracy %.3f -> %.3f, loss %.3f -> %.3f,"
                + " ECE %.3f -> %.3f, %d steps in %.1f s%n", train.size(), heldOut.size(),
                before.get(MetricNames.EVAL_ACCURACY), after.get(MetricNames.EVAL_ACCURACY),
                before.get(MetricNames.EVAL_LOSS), after.get(MetricNames.EVAL_LOSS),
                before.get(MetricNames.EVAL_CALIBRATION_ECE), after.get(MetricNames.EVAL_CALIBRATION_ECE),
                losses.size(), seconds);
        assertThat(heldOut).hasSizeGreaterThan(25);
        assertThat(before.get(MetricNames.EVAL_ACCURACY)).as("a fresh head is at chance").isBetween(0.2, 0.7);
        assertThat(after.get(MetricNames.EVAL_ACCURACY)).as("held-out pairwise accuracy").isGreaterThanOrEqualTo(0.8);
        assertThat(after.get(MetricNames.EVAL_LOSS)).isLessThan(before.get(MetricNames.EVAL_LOSS));
        assertThat(after.get(MetricNames.EVAL_CALIBRATION_ECE)).isBetween(0.0, 0.5);
        double first = losses.subList(0, 10).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        double last = losses.subList(240, 250).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        assertThat(last).as("train loss").isLessThan(first / 2);
        // No bound on the time: about 2 s on an idle 2-core machine, but this VM is shared and noisy (DJL notes).
    }

    @Test
    void resumedRunContinuesExactly() throws IOException {
        // centering on, so that every term of the loss matters; no eval set: 10% of train is held out
        RewardModelSpec spec = new RewardModelSpec(base, config(5, 0.01), train, List.of(), 9);
        Map<String, Double> straight;
        try (TrainingRun run = Engine.open(spec)) {
            assertThat(run.evalInterval()).as("a share of train is held out").isEqualTo(50);
            run.trainStep();
            run.trainStep();
            straight = run.trainStep();
        }
        Path ckpt = tmp.resolve("rm-ckpt");
        try (TrainingRun run = Engine.open(spec)) {
            run.trainStep();
            run.trainStep();
            run.saveCheckpoint(ckpt);
        }
        Map<String, Double> resumed;
        try (TrainingRun run = Engine.resume(spec, ckpt)) {
            assertThat(run.step()).isEqualTo(2);
            resumed = run.trainStep();
        }
        for (Map.Entry<String, Double> e : straight.entrySet()) {
            if (!e.getKey().startsWith("perf/")) {
                assertThat(resumed.get(e.getKey())).as(e.getKey()).isEqualTo(e.getValue());
            }
        }
    }

    @Test
    void exportedModelScoresLikeTheTrainedOneAndTruncatesFromTheLeft() throws IOException {
        RewardModelSpec spec = new RewardModelSpec(base, config(20, 0.0), train, heldOut, 4);
        Path exported = tmp.resolve("rm-export");
        List<String> prompts = List.of("a=", "a=", "b=", "a=");
        List<String> completions = List.of("b", "c", "c", "b" + "x".repeat(20)); // the last is longer than block_size
        double[] inRun;
        try (RewardModelRun run = (RewardModelRun) Engine.open(spec)) {
            while (run.step() < run.totalSteps()) {
                run.trainStep();
            }
            inRun = run.model().score(prompts, completions);
            run.exportModel(exported);
        }
        try (NDManager m = NDManager.newBaseManager(); RewardModel rm = RewardModel.load(exported, m)) {
            assertThat(rm.maxLength()).isEqualTo(8);
            double[] loaded = rm.score(prompts, completions);
            for (int i = 0; i < loaded.length; i++) {
                assertThat(loaded[i]).as("score %d", i).isCloseTo(inRun[i], org.assertj.core.data.Offset.offset(1e-5));
            }
            // one at a time (no padding) gives the batched scores
            assertThat(rm.score(List.of("b="), List.of("c"))[0]).isCloseTo(loaded[2],
                    org.assertj.core.data.Offset.offset(1e-5));
            // kept: the last 8 tokens, i.e. "xxxxxxx" + EOS, whatever the prompt
            assertThat(rm.score(List.of("zzzz"), List.of("x".repeat(7)))[0]).isCloseTo(
                    rm.score(List.of("q"), List.of("x".repeat(30)))[0], org.assertj.core.data.Offset.offset(1e-5));
            rm.close();
            assertThatThrownBy(() -> rm.score(prompts, completions)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void maxLengthBeyondTheBaseModelsBlockSizeIsRejected() {
        RewardModelConfig tooLong = new RewardModelConfig(5, 4, 1e-3, 0, 0.0, 1.0, 0, 0.1, 10, 9, 0.0);
        assertThatThrownBy(() -> Engine.open(new RewardModelSpec(base, tooLong, train, List.of(), 1)))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.field()).isEqualTo("max_length"));
    }
}
