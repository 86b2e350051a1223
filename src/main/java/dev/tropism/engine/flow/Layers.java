package dev.tropism.engine.flow;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;

/** The few functional layers the image networks use, on DJL's PyTorch ops. Arrays land in the input's manager. */
final class Layers {

    private static final Shape ONE = new Shape(1, 1);

    private Layers() {
    }

    /** 2-D convolution, "same" padding for odd kernels. x (B, Cin, H, W), w (Cout, Cin, k, k) → (B, Cout, H/stride, W/stride). */
    static NDArray conv(NDArray x, NDArray w, NDArray b, int stride) {
        long k = w.getShape().get(2);
        long pad = k / 2;
        return Conv2d.conv2d(x, w, b, new Shape(stride, stride), new Shape(pad, pad), ONE, 1).singletonOrThrow();
    }

    /**
     * Nearest-neighbour 2× upsampling followed by a 3×3 convolution (DJL's PyTorch engine has no transposed
     * convolution): x (B, Cin, H, W), w (Cout, Cin, 3, 3) → (B, Cout, 2H, 2W).
     */
    static NDArray upsample(NDArray x, NDArray w, NDArray b) {
        return conv(x.repeat(2, 2).repeat(3, 2), w, b, 1);
    }

    static NDArray linear(NDArray x, NDArray w, NDArray b) {
        return Linear.linear(x, w, b).singletonOrThrow();
    }

    /**
     * Group normalization (Wu &amp; He 2018): x (B, C, H, W) normalized over each group of C/groups channels
     * and all positions, then scaled and shifted per channel by gamma, beta (C).
     */
    static NDArray groupNorm(NDArray x, int groups, NDArray gamma, NDArray beta) {
        Shape s = x.getShape();
        long b = s.get(0);
        long c = s.get(1);
        NDArray g = x.reshape(b, groups, -1); // (B, G, C/G·H·W)
        NDArray mean = g.mean(new int[] {2}, true);
        NDArray centered = g.sub(mean);
        NDArray var = centered.square().mean(new int[] {2}, true);
        NDArray normed = centered.div(var.add(1e-5f).sqrt()).reshape(s);
        // A reshape of a parameter lands in the parameter's manager: move the views to the input's, or
        // every forward would leave two arrays behind for the life of the model.
        NDArray g4 = gamma.reshape(1, c, 1, 1);
        NDArray b4 = beta.reshape(1, c, 1, 1);
        g4.attach(x.getManager());
        b4.attach(x.getManager());
        return normed.mul(g4).add(b4);
    }

    /** SiLU / swish: x·σ(x). */
    static NDArray silu(NDArray x) {
        return x.mul(ai.djl.nn.Activation.sigmoid(x));
    }
}
