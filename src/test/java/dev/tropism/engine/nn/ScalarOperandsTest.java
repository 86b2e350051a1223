package dev.tropism.engine.nn;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.tropism.engine.flow.FlowSampler;
import dev.tropism.engine.lm.Gpt;
import dev.tropism.engine.lm.GptConfig;
import dev.tropism.engine.rm.BradleyTerry;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/**
 * Gradients do not depend on what happens to Java memory between forward and backward. DJL's scalar ops
 * ({@code mul(Number)} and kin) hand autograd a tensor over a Java buffer that is freed at the next garbage
 * collection ({@link Scalars}); before the fix, a collection plus NaN-filled direct buffers between forward and
 * backward turned these gradients NaN or wrong.
 */
class ScalarOperandsTest {

    private static final List<ByteBuffer> HELD = new ArrayList<>();

    /** A collection, then freed small blocks reused by NaN-filled direct buffers. */
    private static void churn() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        for (int i = 0; i < 20_000; i++) {
            ByteBuffer b = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
            b.putFloat(0, Float.NaN);
            HELD.add(b);
        }
    }

    /** The gradient of {@code param} for the loss built by {@code forward}, with or without churn before backward. */
    private static float[] gradient(boolean churn, BiFunction<NDManager, List<NDArray>, NDArray> forward) {
        try (NDManager m = NDManager.newBaseManager()) {
            Gradients.gradModeOff();
            List<NDArray> params = new ArrayList<>();
            try (GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                NDArray loss = forward.apply(m, params);
                if (churn) {
                    churn();
                }
                gc.backward(loss);
            }
            float[] g = params.get(0).getGradient().toFloatArray();
            HELD.clear();
            return g;
        }
    }

    private static void assertSameGradient(BiFunction<NDManager, List<NDArray>, NDArray> forward) {
        float[] clean = gradient(false, forward);
        for (float v : clean) {
            assertThat(v).isFinite();
        }
        assertThat(gradient(true, forward)).containsExactly(clean);
    }

    @Test
    void attentionScale() {
        assertSameGradient((m, params) -> {
            Gpt gpt = Gpt.initialize(new GptConfig(1, 16, 2, 8, 12), 7, m);
            gpt.requireGradients(true);
            params.add(gpt.parameters().get("h0.attn.w"));
            NDArray tokens = m.create(new int[] {1, 2, 3, 4}, new Shape(1, 4));
            NDArray positions = m.create(new int[] {0, 1, 2, 3}, new Shape(1, 4));
            return gpt.forward(tokens, positions, m.ones(new Shape(1, 4)), null).logSoftmax(-1).sum().neg();
        });
    }

    @Test
    void bradleyTerrySoftplusAndCentering() {
        assertSameGradient((m, params) -> {
            NDArray chosen = m.create(new float[] {0.5f, -1f, 2f});
            chosen.setRequiresGradient(true);
            params.add(chosen);
            return BradleyTerry.loss(chosen, m.create(new float[] {1f, 0f, -1f}), 0.1);
        });
    }

    @Test
    void flowSdeStepLogProbability() {
        assertSameGradient((m, params) -> {
            float[] v = new float[32];
            for (int i = 0; i < v.length; i++) {
                v[i] = (i % 7) * 0.1f - 0.3f;
            }
            NDArray velocity = m.create(v, new Shape(2, 1, 4, 4));
            velocity.setRequiresGradient(true);
            params.add(velocity);
            NDArray mean = FlowSampler.sdeMean(m.ones(new Shape(2, 1, 4, 4)), velocity, 0.8, -0.1, 0.7);
            return FlowSampler.logProb(m.zeros(new Shape(2, 1, 4, 4)), mean, 0.2).sum();
        });
    }
}
