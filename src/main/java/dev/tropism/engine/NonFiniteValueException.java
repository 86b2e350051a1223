package dev.tropism.engine;

/**
 * Anomaly mode ({@link RunOptions#checkFinite()}) found the first NaN or infinite value of a step: a layer's
 * output in the forward pass, or a parameter's gradient in the backward pass.
 */
public final class NonFiniteValueException extends NumericalInstabilityException {

    /** Where the value was found. */
    public enum Pass {
        FORWARD, BACKWARD;

        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final int step;
    private final Pass pass;
    private final String layer;
    private final String tensor;

    public NonFiniteValueException(int step, Pass pass, String layer, String tensor, String message) {
        super(message);
        this.step = step;
        this.pass = pass;
        this.layer = layer;
        this.tensor = tensor;
    }

    /** The 1-based step being computed; 0 outside a training step (an evaluation or a sample). */
    public int step() {
        return step;
    }

    public Pass pass() {
        return pass;
    }

    /** The layer, e.g. {@code down1.conv2} or {@code h3.mlp}. */
    public String layer() {
        return layer;
    }

    /** The tensor: {@code output} of a layer, or the parameter whose gradient it is, e.g. {@code out.gn.g}. */
    public String tensor() {
        return tensor;
    }
}
