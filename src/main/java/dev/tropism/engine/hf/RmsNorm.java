package dev.tropism.engine.hf;

import ai.djl.ndarray.NDArray;

/**
 * Root-mean-square layer normalization (Zhang &amp; Sennrich 2019, eq. 4), as HF modeling_llama's
 * {@code LlamaRMSNorm}: y = x / √(mean(x²) + ε) · g over the last axis, with no centring and no bias.
 */
public final class RmsNorm {

    private RmsNorm() {
    }

    /**
     * @param x (..., d)
     * @param gain (d) the learned scale g
     * @param eps ε, {@code rms_norm_eps}
     * @return (..., d)
     */
    public static NDArray apply(NDArray x, NDArray gain, double eps) {
        int last = x.getShape().dimension() - 1;
        NDArray rms = x.mul(x).mean(new int[] {last}, true).add((float) eps).sqrt(); // (..., 1)
        return x.div(rms).mul(gain); // (..., d)
    }
}
