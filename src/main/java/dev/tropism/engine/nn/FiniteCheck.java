package dev.tropism.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.tropism.engine.NonFiniteValueException;
import dev.tropism.engine.NonFiniteValueException.Pass;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Anomaly mode (the idea of PyTorch's {@code torch.autograd.detect_anomaly}, at layer granularity): locates
 * the first NaN or infinite value of a step. Networks pass every layer's output through {@link #output};
 * runs pass their parameters to {@link #gradients} after backward. {@link #OFF} does nothing and costs nothing.
 *
 * <p>A check belongs to one run and is used by one thread at a time (the run's).
 */
public final class FiniteCheck {

    /** Checks nothing. */
    public static final FiniteCheck OFF = new FiniteCheck(false);

    private final boolean enabled;
    private int step;

    private FiniteCheck(boolean enabled) {
        this.enabled = enabled;
    }

    /** A fresh check when {@code on}, else {@link #OFF}. */
    public static FiniteCheck of(boolean on) {
        return on ? new FiniteCheck(true) : OFF;
    }

    public boolean enabled() {
        return enabled;
    }

    /** Names the 1-based training step that the following forward and backward passes compute; 0 outside one. */
    public void atStep(int step) {
        if (enabled) {
            this.step = step;
        }
    }

    /**
     * Checks a layer's output in the forward pass.
     *
     * @return {@code a}, unchanged
     * @throws NonFiniteValueException if it holds a NaN or an infinity
     */
    public NDArray output(String layer, NDArray a) {
        if (enabled && !a.getDataType().isInteger()) {
            long[] bad = count(a);
            if (bad[0] + bad[1] > 0) {
                throw new NonFiniteValueException(step, Pass.FORWARD, layer, "output", where()
                        + " in the forward pass: the output of layer " + layer + " " + a.getShape() + " has " + bad[0]
                        + " NaN and " + bad[1] + " infinite values of " + a.size() + " (its inputs were finite)");
            }
        }
        return a;
    }

    /**
     * Checks parameter gradients after a backward pass, in backward order: the reverse of {@code params}'
     * iteration order, which networks keep in forward order. The first non-finite gradient in that order is
     * the layer closest to the loss where the value appeared.
     *
     * @throws NonFiniteValueException naming that parameter and its layer
     */
    public void gradients(Map<String, NDArray> params, NDManager scratch) {
        if (!enabled) {
            return;
        }
        List<String> names = new ArrayList<>(params.keySet());
        List<String> finiteAfter = new ArrayList<>();
        try (NDManager m = scratch.newSubManager()) {
            for (int i = names.size() - 1; i >= 0; i--) {
                String name = names.get(i);
                NDArray g = params.get(name).getGradient();
                g.attach(m);
                long[] bad = count(g);
                if (bad[0] + bad[1] == 0) {
                    finiteAfter.add(0, name);
                    continue;
                }
                String layer = layerOf(name);
                String entered = finiteAfter.isEmpty()
                        ? " It is the parameter closest to the loss, so the value entered in the backward of layer "
                                + layer + " or of the loss."
                        : " The gradients of the " + finiteAfter.size() + " parameter"
                                + (finiteAfter.size() == 1 ? "" : "s") + " after it in forward order ("
                                + finiteAfter.get(0)
                                + (finiteAfter.size() == 1 ? "" : " … " + finiteAfter.get(finiteAfter.size() - 1))
                                + ") are finite, so the value entered in the backward of layer " + layer
                                + " or of a layer between it and " + finiteAfter.get(0) + ".";
                throw new NonFiniteValueException(step, Pass.BACKWARD, layer, name, where()
                        + " in the backward pass: the gradient of parameter " + name + " " + g.getShape() + " has "
                        + bad[0] + " NaN and " + bad[1] + " infinite values of " + g.size() + "." + entered);
            }
        }
    }

    /** The layer of a parameter: its name without the last segment ({@code down0.conv1.w} → {@code down0.conv1}). */
    static String layerOf(String parameter) {
        int dot = parameter.lastIndexOf('.');
        return dot < 0 ? parameter : parameter.substring(0, dot);
    }

    private String where() {
        return step > 0 ? "first non-finite value at step " + step : "first non-finite value outside training steps";
    }

    /** {NaN count, infinity count}. */
    private static long[] count(NDArray a) {
        try (NDManager m = a.getManager().newSubManager()) {
            NDArray nan = a.isNaN();
            nan.attach(m);
            NDArray inf = a.isInfinite();
            inf.attach(m);
            NDArray nanCount = nan.countNonzero();
            nanCount.attach(m);
            NDArray infCount = inf.countNonzero();
            infCount.attach(m);
            return new long[] {nanCount.getLong(), infCount.getLong()};
        }
    }
}
