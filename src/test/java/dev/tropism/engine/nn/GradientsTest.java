package dev.tropism.engine.nn;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GradientsTest {

    @Test
    void globalNormAndZeroingHandleNonFiniteAndHugeGradients() {
        Gradients.COLLECTOR_LOCK.lock();
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.create(new float[] {1f, 2f});
            NDArray b = m.create(new float[] {3f});
            a.setRequiresGradient(true);
            b.setRequiresGradient(true);
            Map<String, NDArray> params = new LinkedHashMap<>();
            params.put("a", a);
            params.put("b", b);
            try (GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                // d/da = [3e20, 4e20] (finite in float32, but its square is not); d/db = NaN
                NDArray loss = a.mul(m.create(new float[] {3e20f, 4e20f})).sum().add(b.mul(Float.NaN).sum());
                gc.backward(loss);
            }
            assertThat(Gradients.nonFinite(params, m)).containsExactly("b");
            params.remove("b");
            assertThat(Gradients.globalNorm(params, m)).isCloseTo(5e20, org.assertj.core.data.Percentage.withPercentage(1e-4));
            params.put("b", b);
            Gradients.gradModeOff();
            Gradients.zero(params, m);
            assertThat(a.getGradient().toFloatArray()).containsExactly(0f, 0f);
            assertThat(b.getGradient().toFloatArray()).containsExactly(0f);
            assertThat(Gradients.globalNorm(params, m)).isZero();
        } finally {
            Gradients.COLLECTOR_LOCK.unlock();
        }
    }

    @Test
    void guardSkipsNonFiniteUpdatesThenFailsAfterThreeInARow() {
        Gradients.COLLECTOR_LOCK.lock();
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w = m.create(new float[] {1f, 1f});
            w.setRequiresGradient(true);
            Map<String, NDArray> params = Map.of("w", w);
            NonFiniteGuard guard = new NonFiniteGuard();
            assertThat(guard.admit(0.5, params, m, 1)).isTrue();
            for (int step = 2; step <= 4; step++) {
                try (GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                    gc.backward(w.mul(Float.NaN).sum());
                }
                Gradients.gradModeOff();
                assertThat(guard.admit(Double.NaN, params, m, step)).as("step %d skipped", step).isFalse();
                assertThat(w.getGradient().toFloatArray()).as("gradients zeroed").containsExactly(0f, 0f);
            }
            assertThat(guard.admit(1.0, params, m, 5)).as("a finite update resets the count").isTrue();
            for (int step = 6; step <= 8; step++) {
                assertThat(guard.admit(Double.POSITIVE_INFINITY, params, m, step)).isFalse();
            }
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> guard.admit(Double.NaN, params, m, 9))
                    .isInstanceOf(dev.tropism.engine.NumericalInstabilityException.class)
                    .hasMessageContaining("4 updates in a row");
        } finally {
            Gradients.COLLECTOR_LOCK.unlock();
        }
    }
}
