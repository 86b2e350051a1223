package dev.tropism.engine.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.tropism.engine.lm.Gpt;
import dev.tropism.engine.lm.GptConfig;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AdamWTest {

    /** Sets each parameter's gradient to {@code grads[name]} via loss = Σ p·g. */
    private static void backward(Map<String, NDArray> params, Map<String, float[]> grads, NDManager m) {
        try (GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
            NDArray loss = null;
            for (Map.Entry<String, NDArray> e : params.entrySet()) {
                NDArray g = m.create(grads.get(e.getKey()), e.getValue().getShape());
                NDArray term = e.getValue().mul(g).sum();
                loss = loss == null ? term : loss.add(term);
            }
            gc.backward(loss);
        }
    }

    @Test
    void twoStepsMatchTheHandComputedUpdateWithBiasCorrectionAndDecoupledDecayOnMatricesOnly() {
        Gradients.COLLECTOR_LOCK.lock();
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> params = new LinkedHashMap<>();
            params.put("b", m.create(new float[] {1.0f, -2.0f})); // 1-D: never decayed
            params.put("w", m.create(new float[] {1.0f, -2.0f}, new Shape(1, 2))); // matrix: decayed
            for (NDArray p : params.values()) {
                p.setRequiresGradient(true);
            }
            // β1 = 0.9, β2 = 0.99, ε = 1e-8, λ = 0.1, lr = 0.1
            AdamW opt = new AdamW(params, Set.of("w"), 0.9, 0.99, 1e-8, 0.1, m);

            // Step 1, g = [0.5, −0.2]: m = 0.1g, v = 0.01g², m̂ = g, v̂ = g², m̂/(√v̂+ε) = sign(g) = [1, −1].
            //   b: [1 − 0.1·1, −2 + 0.1·1] = [0.9, −1.9]
            //   w: θ − lr·(sign(g) + λθ) = [1 − 0.1·(1 + 0.1), −2 − 0.1·(−1 − 0.2)] = [0.89, −1.88]
            backward(params, Map.of("b", new float[] {0.5f, -0.2f}, "w", new float[] {0.5f, -0.2f}), m);
            opt.step(params, 0.1, 1.0);
            assertEquals(1, opt.steps());
            assertArrayEquals(new float[] {0.9f, -1.9f}, params.get("b").toFloatArray(), 1e-6f);
            assertArrayEquals(new float[] {0.89f, -1.88f}, params.get("w").toFloatArray(), 1e-6f);
            // the step zeroes gradients
            assertArrayEquals(new float[] {0f, 0f}, params.get("b").getGradient().toFloatArray(), 0f);

            // Step 2 on b only matters here; g = [−1, 0] for both, gradScale 0.5 → effective g = [−0.5, 0]:
            //   m = 0.9·[0.05, −0.02] + 0.1·[−0.5, 0] = [−0.005, −0.018]
            //   v = 0.99·[0.0025, 0.0004] + 0.01·[0.25, 0] = [0.004975, 0.000396]
            //   bias corrections: 1 − 0.9² = 0.19, 1 − 0.99² = 0.0199
            //   m̂ = [−0.0263157895, −0.0947368421], v̂ = [0.25, 0.0198994975], √v̂ = [0.5, 0.1410655079]
            //   m̂/√v̂ = [−0.0526315789, −0.6715801]
            //   b: [0.9 + 0.1·0.0526315789, −1.9 + 0.1·0.6715801] = [0.9052631578, −1.8328419900]
            //   w: [0.89 − 0.1·(−0.0526315789 + 0.089), −1.88 − 0.1·(−0.6715801 − 0.188)]
            //      = [0.8863631578, −1.7940419900]
            backward(params, Map.of("b", new float[] {-1f, 0f}, "w", new float[] {-1f, 0f}), m);
            opt.step(params, 0.1, 0.5);
            assertEquals(2, opt.steps());
            assertArrayEquals(new float[] {0.9052631578f, -1.83284199f}, params.get("b").toFloatArray(), 2e-6f);
            assertArrayEquals(new float[] {0.8863631578f, -1.79404199f}, params.get("w").toFloatArray(), 2e-6f);
        } finally {
            Gradients.COLLECTOR_LOCK.unlock();
        }
    }

    @Test
    void savedMomentsRestoreTheSameNextStep() throws Exception {
        Gradients.COLLECTOR_LOCK.lock();
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> a = new LinkedHashMap<>();
            a.put("w", m.create(new float[] {0.3f, -0.7f, 1.1f}, new Shape(3, 1)));
            Map<String, NDArray> b = new LinkedHashMap<>();
            b.put("w", a.get("w").duplicate());
            a.get("w").setRequiresGradient(true);
            b.get("w").setRequiresGradient(true);
            AdamW optA = new AdamW(a, Set.of("w"), 0.9, 0.99, 1e-8, 0.1, m);
            backward(a, Map.of("w", new float[] {0.2f, 0.1f, -0.4f}), m);
            optA.step(a, 0.01, 1.0);
            b.get("w").set(a.get("w").toFloatArray());
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            optA.save(out);
            AdamW optB = new AdamW(b, Set.of("w"), 0.9, 0.99, 1e-8, 0.1, m);
            optB.load(new ByteArrayInputStream(out.toByteArray()), optA.steps());

            backward(a, Map.of("w", new float[] {-0.3f, 0.5f, 0.05f}), m);
            optA.step(a, 0.01, 1.0);
            backward(b, Map.of("w", new float[] {-0.3f, 0.5f, 0.05f}), m);
            optB.step(b, 0.01, 1.0);
            assertArrayEquals(a.get("w").toFloatArray(), b.get("w").toFloatArray(), 0f);
        } finally {
            Gradients.COLLECTOR_LOCK.unlock();
        }
    }

    @Test
    void gptDecaysOnlyItsMatrices() {
        try (NDManager m = NDManager.newBaseManager(); Gpt gpt = Gpt.initialize(new GptConfig(1, 8, 2, 8, 6), 1, m)) {
            // wte, wpe, attn.w, proj.w, fc.w, fc2.w; never LayerNorm gains or biases.
            assertEquals(java.util.List.of("wte", "wpe", "h0.attn.w", "h0.proj.w", "h0.fc.w", "h0.fc2.w"),
                    gpt.matrixParameterNames());
        }
    }

    @Test
    void clipScale() {
        assertEquals(1.0, Gradients.clipScale(0.5, 1.0));
        assertEquals(1.0, Gradients.clipScale(50, 0.0));
        assertEquals(0.25, Gradients.clipScale(4.0, 1.0), 1e-6);
    }
}
