package dev.tropism.engine.rl;

import ai.djl.ndarray.NDArray;
import dev.tropism.engine.nn.Scalars;
import dev.tropism.engine.rl.GrpoConfig.LossType;

/**
 * The GRPO objective (Shao et al. 2024, "DeepSeekMath", Eq. 3), as a loss to minimize, per token t
 * of completion i:
 *
 * <pre>
 *   ratio   = exp(logp − oldLogp)                                  π_θ / π_θold
 *   pgLoss  = −min(ratio·A, clip(ratio, 1 − ε_low, 1 + ε_high)·A)   clipped surrogate (PPO; DAPO's clip-higher)
 *   klK3    = exp(refLogp − logp) − (refLogp − logp) − 1           k3 estimator of KL(π_θ‖π_ref) (Schulman 2020; Eq. 4)
 *   loss_t  = pgLoss + β·klK3
 * </pre>
 *
 * aggregated over tokens per {@link LossType}. Tensors are (B, T) with a (B, T) completion mask.
 */
public final class GrpoObjective {

    private GrpoObjective() {
    }

    /**
     * The loss and its diagnostics.
     *
     * @param loss scalar to backpropagate
     * @param clipRatio masked mean of tokens whose ratio is clipped in the direction that binds
     *     (ratio &lt; 1 − ε_low with A &lt; 0, or ratio &gt; 1 + ε_high with A &gt; 0), as TRL logs it
     * @param klMean masked mean of klK3 (0 when no reference is given)
     */
    public record Result(NDArray loss, double clipRatio, double klMean) {
    }

    /**
     * @param logp (B, T) log π_θ of the sampled tokens, with gradient
     * @param oldLogp (B, T) log π_θold, no gradient
     * @param refLogp (B, T) log π_ref, or null when there is no reference
     * @param advantage (B) advantages
     * @param mask (B, T) 1 for completion tokens that count, else 0
     * @param maxCompletionLength L, the Dr. GRPO normalizer
     */
    public static Result compute(NDArray logp, NDArray oldLogp, NDArray refLogp, NDArray advantage, NDArray mask,
            GrpoConfig cfg, int maxCompletionLength) {
        NDArray adv = advantage.expandDims(1); // (B, 1)
        NDArray ratio = logp.sub(oldLogp).exp(); // (B, T)
        NDArray clipped = ratio.clip(1 - cfg.epsilonLow(), 1 + cfg.epsilonHigh()); // (B, T)
        NDArray pgLoss = ratio.mul(adv).minimum(clipped.mul(adv)).neg(); // (B, T)
        NDArray perToken = pgLoss;
        double klMean = 0;
        NDArray tokenCount = mask.sum().maximum(1f);
        if (refLogp != null) {
            NDArray delta = refLogp.sub(logp); // (B, T)
            NDArray klK3 = delta.exp().sub(delta).sub(1f); // (B, T), ≥ 0
            klMean = klK3.stopGradient().mul(mask).sum().div(tokenCount).getFloat();
            if (cfg.beta() > 0) {
                perToken = pgLoss.add(klK3.mul(Scalars.of(klK3, cfg.beta())));
            }
        }
        NDArray masked = perToken.mul(mask); // (B, T)
        long batch = logp.getShape().get(0);
        NDArray loss = switch (cfg.lossType()) {
            case GRPO -> masked.sum(new int[] {1}).div(mask.sum(new int[] {1}).maximum(1f)).mean();
            case DR_GRPO -> masked.sum().div(Scalars.of(masked, (double) batch * maxCompletionLength));
            case DAPO -> masked.sum().div(tokenCount);
        };
        NDArray lowClipped = ratio.lt(1 - cfg.epsilonLow()).logicalAnd(adv.lt(0f).broadcast(ratio.getShape()));
        NDArray highClipped = ratio.gt(1 + cfg.epsilonHigh()).logicalAnd(adv.gt(0f).broadcast(ratio.getShape()));
        double clipRatio = lowClipped.logicalOr(highClipped).toType(ai.djl.ndarray.types.DataType.FLOAT32, false)
                .mul(mask).sum().div(tokenCount).getFloat();
        return new Result(loss, clipRatio, klMean);
    }
}
