package dev.tropism.jobs;

import dev.tropism.engine.hf.LoraConfig;
import dev.tropism.engine.align.LmMethodConfig;
import dev.tropism.engine.rl.GrpoConfig;
import dev.tropism.engine.rm.RewardModelConfig;
import java.util.Locale;

/**
 * What a GRPO, reward-model or other language-model job will hold in memory at its peak, estimated at submission from the base model's shape, so that a
 * job that cannot fit is refused with the estimate instead of failing mid-run. Everything is float32 (4 bytes), as
 * the engine holds it.
 *
 * <ul>
 *   <li><b>weights</b>: the policy's P parameters; in full fine-tuning also the frozen reference copy (another P).
 *       Under LoRA the reference is the policy with its adapters off, so it costs nothing.</li>
 *   <li><b>optimizer</b>: a gradient and AdamW's two moments for every trained parameter: 3·P in full fine-tuning,
 *       3·P_lora under LoRA, where each adapted (d × d) projection of each layer adds r·(d + d) parameters and the
 *       attention has four projections (q, k, v, o; GPT-2's fused c_attn counts as three).</li>
 *   <li><b>activations</b> of one update over the rollout batch of B = prompts_per_step × num_generations sequences
 *       of T = the longest prompt + max_completion_length tokens (at most the model's context; a prompt's characters
 *       bound its tokens): the logits and their log-softmax and gradient, 3·B·T·V, and about 16 values per layer,
 *       position and width kept for the backward pass, 16·L·B·T·d.</li>
 * </ul>
 * A reward-model job has no reference copy and no logits (its head gives one score per sequence): weights P, the
 * optimizer as above, and 16·L·(2·batch_size)·T·d activations for the chosen and rejected sequences of a batch, T
 * being {@code max_length} (0: the context).
 *
 * <p>It is an estimate: the engine's allocator adds some overhead and frees some buffers early, so the budget should
 * leave headroom.
 */
record TrainingMemory(long weights, long optimizer, long activations) {

    static final long FLOAT = 4;
    /** Values per layer, position and width kept for backward (attention and MLP intermediates). */
    static final long ACTIVATIONS_PER_LAYER = 16;
    /** Projections LoRA adapts by default (the attention's q, k, v and o). */
    static final long LORA_PROJECTIONS = 4;

    /** The shape of a base model, as its stored config says. */
    record Shape(long parameters, int vocab, int width, int layers, int context) {
    }

    /** @param promptTokens an upper bound on the tokens of the longest prompt (its characters, plus the template's) */
    static TrainingMemory grpo(Shape m, GrpoConfig c, LoraConfig lora, long promptTokens) {
        long rows = (long) c.promptsPerStep() * c.numGenerations(); // B
        long positions = Math.min(m.context(), promptTokens + c.maxCompletionLength()); // T
        long trained = trained(m, lora);
        long weights = FLOAT * (lora == null ? 2 * m.parameters() : m.parameters());
        long optimizer = FLOAT * 3 * trained;
        long logits = 3L * rows * positions * m.vocab();
        long hidden = ACTIVATIONS_PER_LAYER * m.layers() * rows * positions * m.width();
        return new TrainingMemory(weights, optimizer, FLOAT * (logits + hidden));
    }

    /**
     * A language-model job of {@code LmMethodType}: as GRPO, with B its {@link LmMethodConfig#sequencesPerUpdate()} and T the longest
     * prompt plus {@code max_completion_length} for the methods that sample, else {@code max_length} (0: the context);
     * each further trained model copy ({@link LmMethodConfig#extraModelCopies()}, an implicit PRM) adds its weights,
     * its reference's (in full fine-tuning) and its optimizer state. Null when the method gives no batch size.
     */
    static TrainingMemory lm(Shape m, LmMethodConfig c, LoraConfig lora, long promptTokens) {
        long rows = c.sequencesPerUpdate(); // B
        if (rows <= 0) {
            return null;
        }
        long positions = c.maxCompletionLength() > 0 ? Math.min(m.context(), promptTokens + c.maxCompletionLength())
                : c.maxLength() == 0 ? m.context() : Math.min(m.context(), c.maxLength()); // T
        long copies = 1 + c.extraModelCopies();
        long trained = copies * trained(m, lora);
        // full fine-tuning: each trained copy beside a frozen reference; LoRA: each copy is the base with adapters
        long weights = FLOAT * (lora == null ? 2 * copies : copies) * m.parameters();
        long logits = 3L * rows * positions * m.vocab();
        long hidden = ACTIVATIONS_PER_LAYER * m.layers() * rows * positions * m.width();
        return new TrainingMemory(weights, FLOAT * 3 * trained, FLOAT * (logits + hidden));
    }

    static TrainingMemory rewardModel(Shape m, RewardModelConfig c, LoraConfig lora) {
        long rows = 2L * c.batchSize(); // chosen and rejected
        long positions = c.maxLength() == 0 ? m.context() : Math.min(m.context(), c.maxLength());
        long trained = trained(m, lora);
        long hidden = ACTIVATIONS_PER_LAYER * m.layers() * rows * positions * m.width();
        return new TrainingMemory(FLOAT * m.parameters(), FLOAT * 3 * trained, FLOAT * hidden);
    }

    /** Parameters that train and hold optimizer state: all of them, or the adapters' r·(d + d) per projection. */
    private static long trained(Shape m, LoraConfig lora) {
        return lora == null ? m.parameters() : LORA_PROJECTIONS * m.layers() * (long) lora.rank() * 2L * m.width();
    }

    long total() {
        return weights + optimizer + activations;
    }

    /** "9.8 GiB (weights 4.0, optimizer 2.0, activations 3.8)". */
    String describe() {
        return String.format(Locale.ROOT, "%s (weights %s, optimizer %s, activations %s)", gib(total()), gib(weights),
                gib(optimizer), gib(activations));
    }

    static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.2f GiB", bytes / (1024.0 * 1024 * 1024));
    }
}
