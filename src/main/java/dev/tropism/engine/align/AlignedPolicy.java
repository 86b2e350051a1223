package dev.tropism.engine.align;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import com.google.gson.JsonObject;
import dev.tropism.engine.ConfigException;
import dev.tropism.engine.NumericalInstabilityException;
import dev.tropism.engine.hf.AdaptersOff;
import dev.tropism.engine.hf.HfCausalLm;
import dev.tropism.engine.hf.HfDirectory;
import dev.tropism.engine.hf.Lora;
import dev.tropism.engine.hf.LoraConfig;
import dev.tropism.engine.hf.ModelFormatException;
import dev.tropism.engine.lm.CausalLm;
import dev.tropism.engine.lm.LanguageModel;
import dev.tropism.engine.nn.AdamW;
import dev.tropism.engine.nn.CheckpointFiles;
import dev.tropism.engine.nn.FiniteCheck;
import dev.tropism.engine.nn.Gradients;
import dev.tropism.engine.nn.NonFiniteGuard;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * The trainable policy of a language-model alignment run, its frozen reference π_ref and its AdamW state: what every
 * language-model method shares, so that a method's file holds its algorithm only.
 *
 * <p>With LoRA (Hu et al. 2021) only the adapters train and hold optimizer state, and π_ref is the same weights with
 * the adapters off ({@link AdaptersOff}), so there is no second copy of the model. Without it (full fine-tuning) π_ref
 * is the loaded base model and the policy a copy of it. A checkpoint's model directory replaces the copy (or holds
 * the adapters in PEFT's layout).
 */
public final class AlignedPolicy implements AutoCloseable {

    private final LanguageModel base;
    private final LanguageModel policy;
    private final CausalLm reference;
    private final LanguageModel referenceModel;
    private final Map<String, NDArray> trainable;
    private final AdamW optimizer;

    /**
     * Loads the base model, and the policy from {@code checkpoint} when it is not null (its optimizer state too).
     *
     * @param state the checkpoint's state ({@link CheckpointFiles#readState}); null for a fresh run
     * @param beta2 AdamW's β₂ (0.99 in the GRPO runs, 0.999 in most TRL trainers)
     */
    public AlignedPolicy(Path baseModel, LoraConfig lora, Path checkpoint, JsonObject state, long seed,
            double weightDecay, double beta2, NDManager root) throws IOException {
        base = LanguageModel.load(baseModel, root);
        try {
            if (lora != null) {
                HfCausalLm hf = imported(base);
                hf.attach(checkpoint == null ? Lora.initialize(lora, hf, seed, root)
                        : adapters(checkpoint.resolve(CheckpointFiles.MODEL_DIR), hf, root));
                policy = base;
                reference = new AdaptersOff(hf);
                referenceModel = base.with(reference);
                trainable = hf.lora().parameters();
            } else {
                reference = base.lm(); // frozen: never requires gradients, never updated
                policy = checkpoint != null ? LanguageModel.load(checkpoint.resolve(CheckpointFiles.MODEL_DIR), root)
                        : base.with(reference.copy(root));
                referenceModel = base;
                trainable = policy.lm().parameters();
            }
            optimizer = new AdamW(trainable, matrices(trainable), 0.9, beta2, 1e-8, weightDecay, root);
            if (state != null) {
                CheckpointFiles.readOptimizer(checkpoint, optimizer, state);
            }
        } catch (IOException | RuntimeException e) {
            base.close();
            throw e;
        }
    }

    /** The imported model LoRA adapts; tiny-gpt has no adapters (its full fine-tuning is cheap). */
    public static HfCausalLm imported(LanguageModel base) {
        if (base.lm() instanceof HfCausalLm hf) {
            return hf;
        }
        throw new ConfigException("lora", "LoRA adapts imported models (gpt2, llama, qwen2); align a tiny-gpt with "
                + "full fine-tuning (lora: null)");
    }

    /** The adapters a checkpoint's model directory holds in PEFT's layout. */
    static Lora adapters(Path modelDir, HfCausalLm model, NDManager parent) throws IOException {
        try {
            return Lora.loadPeft(modelDir.resolve(HfDirectory.PEFT_DIR), model, parent);
        } catch (ModelFormatException e) {
            throw new IOException("checkpoint adapters: " + e.getMessage(), e);
        }
    }

    /** The names of the matrices among {@code params}: weight decay applies to these only. */
    public static HashSet<String> matrices(Map<String, NDArray> params) {
        HashSet<String> out = new HashSet<>();
        params.forEach((name, a) -> {
            if (a.getShape().dimension() >= 2) {
                out.add(name);
            }
        });
        return out;
    }

