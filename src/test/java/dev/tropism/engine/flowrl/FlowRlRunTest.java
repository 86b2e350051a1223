package dev.tropism.engine.flowrl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.tropism.engine.Engine;
import dev.tropism.engine.MetricNames;
import dev.tropism.engine.TrainingRun;
import dev.tropism.engine.flow.FlowFixtures;
import dev.tropism.engine.flow.FlowModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real flow alignment runs on the small fixture model. */
class FlowRlRunTest {

    private static FlowRlConfig config(int steps, int iterations) {
        return new FlowRlConfig(steps, 2, 4, 6, 0.7, 1.0, 0, 3e-3, 0, 0.0, 1.0, 0.0, 1e-4, 5.0, iterations, 0, 4, 0.5);
    }

    private static FlowAlignSpec spec(FlowMethodType method, FlowRlConfig cfg) {
        return new FlowAlignSpec(FlowFixtures.baseModel(), method, cfg, null,
                FlowFixtures.prompts("trouser", "bag", "sneaker"), List.of(), FlowFixtures.brightness(),
                FlowFixtures.brightness(), 5);
    }

    @Test
    void ratioIsExactlyOneOnTheFirstInnerIteration() throws Exception {
        try (FlowRlRun run = new FlowRlRun(spec(FlowMethodType.FLOW_GRPO, config(1, 2)), null)) {
            Map<String, Double> m = run.trainStep();
            assertThat(m.get(MetricNames.TRAIN_RATIO_MEAN)).isEqualTo(1.0);
            assertThat(m.get(MetricNames.TRAIN_RATIO_VAR)).isEqualTo(0.0);
            assertThat(m.get(MetricNames.TRAIN_CLIP_RATIO)).isEqualTo(0.0);
        }
    }

    @Test
    void flowGrpoRaisesBrightness() throws Exception {
        try (FlowRlRun run = new FlowRlRun(spec(FlowMethodType.FLOW_GRPO, config(16, 1)), null)) {
            double before = run.evaluate().get(MetricNames.EVAL_REWARD_MEAN);
            while (run.step() < run.totalSteps()) {
                Map<String, Double> m = run.trainStep();
                assertThat(m).containsKeys(MetricNames.TRAIN_REWARD_MEAN, MetricNames.TRAIN_GOLD_MEAN,
                        MetricNames.TRAIN_DIVERSITY, MetricNames.TRAIN_KL, MetricNames.TRAIN_LOSS);
            }
            Map<String, Double> after = run.evaluate();
            assertThat(after.get(MetricNames.EVAL_REWARD_MEAN)).as("eval brightness before %s", before)
                    .isGreaterThan(before + 0.02);
            assertThat(after).containsKeys(MetricNames.EVAL_GOLD_MEAN, MetricNames.EVAL_DIVERSITY);
            assertThat(run.evalSamplesPng()).isPresent();
        }
    }

    @Test
    void everyMethodTrainsAndResumesExactly(@TempDir Path dir) throws Exception {
        for (FlowMethodType method : FlowMethodType.values()) {
            FlowAlignSpec spec = spec(method, config(3, 1));
            Map<String, Double> third;
            try (TrainingRun run = Engine.open(spec)) {
                run.trainStep();
                run.trainStep();
                run.saveCheckpoint(dir.resolve(method.wireName()));
                third = run.trainStep();
            }
            try (TrainingRun resumed = Engine.resume(spec, dir.resolve(method.wireName()))) {
                assertThat(resumed.step()).isEqualTo(2);
                Map<String, Double> again = resumed.trainStep();
                assertThat(again.get(MetricNames.TRAIN_REWARD_MEAN)).as(method.wireName())
                        .isCloseTo(third.get(MetricNames.TRAIN_REWARD_MEAN), within(1e-4));
                assertThat(again.get(MetricNames.TRAIN_LOSS)).as(method.wireName())
                        .isCloseTo(third.get(MetricNames.TRAIN_LOSS), within(1e-4));
            }
        }
    }

    @Test
    void nativeArraysDoNotAccumulateAcrossSteps() throws Exception {
        for (FlowMethodType method : List.of(FlowMethodType.FLOW_GRPO, FlowMethodType.DENSE_GRPO,
                FlowMethodType.TEMPFLOW_GRPO, FlowMethodType.GRPO_GUARD, FlowMethodType.FLOW_DPO, FlowMethodType.FLOW_RWR)) {
            try (FlowRlRun run = new FlowRlRun(spec(method, config(5, 2)), null)) {
                run.trainStep();
                run.evaluate();
                int after = run.root().getManagedArrays().size();
                run.trainStep();
                run.trainStep();
                run.evaluate();
                run.trainStep();
                assertThat(run.root().getManagedArrays().size()).as(method.wireName()).isEqualTo(after);
            }
        }
    }

    @Test
    void exportedModelKeepsTheBaseClassifiers(@TempDir Path dir) throws Exception {
        try (TrainingRun run = Engine.open(spec(FlowMethodType.FLOW_GRPO, config(1, 1)))) {
            run.trainStep();
            run.exportModel(dir);
        }
        assertThat(FlowModel.isFlowModel(dir)).isTrue();
        assertThat(Files.exists(dir.resolve(FlowModel.GOLD_CLASSIFIER_DIR).resolve("model.json"))).isTrue();
    }

    @Test
    void unknownClassIsRejected() {
        FlowAlignSpec spec = new FlowAlignSpec(FlowFixtures.baseModel(), FlowMethodType.FLOW_GRPO, config(1, 1), null,
                FlowFixtures.prompts("unicorn"), List.of(), FlowFixtures.brightness(), null, 5);
        assertThatThrownBy(() -> new FlowRlRun(spec, null)).hasMessageContaining("unicorn")
                .hasMessageContaining("sneaker");
    }
}
