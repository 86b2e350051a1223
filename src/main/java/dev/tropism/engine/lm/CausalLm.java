package dev.tropism.engine.lm;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.tropism.engine.nn.FiniteCheck;
import dev.tropism.engine.nn.NamedArrays;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A decoder-only language model as training, sampling, scoring and serving use it: Tropism's own {@link Gpt} and
 * the imported HuggingFace families ({@code engine.hf}). Parameters are plain NDArrays owned by the model; a forward
 * creates its arrays in the manager of its input, so callers scope each step in a sub-manager.
 */
public interface CausalLm extends AutoCloseable {

    /**
     * Next-token logits.
     *
     * @param tokens (B, Tn) int32 token ids of the new positions
     * @param positions (B, Tn) int32 absolute positions (0-based, pads excluded from the count)
     * @param keyMask (B, Tc + Tn) float32, 1 for real tokens and 0 for padding, over cached + new keys
     * @param cache per-layer keys and values of earlier positions, extended in place; null when training
     * @return (B, Tn, V) logits
     */
    NDArray forward(NDArray tokens, NDArray positions, NDArray keyMask, KvCache cache);

    /**
     * The final hidden states (after the last norm, before the output projection): what {@link #forward} projects
     * onto the vocabulary, and what a scalar head (a reward model) reads. Arguments as for {@link #forward}.
     *
     * @return (B, Tn, d) hidden states
     */
    NDArray hidden(NDArray tokens, NDArray positions, NDArray keyMask, KvCache cache);

    /**
     * The output projection of hidden states from {@link #hidden} onto the vocabulary: {@link #forward} is
     * {@code logits(hidden(...))}. A caller that needs the logits of only some positions (GRPO's update, at the
     * completion) projects only those: with a 32k–150k vocabulary the projection and its (B, T, V) output are most of
     * a small model's step.
     *
     * @param hidden (B, T, d) hidden states
     * @return (B, T, V) logits
     */
    NDArray logits(NDArray hidden);

    /** A new, empty cache; its arrays live in the manager of the inputs passed to {@link #forward}. */
    KvCache newCache();

    /**
     * A new, empty cache for a decode that will never hold more than {@code capacity} positions (prompt width plus new
     * tokens), so that a model may write into preallocated buffers instead of growing arrays
     * ({@link KvCache#withCapacity}). By default the growing cache of {@link #newCache()}.
     */
    default KvCache newCache(int capacity) {
        return newCache();
    }

    /** Rows of the embedding and columns of the logits. */
    int vocabSize();

    /** The longest sequence (prompt plus completion) the model takes. */
    int contextLength();

    /** Model width d: the last axis of {@link #hidden}. */
    int width();

    /** Transformer blocks: each keeps one key and one value per position in a {@link KvCache}. */
    int layers();

    /** Floats one position's keys take in one layer of the cache: key/value heads × head size (d without GQA). */
    default int kvWidth() {
        return width();
    }

    /** Parameters by name, in a stable order. */
    Map<String, NDArray> parameters();

    /** The device its parameters live on (its manager's): where arrays made for its forward must be created. */
    Device device();

    /** Turns gradient tracking of every parameter on or off. */
    default void requireGradients(boolean on) {
        for (NDArray a : parameters().values()) {
            a.setRequiresGradient(on);
        }
    }

    /** A copy of these weights in its own manager (e.g. the frozen GRPO reference). */
    CausalLm copy(NDManager parent);

    /** Writes the parameters in the engine's checkpoint format ({@link NamedArrays}), named as in {@link #parameters}. */
    default void save(Path file) throws IOException {
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file))) {
            NamedArrays.write(parameters(), out);
        }
    }

    /** Anomaly mode: every layer's output goes through {@code check}. */
    void checkFinite(FiniteCheck check);

    /**
     * Adds {@code noise} to the input embeddings of every later forward, until called with null: NEFTune's
     * training-time noise (SFT's {@code neftune_noise_alpha}). Copies do not inherit it. Models without the hook
     * refuse it.
     */
    default void embeddingNoise(EmbeddingNoise noise) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no embedding-noise hook");
    }

    default long parameterCount() {
        long n = 0;
        for (NDArray a : parameters().values()) {
            n += a.size();
        }
        return n;
    }

    /** Names of all parameters whose tensors are matrices (weight decay applies to these only). */
    default List<String> matrixParameterNames() {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, NDArray> e : parameters().entrySet()) {
            if (e.getValue().getShape().dimension() >= 2) {
                out.add(e.getKey());
            }
        }
        return out;
    }

    @Override
    void close();
}
