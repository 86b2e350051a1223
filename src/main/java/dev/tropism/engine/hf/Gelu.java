package dev.tropism.engine.hf;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import dev.tropism.engine.nn.Scalars;
import java.util.List;

/**
 * GPT-2's MLP activation (Hendrycks &amp; Gimpel 2016), by {@code activation_function} (HF activations.py names).
 * GPT-2 was trained with the tanh approximation; DJL's {@link Activation#gelu} is the exact erf form, which differs
 * by up to about 1e-3, enough to move logits visibly.
 */
public enum Gelu {
    /** 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))): {@code gelu_new}, {@code gelu_pytorch_tanh}, {@code gelu_fast}. */
    TANH(List.of("gelu_new", "gelu_pytorch_tanh", "gelu_fast")),
    /** x·Φ(x), the erf form: {@code gelu}. What Tropism's own tiny-gpt uses. */
    EXACT(List.of("gelu"));

    private static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
    private final List<String> names;

    Gelu(List<String> names) {
        this.names = names;
    }

    /** The variant named {@code activation_function}, or null. */
    static Gelu of(String activationFunction) {
        for (Gelu g : values()) {
            if (g.names.contains(activationFunction)) {
                return g;
            }
        }
        return null;
    }

    /** The activation, elementwise; scalars through {@link Scalars} so that backward keeps them alive. */
    public NDArray apply(NDArray x) {
        if (this == EXACT) {
            return Activation.gelu(x);
        }
        NDArray inner = x.add(x.mul(x).mul(x).mul(Scalars.of(x, 0.044715))).mul(Scalars.of(x, SQRT_2_OVER_PI));
        return x.mul(inner.tanh().add(1f)).mul(Scalars.of(x, 0.5));
    }
}
