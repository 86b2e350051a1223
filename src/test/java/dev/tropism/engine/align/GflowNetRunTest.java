package dev.tropism.engine.align;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.google.gson.Gson;
import dev.tropism.engine.ConfigException;
import dev.tropism.engine.Engine;
import dev.tropism.engine.MetricNames;
import dev.tropism.engine.RewardFunction;
import dev.tropism.engine.RewardResult;
import dev.tropism.engine.TrainingRun;
import dev.tropism.engine.align.GflowNetRun.LossType;
import dev.tropism.engine.nn.Gradients;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GflowNetRunTest {

    /** Two correct answers: 1 for "x" or "y", 0 for "z" (and anything else). */
    static final RewardFunction X_OR_Y = RewardFunction.perSample(
            (item, output) -> RewardResult.of(output.equals("x") || output.equals("y") ? 1.0 : 0.0));

    @TempDir
    Path tmp;

    private static GflowNetRun.Config config(int maxSteps, LossType loss, double learningRate) {
        return new GflowNetRun.Config(maxSteps, 4, 8, loss, 1.0, 1e-6, learningRate, 0.1, 0.9, 16, 0.25, 0, 0.0, 1.0,
                3, 1.0, 1.0, 0, 1000, 1.0, 8);
    }

    private static LmAlignSpec spec(GflowNetRun.Config config, long seed) throws IOException {
        return new LmAlignSpec(LmMethodFixture.base(), LmMethodType.GFLOWNET, config, LmMethodFixture.items(),
                LmMethodFixture.items(), X_OR_Y, null, seed, null);
    }

    @Test
    void trajectoryBalanceMatchesHandValues() {
        // log Z = 0.5, Σ log π = −2, R = e, T = 1: δ = 0.5 − 2 − 1 = −2.5, δ² = 6.25.
        // log Z = 0, Σ log π = log 0.25, R = 0.5 at T = 0.5: log R̃ = 2 log 0.5 = log 0.25, δ = 0 (balanced).
        double logR1 = GflowNetRun.logReward(Math.E, 1e-12, 1.0);
        double logR2 = GflowNetRun.logReward(0.5, 1e-12, 0.5);
        assertThat(logR1).isCloseTo(1.0, within(1e-9));
        assertThat(logR2).isCloseTo(Math.log(0.25), within(1e-9));
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray delta = GflowNetRun.trajectoryBalance(m.create(new float[] {0.5f, 0f}),
                    m.create(new float[] {-2f, (float) Math.log(0.25)}), m.create(new float[] {(float) logR1,
                            (float) logR2}));
            float[] d = delta.toFloatArray();
            assertThat((double) d[0]).isCloseTo(-2.5, within(1e-6));
            assertThat((double) d[1]).isCloseTo(0.0, within(1e-6));
            assertThat((double) delta.square().getFloat(0)).isCloseTo(6.25, within(1e-5));
            assertThat((double) delta.square().mean().getFloat()).isCloseTo(3.125, within(1e-5));
        }
        // The log Z table's gradient, (2/B)·Σ_{b: x_b = x} δ_b, is autograd's: rows 0 and 1 share prompt 0, row 2 has prompt 1.
        float[] sequenceLogp = {-2f, -1f, -3f};
        float[] logReward = {1f, -4f, 0.5f};
        Gradients.COLLECTOR_LOCK.lock();
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray table = m.create(new float[] {0.5f, -1f}); // (2) log Z per prompt
            table.setRequiresGradient(true);
            float[] residuals;
            try (GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                NDArray rowLogZ = table.get(m.create(new long[] {0, 0, 1})); // (3)
                NDArray delta = GflowNetRun.trajectoryBalance(rowLogZ, m.create(sequenceLogp), m.create(logReward));
                residuals = delta.stopGradient().toFloatArray();
                gc.backward(delta.square().mean());
            }
            float[] autograd = table.getGradient().toFloatArray();
            Map<Integer, Double> analytic = GflowNetRun.logZGradient(new int[] {0, 0, 1}, residuals);
            // δ = (0.5 − 2 − 1, 0.5 − 1 + 4, −1 − 3 − 0.5) = (−2.5, 3.5, −4.5): (2/3)(−2.5 + 3.5) and (2/3)(−4.5)
            assertThat(analytic.get(0)).isCloseTo(2.0 / 3, within(1e-6)).isCloseTo(autograd[0], within(1e-5));
            assertThat(analytic.get(1)).isCloseTo(-3.0, within(1e-6)).isCloseTo(autograd[1], within(1e-5));
        } finally {
            Gradients.COLLECTOR_LOCK.unlock();
        }
        // Zero and negative rewards sit at the floor: log ε / T.
        assertThat(GflowNetRun.logReward(0, 1e-6, 2.0)).isCloseTo(Math.log(1e-6) / 2, within(1e-12));
        assertThat(GflowNetRun.logReward(-3, 1e-6, 1.0)).isCloseTo(Math.log(1e-6), within(1e-12));
        assertThat(GflowNetRun.logReward(Double.NaN, 1e-6, 1.0)).isCloseTo(Math.log(1e-6), within(1e-12));
    }

    @Test
    void subTrajectoryBalanceMatchesAHandExample() {
        // Row 0: y1 y2 ⊤ (n = 2, states s0 s1 s2). Row 1: y1 ⊤ (n = 1); its position 2 is padding (junk, masked).
        float[] tokenLogp = {-0.5f, -1.0f, -0.2f, -0.3f, -0.4f, 5.0f};
        float[] eosLogp = {-2.0f, -1.5f, -0.2f, -1.2f, -0.4f, 7.0f};
        float[] logR = {-3.0f, -1.0f, 0.0f, -2.0f, -0.5f, 0.0f};
        // δ_i = ℓR_i + log π(y_{i+1}|s_i) + log π(⊤|s_{i+1}) − ℓR_{i+1} − log π(⊤|s_i)
        // row 0: δ0 = −3 − 0.5 − 1.5 + 1 + 2 = −2, δ1 = −1 − 1 − 0.2 − 0 + 1.5 = −0.7
        // row 1: δ0 = −2 − 0.3 − 0.4 + 0.5 + 1.2 = −1
        // λ = 0.5: [δ0² + δ1² + λ(δ0 + δ1)²] + [δ0²] = 4 + 0.49 + 3.645 + 1 = 9.135 over weights (1 + 1 + λ) + 1 = 3.5
        double expected = 9.135 / 3.5;
        try (NDManager m = NDManager.newBaseManager()) {
            Shape shape = new Shape(2, 3);
            NDArray loss = GflowNetRun.subTrajectoryBalance(m.create(tokenLogp, shape), m.create(eosLogp, shape),
                    m.create(logR, shape), new int[] {2, 1}, 0.5);
            assertThat((double) loss.getFloat()).isCloseTo(expected, within(1e-5));
            // λ = 1: (4 + 0.49 + 7.29 + 1) / 4
            NDArray flat = GflowNetRun.subTrajectoryBalance(m.create(tokenLogp, shape), m.create(eosLogp, shape),
                    m.create(logR, shape), new int[] {2, 1}, 1.0);
            assertThat((double) flat.getFloat()).isCloseTo(12.78 / 4, within(1e-5));
            // completions that end at once have no transition: nothing to balance
            NDArray none = GflowNetRun.subTrajectoryBalance(m.create(tokenLogp, shape), m.create(eosLogp, shape),
                    m.create(logR, shape), new int[] {0, 0}, 1.0);
            assertThat((double) none.getFloat()).isZero();
        }
    }

    @Test
    void replayBufferKeepsTheBestDistinctCompletionsPerPrompt() {
        ReplayBuffer buffer = new ReplayBuffer(2);
        buffer.add(0, entry("z", 0.0));
        buffer.add(0, entry("x", 1.0));
        buffer.add(0, entry("x", 1.0)); // same text: not again
        buffer.add(0, entry("y", 1.0)); // ties keep the older first; "z" falls out
        buffer.add(0, entry("w", 0.5)); // below both: not kept
        buffer.add(1, entry("z", 0.0));
        assertThat(buffer.of(0)).extracting(ReplayBuffer.Entry::text).containsExactly("x", "y");
        assertThat(buffer.of(1)).extracting(ReplayBuffer.Entry::text).containsExactly("z");
        assertThat(buffer.of(2)).isEmpty();
        assertThat(buffer.draw(1, new Random(1)).text()).isEqualTo("z");
        ReplayBuffer restored = new ReplayBuffer(2, buffer.entries());
        assertThat(restored.entries()).usingRecursiveComparison().isEqualTo(buffer.entries());
        ReplayBuffer off = new ReplayBuffer(0);
        off.add(0, entry("x", 1.0));
        assertThat(off.of(0)).isEmpty();
    }

    private static ReplayBuffer.Entry entry(String text, double reward) {
        return new ReplayBuffer.Entry(text, new int[] {text.charAt(0)}, reward, null);
    }

    @Test
    void configRejectsBadValuesAtTheirKeys() {
        GflowNetRun.Config d = GflowNetRun.Config.DEFAULT;
        ConfigException loss = assertThrows(ConfigException.class, () -> new GflowNetRun.Config(d.maxSteps(),
                d.promptsPerStep(), d.numGenerations(), null, 1.0, 1e-6, 3e-4, 0.1, 1.0, 16, 0.25, 5, 0.0, 1.0, 8, 1.0,
                1.0, 25, 1000, 1.0, 8));
        assertThat(loss.field()).isEqualTo("loss_type");
        ConfigException floor = assertThrows(ConfigException.class, () -> new GflowNetRun.Config(d.maxSteps(),
                d.promptsPerStep(), d.numGenerations(), LossType.SUBTB, 1.0, 0.0, 3e-4, 0.1, 1.0, 16, 0.25, 5, 0.0, 1.0,
                8, 1.0, 1.0, 25, 1000, 1.0, 8));
        assertThat(floor.field()).isEqualTo("reward_floor");
        ConfigException ratio = assertThrows(ConfigException.class, () -> new GflowNetRun.Config(d.maxSteps(),
                d.promptsPerStep(), d.numGenerations(), LossType.SUBTB, 1.0, 1e-6, 3e-4, 0.1, 1.0, 16, 1.5, 5, 0.0, 1.0,
                8, 1.0, 1.0, 25, 1000, 1.0, 8));
        assertThat(ratio.field()).isEqualTo("replay_ratio");
        assertThat(d.replayRows()).isEqualTo(2);
    }

    /**
     * The pretrained base answers x, y and z about equally; x and y are correct. The GFlowNet's target puts half its
     * mass on each correct answer, so the reward rises while both stay in use: about 2 distinct correct answers per
     * prompt.
     */
    @Test
    void trajectoryBalanceRaisesTheRewardAndKeepsBothCorrectAnswers() throws IOException {
        List<Map<String, Double>> trained = trainAndReport(LossType.TRAJECTORY_BALANCE, 1);
        assertThat(trained.get(trained.size() - 1).get(MetricNames.TRAIN_REPLAY_FRACTION)).isCloseTo(0.25,
                within(1e-9));
    }

    @Test
    void subTrajectoryBalanceRaisesTheRewardAndKeepsBothCorrectAnswers() throws IOException {
        trainAndReport(LossType.SUBTB, 2);
    }

    /**
     * 20 steps of {@code loss} from the base, evaluated before and after; prints the measurements and asserts that the
     * reward rose while both correct answers stayed in use. Returns the steps' metrics.
     */
    private List<Map<String, Double>> trainAndReport(LossType loss, long seed) throws IOException {
        int steps = 20;
        List<Map<String, Double>> trained = new ArrayList<>();
        Map<String, Double> before;
        Map<String, Double> after;
        try (TrainingRun run = Engine.open(spec(config(steps, loss, 1e-2), seed))) {
            before = run.evaluate();
            for (int i = 0; i < steps; i++) {
                trained.add(run.trainStep());
            }
            after = run.evaluate();
        }
        int n = trained.size();
        System.out.printf("GFlowNet %s: reward %.3f (step 1) -> %.3f (last 5), train/distinct_correct %.2f -> %.2f, "
                + "eval/distinct_correct %.2f -> %.2f, greedy accuracy %.3f -> %.3f, log Z %.3f -> %.3f, loss %.3f -> %.3f%n",
                loss, trained.get(0).get(MetricNames.TRAIN_REWARD_MEAN),
                LmMethodFixture.mean(trained.subList(n - 5, n), MetricNames.TRAIN_REWARD_MEAN),
                LmMethodFixture.mean(trained.subList(0, 5), MetricNames.TRAIN_DISTINCT_CORRECT),
                LmMethodFixture.mean(trained.subList(n - 5, n), MetricNames.TRAIN_DISTINCT_CORRECT),
                before.get(MetricNames.EVAL_DISTINCT_CORRECT), after.get(MetricNames.EVAL_DISTINCT_CORRECT),
                before.get(MetricNames.EVAL_ACCURACY), after.get(MetricNames.EVAL_ACCURACY),
                LmMethodFixture.mean(trained.subList(0, 5), MetricNames.TRAIN_LOG_Z_MEAN),
                LmMethodFixture.mean(trained.subList(n - 5, n), MetricNames.TRAIN_LOG_Z_MEAN),
                LmMethodFixture.mean(trained.subList(0, 5), MetricNames.TRAIN_LOSS),
                LmMethodFixture.mean(trained.subList(n - 5, n), MetricNames.TRAIN_LOSS));
        assertLearnedTheTarget(trained, after);
        return trained;
    }

    private static void assertLearnedTheTarget(List<Map<String, Double>> trained, Map<String, Double> after) {
        int n = trained.size();
        double first = trained.get(0).get(MetricNames.TRAIN_REWARD_MEAN); // the base model's samples
        double last = LmMethodFixture.mean(trained.subList(n - 5, n), MetricNames.TRAIN_REWARD_MEAN);
        assertThat(first).as("pretrained reward: x or y, among other outputs").isBetween(0.2, 0.75);
        assertThat(last).as("reward after GFlowNet training").isGreaterThanOrEqualTo(Math.min(first + 0.2, 0.95));
        assertThat(LmMethodFixture.mean(trained.subList(n - 5, n), MetricNames.TRAIN_DISTINCT_CORRECT))
                .as("both correct answers among 8 fresh samples").isGreaterThanOrEqualTo(1.8);
        assertThat(after.get(MetricNames.EVAL_DISTINCT_CORRECT)).as("both correct answers at evaluation")
                .isGreaterThanOrEqualTo(1.75);
        assertThat(after.get(MetricNames.EVAL_ACCURACY)).as("greedy accuracy").isEqualTo(1.0);
    }

    /** Three straight steps against two, a checkpoint and one more: metrics, log Z and the replay buffer agree. */
    @Test
    void resumesExactlyWithLogZAndTheReplayBuffer() throws IOException {
        for (LossType loss : LossType.values()) {
            LmMethodFixture.assertResumesExactly(spec(config(3, loss, 3e-3), 9), tmp.resolve("ckpt-" + loss), run -> {
                assertThat(((GflowNetRun) run).buffer().entries()).as("the buffer filled").isNotEmpty();
                return state((GflowNetRun) run);
            });
        }
    }

    private static String state(GflowNetRun run) {
        Gson gson = new Gson();
        return gson.toJson(run.logZ()) + gson.toJson(run.buffer().entries());
    }

    @Test
    void nativeArraysStayFlat() throws IOException {
        LmMethodFixture.assertNativeArraysFlat(spec(config(5, LossType.TRAJECTORY_BALANCE, 3e-3), 3));
        LmMethodFixture.assertNativeArraysFlat(spec(config(5, LossType.SUBTB, 3e-3), 4));
    }
}
