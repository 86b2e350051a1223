package dev.tropism.engine.flow;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;

/** The few functional layers the image networks use, on DJL's PyTorch ops. Arrays land in the input's manager. */
final class Layers {

    private static final Shape ONE = new Shape(1, 1);

    private Layers() {
    }

    /**
     * Output channels of every convolution are a multiple of this. oneDNN (PyTorch's CPU convolution) stores
     * channels in blocks of 16 on AVX-512 and 8 on AVX2; its backward-data kernel in libtorch 2.7.1 sums the
     * padded output channels of the last block from memory that is not reliably zero, so a convolution with Cout = 1 returned
     * a wrong or NaN input gradient on about half of all calls (docs/native-kernels.md).
     */
    static final int CHANNEL_BLOCK = 16;

    /** 2-D convolution, "same" padding for odd kernels. x (B, Cin, H, W), w (Cout, Cin, k, k) → (B, Cout, H/stride, W/stride). */
    static NDArray conv(NDArray x, NDArray w, NDArray b, int stride) {
        long k = w.getShape().get(2);
        long pad = k / 2;
        long cOut = w.getShape().get(0);
        if (cOut % CHANNEL_BLOCK == 0) {
            return Conv2d.conv2d(x, w, b, new Shape(stride, stride), new Shape(pad, pad), ONE, 1).singletonOrThrow();
        }
        // Whole blocks only: extra output channels with zero weights and bias, dropped after the op. They add
        // exact zeros to the input gradient and leave the real channels' values unchanged.
        NDManager m = x.getManager();
        long extra = CHANNEL_BLOCK - cOut % CHANNEL_BLOCK;
        Shape ws = w.getShape();
        NDArray wBlocks = NDArrays.concat(new NDList(w, m.zeros(new Shape(extra, ws.get(1), ws.get(2), ws.get(3)))), 0);
        NDArray bBlocks = NDArrays.concat(new NDList(b, m.zeros(new Shape(extra))), 0);
        // Results of an op land in its first operand's manager, here the parameter's: move them to the step's.
        wBlocks.attach(m);
        bBlocks.attach(m);
        NDArray y = Conv2d.conv2d(x, wBlocks, bBlocks, new Shape(stride, stride), new Shape(pad, pad), ONE, 1)
                .singletonOrThrow(); // (B, Cout + extra, H/stride, W/stride)
        return y.get(new NDIndex(":, 0:{}", cOut)); // (B, Cout, H/stride, W/stride)
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
