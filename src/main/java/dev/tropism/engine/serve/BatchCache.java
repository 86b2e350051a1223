package dev.tropism.engine.serve;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.tropism.engine.lm.CausalLm;
import dev.tropism.engine.lm.KvCache;

/**
 * The running batch's keys and values: one {@link KvCache} whose rows are the active sequences,
 * each left-padded to the common width W (the longest row), with padding masked out by the key mask.
 * Rows leave by a gather along the batch axis (then the all-padding columns on the left are trimmed,
 * so W stays the longest live row, never more than block_size); rows join by left-padding the narrower
 * of the two caches and concatenating along the batch axis. This is the "batched cache with row
 * gather/scatter" layout; rebuilding happens only when the batch changes, while the alternative of
 * per-row caches would copy every row's whole cache into a stacked tensor at every step.
 *
 * <p>The arrays live in a manager owned by this object and are closed as soon as they are replaced,
 * so native memory is bounded by one cache of the live rows.
 */
final class BatchCache implements AutoCloseable {

    private final NDManager manager;
    private KvCache cache; // null when no row is live

    BatchCache(NDManager parent) {
        this.manager = parent.newSubManager();
    }

    /** The cache to pass to {@link CausalLm#forward}, or null when empty (a prefill starts its own). */
    KvCache kv() {
        return cache;
    }

    /** Columns W of every row (real tokens plus left padding). */
    int width() {
        return cache == null ? 0 : (int) cache.length();
    }

    /**
     * Hands the cache to a step's manager for one forward. Gpt's attention transposes the cached keys,
     * and an array belongs to its first operand's manager, so without this every step would leave a
     * transposed copy per layer in the long-lived manager. {@link #keep()} takes the cache back.
     */
    void lend(NDManager step) {
        if (cache != null) {
            cache.keep(step);
        }
    }

    /** Moves the (extended) cache out of the step's manager into this cache's own. */
    void keep() {
        if (cache != null) {
            cache.keep(manager);
        }
    }

    /**
     * Keeps only {@code rows} (old row indices, in their new order) and drops the first {@code trim}
     * columns, which must be padding in every kept row.
     */
    void retain(int[] rows, int trim, NDManager step) {
        if (cache == null) {
            return;
        }
        if (rows.length == 0) {
            clear();
            return;
        }
        long batch = cache.keys(0).getShape().get(0);
        boolean identity = rows.length == batch;
        for (int i = 0; identity && i < rows.length; i++) {
            identity = rows[i] == i;
        }
        boolean allRows = identity;
        if (allRows && trim == 0) {
            return;
        }
        NDArray index = step.create(rows).toType(DataType.INT64, false);
        NDIndex columns = new NDIndex(":, :, " + trim + ":");
        replace(a -> {
            NDArray picked = allRows ? a : a.get(step, new NDIndex("{}", index)); // (B', nh, W, hs)
            return trim == 0 ? picked : picked.get(step, columns); // (B', nh, W - trim, hs)
        });
    }

    /** Appends the rows of {@code joining} (a prefill's cache, right-aligned) below the current rows. */
    void join(KvCache joining, NDManager step) {
        if (cache == null) {
            cache = joining;
            cache.keep(manager);
            return;
        }
        long width = Math.max(width(), joining.length());
        NDArray[] keys = new NDArray[cache.layers()];
        NDArray[] values = new NDArray[cache.layers()];
        for (int l = 0; l < keys.length; l++) {
            keys[l] = leftPad(cache.keys(l), width, step).concat(leftPad(joining.keys(l), width, step), 0);
            values[l] = leftPad(cache.values(l), width, step).concat(leftPad(joining.values(l), width, step), 0);
        }
        install(keys, values);
    }

    /** (B, nh, T, hs) → (B, nh, width, hs) with zeros on the left; the result is in {@code step}. */
    private static NDArray leftPad(NDArray a, long width, NDManager step) {
        Shape s = a.getShape();
        if (s.get(2) == width) {
            return a.get(step, new NDIndex("..."));
        }
        return step.zeros(new Shape(s.get(0), s.get(1), width - s.get(2), s.get(3))).concat(a, 2);
    }

    private void replace(java.util.function.UnaryOperator<NDArray> f) {
        NDArray[] keys = new NDArray[cache.layers()];
        NDArray[] values = new NDArray[cache.layers()];
        for (int l = 0; l < keys.length; l++) {
            keys[l] = f.apply(cache.keys(l));
            values[l] = f.apply(cache.values(l));
        }
        install(keys, values);
    }

    private void install(NDArray[] keys, NDArray[] values) {
        clear();
        for (int l = 0; l < keys.length; l++) {
            keys[l].attach(manager);
            values[l].attach(manager);
        }
        cache = KvCache.of(keys, values);
    }

    /** Drops every row. */
    void clear() {
        if (cache != null) {
            for (int l = 0; l < cache.layers(); l++) {
                cache.keys(l).close();
                cache.values(l).close();
            }
            cache = null;
        }
    }

    /** Arrays this cache holds (for leak checks). */
    int liveArrays() {
        return manager.getManagedArrays().size();
    }

    @Override
    public void close() {
        cache = null;
        manager.close();
    }
}
