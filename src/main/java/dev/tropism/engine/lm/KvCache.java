package dev.tropism.engine.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Keys and values of the positions seen so far, per layer: (B, h, Tc, hs), where h is the model's key/value head
 * count (the query heads for {@link Gpt}; fewer under grouped-query attention). Extending it replaces (and closes)
 * the previous arrays, so a decode of N tokens holds one copy, not N. Any {@link CausalLm} fills it in its
 * {@code forward}.
 */
public final class KvCache {
    private final NDArray[] keys;
    private final NDArray[] values;
    private long length;

    KvCache(int layers) {
        keys = new NDArray[layers];
        values = new NDArray[layers];
    }

    /** A new, empty cache of {@code layers} layers (what {@link CausalLm#newCache} returns). */
    public static KvCache empty(int layers) {
        return new KvCache(layers);
    }

    public long length() {
        return length;
    }

    /** Appends a forward's new keys (B, h, Tn, hs) to layer {@code layer}; returns all of them (B, h, Tc + Tn, hs). */
    public NDArray appendKeys(int layer, NDArray k) {
        keys[layer] = concat(keys[layer], k);
        return keys[layer];
    }

    /** As {@link #appendKeys}, for values. */
    public NDArray appendValues(int layer, NDArray v) {
        values[layer] = concat(values[layer], v);
        return values[layer];
    }

    /** Moves the cached arrays to {@code m}, so they outlive the step manager that created them. */
    public void keep(NDManager m) {
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != null) {
                keys[i].attach(m);
                values[i].attach(m);
            }
        }
    }

    /** Counts {@code n} more positions, once every layer has appended them. */
    public void advance(long n) {
        length += n;
    }

    /**
     * A cache over existing per-layer arrays, each (B, h, Tc, hs) with the same Tc: what a continuous
     * batcher builds when it gathers, pads or joins rows of other caches between decoding steps.
     */
    public static KvCache of(NDArray[] keys, NDArray[] values) {
        if (keys.length != values.length || keys.length == 0) {
            throw new IllegalArgumentException("need the same positive number of key and value layers");
        }
        KvCache c = new KvCache(keys.length);
        System.arraycopy(keys, 0, c.keys, 0, keys.length);
        System.arraycopy(values, 0, c.values, 0, values.length);
        c.length = keys[0].getShape().get(2);
        return c;
    }

    /** Number of layers. */
    public int layers() {
        return keys.length;
    }

    /** Layer {@code layer}'s cached keys (B, h, Tc, hs); null before the first forward. */
    public NDArray keys(int layer) {
        return keys[layer];
    }

    /** Layer {@code layer}'s cached values (B, h, Tc, hs); null before the first forward. */
    public NDArray values(int layer) {
        return values[layer];
    }

    private static NDArray concat(NDArray old, NDArray add) {
        if (old == null) {
            return add;
        }
        NDArray joined = old.concat(add, 2);
        old.close();
        return joined;
    }
}
