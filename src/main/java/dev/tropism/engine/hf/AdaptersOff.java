package dev.tropism.engine.hf;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.tropism.engine.lm.CausalLm;
import dev.tropism.engine.lm.KvCache;
import dev.tropism.engine.nn.FiniteCheck;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A model with LoRA adapters seen as its base: every forward runs with the adapters switched off. This is GRPO's
 * frozen reference π_ref under LoRA (as in TRL with a PEFT model, which disables the adapter to compute reference
 * log-probs), so the reference costs no second copy of the weights. It owns nothing: closing it does nothing, and it
 * must not be used from two threads at once with its model (the switch is the model's state).
 */
public final class AdaptersOff implements CausalLm {

    private final HfCausalLm model;

    public AdaptersOff(HfCausalLm model) {
        if (model.lora() == null) {
            throw new IllegalArgumentException("the model has no adapters");
        }
        this.model = model;
    }

    @Override
    public NDArray forward(NDArray tokens, NDArray positions, NDArray keyMask, KvCache cache) {
        return off(() -> model.forward(tokens, positions, keyMask, cache));
    }

    @Override
    public NDArray hidden(NDArray tokens, NDArray positions, NDArray keyMask, KvCache cache) {
        return off(() -> model.hidden(tokens, positions, keyMask, cache));
    }

    @Override
    public NDArray logits(NDArray hidden) {
        return off(() -> model.logits(hidden));
    }

    /** Runs {@code f} with the adapters off, then restores their state. */
    private NDArray off(Supplier<NDArray> f) {
        Lora lora = model.lora();
        boolean was = lora.enabled();
        lora.enabled(false);
        try {
            return f.get();
        } finally {
            lora.enabled(was);
        }
    }

    @Override
    public KvCache newCache() {
        return model.newCache();
    }

    @Override
    public int vocabSize() {
        return model.vocabSize();
    }

    @Override
    public int contextLength() {
        return model.contextLength();
    }

    @Override
    public int width() {
        return model.width();
    }

    @Override
    public int layers() {
        return model.layers();
    }

    @Override
    public int kvWidth() {
        return model.kvWidth();
    }

    /** The base weights (frozen: they never require gradients under LoRA). */
    @Override
    public Map<String, NDArray> parameters() {
        return model.parameters();
    }

    /** Does nothing: the reference must never train, and the base weights train only without adapters. */
    @Override
    public Device device() {
        return model.device();
    }

    @Override
    public void requireGradients(boolean on) {
    }

    /** A copy of the base weights, without adapters. */
    @Override
    public CausalLm copy(NDManager parent) {
        return model.copy(parent);
    }

    /** Shared with the model, which already checks its layers. */
    @Override
    public void checkFinite(FiniteCheck check) {
    }

    /** Does nothing: the model owns the weights. */
    @Override
    public void close() {
    }
}
