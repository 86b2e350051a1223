package dev.tropism.engine.lm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import dev.tropism.engine.ConfigException;
import dev.tropism.engine.Engine;
import dev.tropism.engine.MetricNames;
import dev.tropism.engine.RewardFunction;
import dev.tropism.engine.RewardResult;
import dev.tropism.engine.TrainingRun;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pretraining: the loss falls, and stop_at_accuracy ends the run at the first evaluation that reaches it. */
class LmPretrainRunTest {

    private static final RewardFunction EXACT =
            RewardFunction.perSample((item, out) -> RewardResult.of(out.equals(item.get("answer")) ? 1 : 0));

    /** "a=" → "b", "b=" → "c", ...: the successor letter, learnable in a few dozen steps. */
    private static List<String> corpus() {
        List<String> lines = new ArrayList<>();
        for (int rep = 0; rep < 8; rep++) {
            for (char c = 'a'; c < 'i'; c++) {
                lines.add(c + "=" + (char) (c + 1));
            }
        }
        return lines;
    }

    private static List<Map<String, Object>> prompts() {
        List<Map<String, Object>> items = new ArrayList<>();
        for (char c = 'a'; c < 'i'; c++) {
            Map<String, Object> item = new LinkedHashMap<>();
            item.put("prompt", c + "=");
            item.put("answer", String.valueOf((char) (c + 1)));
            items.add(item);
        }
        return items;
    }

    private static PretrainConfig config(double stopAt) {
        return new PretrainConfig(400, 16, 3e-3, 0.1, 10, 0.0, 1.0, 10, 0.0, stopAt, 500, 3);
    }

    @Test
    void stopsAtTheFirstEvaluationThatReachesTheTargetAccuracy() {
        PretrainSpec spec = new PretrainSpec(new GptConfig(1, 32, 2, 8, 4), config(0.75), corpus(), 3, prompts(), EXACT);
        try (TrainingRun run = Engine.open(spec)) {
            Trained t = trainToTheEnd(run);
            assertThat(run.step()).as("stopped early").isLessThan(400).isEqualTo(run.totalSteps());
            assertThat(run.step() % 10).isZero();
            assertThat(t.lastEval().get(MetricNames.EVAL_ACCURACY)).isGreaterThanOrEqualTo(0.75);
            assertThat(t.lastLoss()).isLessThan(t.firstLoss());
        }
    }

    /**
     * {@code tokenizer: gpt2}: the same task learned on GPT-2's real BPE (each of "a", "=", "b" is one of its 50,257
     * tokens), and the exported model directory carries GPT-2's tokenizer back.
     */
    @Test
    void learnsOnGpt2sBpeAndSavesItsTokenizer(@TempDir Path dir) throws Exception {
        GptConfig shape = new GptConfig(1, 32, 2, 8, 0, TokenizerKind.GPT2);
        PretrainSpec spec = new PretrainSpec(shape, config(0.75), corpus(), 3, prompts(), EXACT);
        try (TrainingRun run = Engine.open(spec)) {
            Trained t = trainToTheEnd(run);
            run.exportModel(dir);
            assertThat(run.step()).as("stopped early").isLessThan(400);
            assertThat(t.firstLoss()).as("about ln 50257 at the start").isGreaterThan(9.0);
            assertThat(t.lastLoss()).isLessThan(1.5);
            assertThat(t.lastEval().get(MetricNames.EVAL_ACCURACY)).isGreaterThanOrEqualTo(0.75);
        }
        try (NDManager m = NDManager.newBaseManager(); LanguageModel model = LanguageModel.load(dir, m)) {
            assertThat(model.gpt().config().tokenizer()).isEqualTo(TokenizerKind.GPT2);
            assertThat(model.tokenizer().encode("Hello world")).containsExactly(15496, 995);
            assertThat(model.drawsOnDevice()).isTrue();
            Sampler.Completions out = Sampler.sample(model, Sampler.PromptBatch.of(model.tokenizer(), List.of("c="), 4),
                    3, Sampler.Decoding.greedy(), true, m);
            assertThat(out.texts()[0]).hasSize(1).isBetween("a", "i");
        }
    }

    /** The first and last training loss, and the last evaluation, of a run trained until it ends. */
    private record Trained(double firstLoss, double lastLoss, Map<String, Double> lastEval) {
    }

    private static Trained trainToTheEnd(TrainingRun run) {
        double firstLoss = Double.NaN;
        double lastLoss = Double.NaN;
        Map<String, Double> last = Map.of();
        while (run.step() < run.totalSteps()) {
            Map<String, Double> m = run.trainStep();
            firstLoss = Double.isNaN(firstLoss) ? m.get(MetricNames.TRAIN_LOSS) : firstLoss;
            lastLoss = m.get(MetricNames.TRAIN_LOSS);
            if (run.step() % run.evalInterval() == 0) {
                last = run.evaluate();
            }
        }
        return new Trained(firstLoss, lastLoss, last);
    }

    @Test
    void stopAtAccuracyNeedsEvalPrompts() {
        assertThatThrownBy(() -> new PretrainSpec(new GptConfig(1, 32, 2, 8, 4), config(0.5), corpus(), 3))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.field()).isEqualTo("stop_at_accuracy"));
    }
}
