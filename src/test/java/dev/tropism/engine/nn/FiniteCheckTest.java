package dev.tropism.engine.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.tropism.engine.MetricNames;
import dev.tropism.engine.NonFiniteValueException;
import dev.tropism.engine.RunOptions;
import dev.tropism.engine.flow.FlowNetConfig;
import dev.tropism.engine.flow.FlowPretrainConfig;
import dev.tropism.engine.flow.FlowPretrainRun;
import dev.tropism.engine.flow.FlowPretrainSpec;
import dev.tropism.engine.lm.Gpt;
import dev.tropism.engine.lm.GptConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Anomaly mode: the first non-finite layer output or gradient is named. */
class FiniteCheckTest {

    @Test
    void forwardNamesTheFirstLayerWhoseOutputIsNotFinite() {
        try (NDManager m = NDManager.newBaseManager()) {
            Gradients.gradModeOff();
            Gpt gpt = Gpt.initialize(new GptConfig(2, 16, 2, 8, 5), 1, m);
            gpt.parameters().get("h1.fc.w").set(new NDIndex("0, 0"), Float.NaN);
            NDArray tokens = m.create(new int[] {1, 2, 3}, new Shape(1, 3));
            NDArray positions = m.create(new int[] {0, 1, 2}, new Shape(1, 3));
            NDArray keyMask = m.ones(new Shape(1, 3));

            // Off: the NaN flows through to the logits silently.
            assertThat(gpt.forward(tokens, positions, keyMask, null).isNaN().any().getBoolean()).isTrue();

            FiniteCheck check = FiniteCheck.of(true);
            check.atStep(7);
            gpt.checkFinite(check);
            assertThatThrownBy(() -> gpt.forward(tokens, positions, keyMask, null))
                    .isInstanceOfSatisfying(NonFiniteValueException.class, e -> {
                        assertThat(e.step()).isEqualTo(7);
                        assertThat(e.pass()).isEqualTo(NonFiniteValueException.Pass.FORWARD);
                        assertThat(e.layer()).isEqualTo("h1.fc");
                        assertThat(e.tensor()).isEqualTo("output");
                    })
                    .hasMessageContaining("step 7").hasMessageContaining("layer h1.fc (1, 3, 64)")
                    .hasMessageContaining("3 NaN and 0 infinite values of 192");
        }
    }

    @Test
    void backwardNamesTheParameterClosestToTheLossWithANonFiniteGradient() {
        try (NDManager m = NDManager.newBaseManager()) {
            Gradients.gradModeOff();
            Map<String, NDArray> params = new LinkedHashMap<>(); // forward order
            params.put("l1.w", m.ones(new Shape(3)));
            params.put("l2.w", m.zeros(new Shape(2))); // d sqrt(w)/dw = +inf at 0
            params.put("l3.w", m.ones(new Shape(4)));
            params.values().forEach(p -> p.setRequiresGradient(true));
            try (GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                NDArray loss = params.get("l1.w").sum().add(params.get("l2.w").sqrt().sum())
                        .add(params.get("l3.w").square().sum());
                assertThat(loss.getFloat()).isEqualTo(7f); // finite loss, infinite gradient
                gc.backward(loss);
            }
            FiniteCheck check = FiniteCheck.of(true);
            check.atStep(3);
            assertThatThrownBy(() -> check.gradients(params, m))
                    .isInstanceOfSatisfying(NonFiniteValueException.class, e -> {
                        assertThat(e.pass()).isEqualTo(NonFiniteValueException.Pass.BACKWARD);
                        assertThat(e.tensor()).isEqualTo("l2.w");
                        assertThat(e.layer()).isEqualTo("l2");
                    })
                    .hasMessageContaining("0 NaN and 2 infinite")
                    .hasMessageContaining("The gradients of the 1 parameter after it in forward order (l3.w) are finite")
                    .hasMessageContaining("backward of layer l2 or of a layer between it and l3.w");

            // The guard: anomaly mode fails at once; without it the update is skipped and gradients are zeroed.
            assertThatThrownBy(() -> new NonFiniteGuard(check).admit(Double.POSITIVE_INFINITY, params, m, 3))
                    .isInstanceOf(NonFiniteValueException.class);
            assertThat(new NonFiniteGuard().admit(Double.POSITIVE_INFINITY, params, m, 3)).isFalse();
            assertThat(params.get("l2.w").getGradient().sum().getFloat()).isZero();
            FiniteCheck.OFF.gradients(params, m); // off: checks nothing
        }
    }

    @Test
    void anomalyModeLeavesTheResultsOfARealRunUnchanged() throws Exception {
        FlowPretrainSpec spec = new FlowPretrainSpec(new FlowNetConfig(14, 16, 2, 10, 32, 4),
                new FlowPretrainConfig(3, 16, 3e-3, 1, 0, 1, 0.1, 1.0, 4, 0, 5), 3);
        List<Double> losses = new ArrayList<>();
        for (boolean on : new boolean[] {false, true}) {
            try (FlowPretrainRun run = new FlowPretrainRun(spec, null, new RunOptions(on, Device.cpu()))) {
                for (int i = 0; i < 3; i++) {
                    losses.add(run.trainStep().get(MetricNames.TRAIN_LOSS));
                }
            }
        }
        assertThat(losses.subList(3, 6)).as("losses with anomaly mode").isEqualTo(losses.subList(0, 3));
    }

    @Test
    void layerOfAParameterIsItsNameWithoutTheLastSegment() {
        assertThat(FiniteCheck.layerOf("down0.conv1.w")).isEqualTo("down0.conv1");
        assertThat(FiniteCheck.layerOf("wte")).isEqualTo("wte");
    }
}
