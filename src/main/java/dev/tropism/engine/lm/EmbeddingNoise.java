package dev.tropism.engine.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.Random;

/**
 * NEFTune's noise on the input embeddings (Jain et al. 2023, "NEFTune: Noisy Embeddings Improve Instruction
 * Finetuning", Algorithm 1): during training only, the embeddings X_emb (B, L, d) of a forward become
 * <pre>
 *   X_emb + (α / √(L·d)) · ε,    ε ~ Uniform(−1, 1) i.i.d.
 * </pre>
 * L is the width of the batch as the forward sees it (padding included, as the {@code neftune_post_forward_hook} of
 * HF transformers measures it). A {@link CausalLm} applies it to the sum of its token (and learned position)
 * embeddings, before the first block, while it is set ({@link CausalLm#embeddingNoise}).
 *
 * <p>ε is drawn from a Java RNG seeded with {@code seed}, not from the engine's global generator, so a run that seeds
 * it by (seed, step) draws the same noise on any device and again after a resume.
 *
 * @param alpha α, the noise scale; positive
 * @param seed the seed of ε
 */
public record EmbeddingNoise(double alpha, long seed) {

    public EmbeddingNoise {
        if (!(alpha > 0) || !Double.isFinite(alpha)) {
            throw new IllegalArgumentException("alpha must be positive and finite, got " + alpha);
        }
    }

    /** {@code x + (α/√(L·d))·ε} for x (B, L, d), in {@code x}'s manager and data type. */
    public NDArray addTo(NDArray x) {
        Shape s = x.getShape(); // (B, L, d)
        double scale = alpha / Math.sqrt((double) s.get(1) * s.get(2));
        float[] eps = new float[Math.toIntExact(s.size())];
        Random rng = new Random(seed);
        for (int i = 0; i < eps.length; i++) {
            eps[i] = (float) ((2 * rng.nextDouble() - 1) * scale);
        }
        return x.add(x.getManager().create(eps, s).toType(x.getDataType(), false)); // (B, L, d)
    }
}
