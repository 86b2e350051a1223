package dev.tropism.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Scalar operands for arithmetic that autograd records. DJL 0.36's {@code NDArray.mul/div/pow/maximum/minimum(Number)}
 * on the PyTorch engine wrap the number in a tensor over a Java direct buffer and close it as soon as the op returns;
 * the op's backward node keeps that tensor, and once a garbage collection frees the buffer, backward reads freed
 * memory (a NaN or wrong gradient, reproduced for Gpt's attention scale and Bradley–Terry's softplus). A scalar made
 * here is owned by libtorch ({@code torch::full}), so the graph's reference keeps it alive; it is released with
 * {@code like}'s manager. {@code add/sub(Number)} save nothing for backward and are safe as they are.
 */
public final class Scalars {

    private Scalars() {
    }

    /** A 0-d array holding {@code value}, of {@code like}'s type, in {@code like}'s manager. */
    public static NDArray of(NDArray like, double value) {
        return like.getManager().full(new Shape(), (float) value, like.getDataType());
    }
}
