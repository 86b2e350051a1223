package dev.tropism.engine.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * Keys and values of the positions seen so far, per layer: (B, h, Tc, hs), where h is the model's key/value head
 * count (the query heads for {@link Gpt}; fewer under grouped-query attention). Any {@link CausalLm} fills it in its
 * {@code forward}.
 *
 * <p>Two layouts. A growing cache ({@link #empty}) replaces (and closes) its arrays on every extension by a concat,
 * so a decode of N tokens holds one copy, not N, but copies the whole cache once per layer and step, into a freshly
 * allocated array: in a profile of tiny-gpt's decode at batch 64 those concats (and the page faults of their
 * allocations) took the most time of any op. A preallocated cache ({@link #withCapacity}) allocates each layer's
 * (B, h, capacity, hs) buffer on the first forward and writes every later position into it in place; attention reads
 * a view of the filled columns, which for one-position decode steps gives the same bits as the concatenated array
 * (GptTest checks it). A sampler that knows its prompt width plus new tokens asks for that capacity.
 */
public final class KvCache {
    private final NDArray[] keys;
    private final NDArray[] values;
    private final long capacity; // columns of each preallocated buffer; 0 for a growing cache
    private long length;

    KvCache(int layers) {
        this(layers, 0);
    }

    private KvCache(int layers, long capacity) {
        keys = new NDArray[layers];
        values = new NDArray[layers];
        this.capacity = capacity;
    }

    /** A new, empty, growing cache of {@code layers} layers (what {@link CausalLm#newCache()} returns). */
    public static KvCache empty(int layers) {
        return new KvCache(layers);
    }

    /**
     * A new, empty cache of {@code layers} layers that will hold at most {@code capacity} positions, written in place
     * into buffers allocated on the first forward (in the manager of that forward's keys).
     */
    public static KvCache withCapacity(int layers, int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be positive: " + capacity);
        }
        return new KvCache(layers, capacity);
    }

    public long length() {
        return length;
    }

    /**
     * Appends a forward's new keys (B, h, Tn, hs) to layer {@code layer}; returns all of them (B, h, Tc + Tn, hs): of a
     * preallocated cache, a view of its buffer in {@code k}'s manager. Call once per layer per forward, then
     * {@link #advance} once.
     */
    public NDArray appendKeys(int layer, NDArray k) {
        if (capacity == 0) {
            keys[layer] = concat(keys[layer], k);
            return keys[layer];
        }
        keys[layer] = write(keys[layer], k);
        return filled(keys[layer], k);
    }

    /** As {@link #appendKeys}, for values. */
    public NDArray appendValues(int layer, NDArray v) {
        if (capacity == 0) {
            values[layer] = concat(values[layer], v);
            return values[layer];
        }
        values[layer] = write(values[layer], v);
        return filled(values[layer], v);
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

    /**
     * Layer {@code layer}'s cached keys (B, h, Tc, hs) of a growing cache; null before the first forward. A
     * preallocated cache hands out views of its buffers only through {@link #appendKeys}, in the forward's manager.
     */
    public NDArray keys(int layer) {
        growingOnly();
        return keys[layer];
    }

    /** Layer {@code layer}'s cached values (B, h, Tc, hs), as {@link #keys}. */
    public NDArray values(int layer) {
        growingOnly();
        return values[layer];
    }

    private void growingOnly() {
        if (capacity != 0) {
            throw new IllegalStateException("a preallocated cache lends its columns through append only");
        }
    }

    /**
     * Writes {@code add} (B, h, Tn, hs) into columns [length, length + Tn) of {@code buffer} (B, h, capacity, hs),
     * allocating the buffer in {@code add}'s manager on the first forward.
     */
    private NDArray write(NDArray buffer, NDArray add) {
        Shape s = add.getShape();
        long end = length + s.get(2);
        if (end > capacity) {
            throw new IllegalStateException("the cache holds " + capacity + " positions; this forward needs " + end);
        }
        NDArray b = buffer != null ? buffer
                : add.getManager().zeros(new Shape(s.get(0), s.get(1), capacity, s.get(3)), add.getDataType());
        b.set(new NDIndex().addAllDim(2).addSliceDim(length, end), add); // in place
        return b;
    }

    /**
     * The buffer's columns [0, length + Tn) after {@link #write} of {@code add}: a view, in {@code add}'s manager. On
     * the first forward that is {@code add} itself, as the growing cache returns it: a prefill's attention (Tn &gt; 1)
     * over a strided view rounds differently in the last bit from the same product over a contiguous array, while a
     * one-position step's does not, so this keeps every logit bit-identical to the growing cache.
     */
    private NDArray filled(NDArray buffer, NDArray add) {
        if (length == 0) {
            return add;
        }
        return buffer.get(add.getManager(), new NDIndex().addAllDim(2).addSliceDim(0, length + add.getShape().get(2)));
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
