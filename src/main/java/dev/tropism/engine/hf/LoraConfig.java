package dev.tropism.engine.hf;

import static dev.tropism.engine.ConfigException.require;

import java.util.List;

/**
 * Low-rank adaptation (Hu et al. 2021, LoRA, eq. 3): a frozen projection W gains a trainable update ΔW = (α/r)·B·A,
 * so y = x·Wᵀ + (α/r)·(x·Aᵀ)·Bᵀ. Knob names are PEFT's {@code LoraConfig}.
 *
 * @param rank r, the inner dimension of A (r, in) and B (out, r); 8 is PEFT's default; larger adapts more and costs
 *     more memory
 * @param alpha α; the update is scaled by α / r, so changing r does not change the update's initial size
 * @param dropout dropout on the adapter's input; only 0 is implemented so far
 * @param targetModules projections to adapt, matched as PEFT matches them: a module whose name is the target or ends
 *     with "." + target; empty means the family's default ({@link #defaultTargets})
 */
public record LoraConfig(int rank, double alpha, double dropout, List<String> targetModules) {

    public LoraConfig {
        require(rank >= 1 && rank <= 1024, "rank", "must be in [1, 1024], got " + rank);
        require(alpha > 0 && Double.isFinite(alpha), "alpha", "must be positive, got " + alpha);
        require(dropout == 0, "dropout", "only 0 is supported so far, got " + dropout);
        targetModules = List.copyOf(targetModules);
    }

    /** The update's scale α / r. */
    public double scale() {
        return alpha / rank;
    }

    /** The attention projections: q, k, v and o (GPT-2 fuses q, k and v in {@code c_attn}). */
    public static List<String> defaultTargets(Architecture a) {
        return switch (a) {
            case GPT2 -> List.of("c_attn", "attn.c_proj");
            case LLAMA, QWEN2 -> List.of("q_proj", "k_proj", "v_proj", "o_proj");
        };
    }

    /** The targets in force for architecture {@code a}. */
    public List<String> targets(Architecture a) {
        return targetModules.isEmpty() ? defaultTargets(a) : targetModules;
    }

    /** PEFT's rule: {@code module} is {@code target} or ends with "." + target. */
    static boolean matches(String module, String target) {
        return module.equals(target) || module.endsWith("." + target);
    }
}
