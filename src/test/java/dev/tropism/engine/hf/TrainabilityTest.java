package dev.tropism.engine.hf;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Imported models train: every parameter gets a finite, non-zero gradient, and one gradient step lowers the loss. */
class TrainabilityTest {

    /** Mean next-token negative log-likelihood over the real positions of the reference batch's first row. */
    private static NDArray loss(HfCausalLm model, Fixtures.Batch b, NDManager m) {
        NDArray logits = model.forward(b.tokens(m), b.positions(m), b.mask(m), null); // (B, T, V)
        NDArray logp = logits.get("0, :-1, :").logSoftmax(-1); // (T-1, V)
        NDArray targets = b.tokens(m).get("0, 1:").toType(DataType.INT64, false).expandDims(-1);
        return logp.gather(targets, -1).mean().neg();
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama", "qwen2"})
    void everyParameterLearns(String name) throws Exception {
        Fixtures.Batch b = Fixtures.expected(name);
        try (NDManager m = NDManager.newBaseManager(); HfCausalLm model = HfCausalLm.load(Fixtures.dir(name), m)) {
            model.requireGradients(true);
            float before;
            try (NDManager step = m.newSubManager();
                    GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray l = loss(model, b, step);
                before = l.getFloat();
                gc.backward(l);
            }
            float lr = 0.05f;
            for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
                try (NDArray g = e.getValue().getGradient()) {
                    float[] v = g.toFloatArray();
                    double norm = 0;
                    for (float x : v) {
                        assertTrue(Float.isFinite(x), e.getKey() + " has a non-finite gradient");
                        norm += x * x;
                    }
                    assertTrue(norm > 0, e.getKey() + " gets no gradient");
                    e.getValue().subi(g.mul(lr));
                }
            }
            model.requireGradients(false);
            try (NDManager step = m.newSubManager()) {
                float after = loss(model, b, step).getFloat();
                assertTrue(after < before, name + ": loss " + before + " -> " + after + " after one SGD step");
            }
        }
    }
}