    /** The model being trained (the base itself under LoRA, with its adapters attached). */
    public LanguageModel policy() {
        return policy;
    }

    /** π_ref: frozen, never requires gradients. */
    public CausalLm reference() {
        return reference;
    }

    /** π_ref with the tokenizer and chat format of the base model, for graders that score against it. */
    public LanguageModel referenceModel() {
        return referenceModel;
    }

    /** What the optimizer updates: every policy weight, or the adapters only under LoRA. */
    public Map<String, NDArray> trainable() {
        return trainable;
    }

    public AdamW optimizer() {
        return optimizer;
    }

    /** Turns anomaly checks on for both models' forwards. */
    public void checkFinite(FiniteCheck check) {
        policy.lm().checkFinite(check);
        reference.checkFinite(check);
    }

    /**
     * One optimizer update on the loss that {@code objective} builds from a fresh sub-manager of {@code parent} under
     * a gradient collector: backward, the global gradient norm, {@code guard}'s decision, clipping to {@code gradClip}
     * (0: unclipped) and the AdamW step at learning rate {@code lr}. Everything the forward and backward allocate is
     * freed before it returns. The objective should lend its input arrays to the manager it is given
     * ({@code tempAttach}) so that its activations land there.
     *
     * @param what names the loss in the error of a non-finite loss
     * @param step the 1-based step, for messages
     * @return the loss and the gradient norm (not finite when the update was skipped)
     * @throws NumericalInstabilityException when the loss is not finite; the weights are untouched
     */
    public Update update(NDManager parent, Function<NDManager, NDArray> objective, double lr, double gradClip,
            NonFiniteGuard guard, String what, int step) {
        return update(parent, objective, lr, gradClip, guard, what, step, null);
    }

    /**
     * Further trainable tensors beside the policy's (a value head, a learned log Z) and their own AdamW, which
     * {@link #update(NDManager, Function, double, double, NonFiniteGuard, String, int, Extra)} trains with the policy.
     */
    public record Extra(Map<String, NDArray> params, AdamW optimizer) {
    }

    /**
     * As {@link #update(NDManager, Function, double, double, NonFiniteGuard, String, int)}, and the loss trains
     * {@code extra}'s tensors too (null: none): the gradient norm, the guard's decision and the clipping cover the
     * policy's and theirs together, as one optimizer over both would, and {@code extra}'s AdamW steps whenever the
     * policy's does, so both count the same updates.
     */
    public Update update(NDManager parent, Function<NDManager, NDArray> objective, double lr, double gradClip,
            NonFiniteGuard guard, String what, int step, Extra extra) {
        Map<String, NDArray> all = trainable;
        if (extra != null) {
            all = new LinkedHashMap<>(trainable);
            all.putAll(extra.params());
        }
        Gradients.COLLECTOR_LOCK.lock();
        try (NDManager s = parent.newSubManager()) {
            requireGradients(all, true);
            double loss;
            try (GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                NDArray l = objective.apply(s);
                loss = l.getFloat();
                if (!Double.isFinite(loss)) {
                    throw new NumericalInstabilityException(what + " loss is " + loss + " at step " + step);
                }
                gc.backward(l);
            }
            double norm = Gradients.globalNorm(all, s);
            if (!guard.admit(norm, all, s, step)) {
                return new Update(loss, Double.NaN);
            }
            double scale = Gradients.clipScale(norm, gradClip);
            optimizer.step(trainable, lr, scale);
            if (extra != null) {
                extra.optimizer().step(extra.params(), lr, scale);
            }
            return new Update(loss, norm);
        } finally {
            requireGradients(all, false);
            Gradients.COLLECTOR_LOCK.unlock();
        }
    }

    /** What one {@link #update} did: its loss and gradient norm (NaN when the guard skipped the update). */
    public record Update(double loss, double gradNorm) {

        public boolean skipped() {
            return !Double.isFinite(gradNorm);
        }
    }

    private static void requireGradients(Map<String, NDArray> params, boolean on) {
        for (NDArray a : params.values()) {
            a.setRequiresGradient(on);
        }
    }

    /** Writes weights (or adapters), optimizer state, step, seed and {@code config} into {@code dir}. */
    public void save(Path dir, String kind, int step, long seed, Record config) throws IOException {
        CheckpointFiles.write(dir, kind, step, seed, policy::save, optimizer, config);
    }

    @Override
    public void close() {
        if (policy != base) {
            policy.close();
        }
        base.close(); // frees the native tokenizer too
    }
}
