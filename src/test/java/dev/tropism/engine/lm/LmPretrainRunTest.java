package dev.tropism.engine.lm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tropism.engine.ConfigException;
import dev.tropism.engine.Engine;
import dev.tropism.engine.MetricNames;
import dev.tropism.engine.RewardFunction;
import dev.tropism.engine.RewardResult;
import dev.tropism.engine.TrainingRun;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

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
        Map<String, Double> last = Map.of();
        double firstLoss = Double.NaN;
        double lastLoss = Double.NaN;
        try (TrainingRun run = Engine.open(spec)) {
            while (run.step() < run.totalSteps()) {
                Map<String, Double> m = run.trainStep();
                firstLoss = Double.isNaN(firstLoss) ? m.get(MetricNames.TRAIN_LOSS) : firstLoss;
                lastLoss = m.get(MetricNames.TRAIN_LOSS);
                if (run.step() % run.evalInterval() == 0) {
                    last = run.evaluate();
                }
            }
            assertThat(run.step()).as("stopped early").isLessThan(400).isEqualTo(run.totalSteps());
            assertThat(run.step() % 10).isZero();
        }
        assertThat(last.get(MetricNames.EVAL_ACCURACY)).isGreaterThanOrEqualTo(0.75);
        assertThat(lastLoss).isLessThan(firstLoss);
    }

    @Test
    void stopAtAccuracyNeedsEvalPrompts() {
        assertThatThrownBy(() -> new PretrainSpec(new GptConfig(1, 32, 2, 8, 4), config(0.5), corpus(), 3))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.field()).isEqualTo("stop_at_accuracy"));
    }
}
