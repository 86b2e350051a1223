package dev.tropism.models;

import ai.djl.ndarray.NDManager;
import dev.tropism.storage.Artifacts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stored models loaded from object storage for inference, within a budget, least recently used first out. Every
 * cache of loaded models in the service is one of these: reward models and image classifiers (a budget of N
 * models), flow models for image generation, and the served language models (a budget of native bytes).
 * Thread-safe:
 * <ul>
 *   <li>single flight: the first caller of a model loads it, and concurrent callers wait for that load; a failed
 *       load is forgotten, so the next call tries again;</li>
 *   <li>budget: each loaded model weighs {@code weigher(model)} (1 by default); past {@code budget} the least
 *       recently used loaded models leave, never the one just loaded, so one model always fits;</li>
 *   <li>leases: a caller holds a {@link Lease} while it uses a model ({@link #use} holds one for its call). An
 *       evicted model is closed at once when no lease is open, else when the last lease is released, so
 *       eviction never pulls a model from under a call;</li>
 *   <li>a model's weights never change once it is ready, so the cache is keyed by model id alone (callers check
 *       ownership first).</li>
 * </ul>
 *
 * @param <T> the loaded model, which owns native memory under the parent manager it was loaded into
 */
public final class ModelCache<T extends AutoCloseable> implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ModelCache.class);

    /** Loads a model from the directory its objects were downloaded into. */
    @FunctionalInterface
    public interface Loader<T> {
        T load(Path dir, NDManager parent) throws IOException;
    }

    private final String name;
    private final Artifacts artifacts;
    private final Loader<T> loader;
    private final long budget;
    private final ToLongFunction<T> weigher;
    private final Map<String, Entry<T>> entries = new LinkedHashMap<>(16, 0.75f, true); // access order: LRU first
    private NDManager root; // guarded by this; created on the first load, so that PyTorch loads only when used
    private long used; // guarded by this: the weight of the loaded entries in the map
    private long loads; // guarded by this

    /** A cache of at most {@code capacity} models. */
    public ModelCache(String name, Artifacts artifacts, int capacity, Loader<T> loader) {
        this(name, artifacts, capacity, model -> 1, loader);
    }

    /**
     * A cache whose models weigh {@code weigher(model)} each, at most {@code budget} in all (one model always fits).
     *
     * @param name what the models are, for the log ("served", "reward")
     */
    public ModelCache(String name, Artifacts artifacts, long budget, ToLongFunction<T> weigher, Loader<T> loader) {
        if (budget < 1) {
            throw new IllegalArgumentException("a model cache holds at least 1 model, got a budget of " + budget);
        }
        this.name = name;
        this.artifacts = artifacts;
        this.budget = budget;
        this.weigher = weigher;
        this.loader = loader;
    }

    /**
     * A lease on the loaded model of {@code record}, loading it first when needed (concurrent callers share one
     * load). Close it when done; the model stays open until then, even if evicted meanwhile.
     *
     * @throws UncheckedIOException when the model cannot be loaded (or the loader's own runtime exception)
     */
    public Lease<T> acquire(ModelRecord record) {
        Entry<T> e;
        boolean loadHere = false;
        synchronized (this) {
            e = entries.get(record.id());
            if (e == null) {
                e = new Entry<>(record.id());
                entries.put(record.id(), e);
                loadHere = true;
            }
            e.leases++;
        }
        if (loadHere) {
            load(record, e);
        }
        try {
            return new Lease<>(this, e, e.loading.join());
        } catch (CompletionException failed) {
            release(e);
            Throwable cause = failed.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new UncheckedIOException("cannot load model " + record.id() + ": " + cause.getMessage(),
                    cause instanceof IOException io ? io : new IOException(cause));
        }
    }

    /**
     * Applies {@code fn} to the loaded model of {@code record} (loading it first when needed), with no other
     * {@code use} of that model running meanwhile.
     *
     * @throws UncheckedIOException when the model cannot be loaded
     */
    public <R> R use(ModelRecord record, Function<? super T, R> fn) {
        try (Lease<T> lease = acquire(record)) {
            lease.entry.lock.lock();
            try {
                return fn.apply(lease.model());
            } finally {
                lease.entry.lock.unlock();
            }
        }
    }

    private void load(ModelRecord record, Entry<T> entry) {
        T model;
        Path dir = null;
        try {
            NDManager parent;
            synchronized (this) {
                if (root == null) {
                    root = NDManager.newBaseManager();
                }
                parent = root;
            }
            dir = Files.createTempDirectory("tropism-model-");
            artifacts.download(record.objectPrefix(), dir);
            model = loader.load(dir, parent);
        } catch (IOException | RuntimeException | Error e) { // NOPMD: waiters must learn of any failure
            synchronized (this) {
                entries.remove(record.id(), entry);
            }
            entry.loading.completeExceptionally(e);
            return;
        } finally {
            Artifacts.deleteTree(dir);
        }
        List<Entry<T>> idle = new ArrayList<>();
        synchronized (this) {
            loads++;
            entry.weight = weigher.applyAsLong(model);
            used += entry.weight;
            for (Iterator<Entry<T>> it = entries.values().iterator(); used > budget && it.hasNext(); ) {
                Entry<T> x = it.next();
                if (x == entry || !x.loading.isDone()) {
                    continue; // never the model just loaded; a loading one is not accounted yet
                }
                it.remove();
                used -= x.weight;
                x.evicted = true;
                if (x.leases == 0) {
                    idle.add(x);
                }
            }
        }
        entry.loading.complete(model);
        for (Entry<T> x : idle) {
            log.info("Evicted {} model {} (budget {})", name, x.id, budget);
            x.close();
        }
    }

    private void release(Entry<T> e) {
        boolean close;
        synchronized (this) {
            e.leases--;
            close = e.evicted && e.leases == 0;
        }
        if (close) {
            log.info("Closing evicted {} model {} after its last call", name, e.id);
            e.close();
        }
    }

    /** Ids of the models in the cache, least recently used first (loading ones included). */
    public synchronized List<String> cached() {
        return List.copyOf(entries.keySet());
    }

    /** Models loaded from object storage so far (a reload after eviction counts again). */
    public synchronized long loads() {
        return loads;
    }

    /** The weight of the loaded models in the cache. */
    public synchronized long used() {
        return used;
    }

    /** The model of {@code id} if it is loaded now, without loading it or making it recently used. */
    public Optional<T> peek(String id) {
        Entry<T> e;
        synchronized (this) {
            e = entries.values().stream().filter(x -> x.id.equals(id)).findFirst().orElse(null);
        }
        return e == null || !e.loading.isDone() || e.loading.isCompletedExceptionally() ? Optional.empty()
                : Optional.of(e.loading.join());
    }

    /** Closes every model and the native memory root (on shutdown). */
    @Override
    public void close() {
        List<Entry<T>> all;
        synchronized (this) {
            all = new ArrayList<>(entries.values());
            entries.clear();
            used = 0;
        }
        all.forEach(Entry::close);
        synchronized (this) {
            if (root != null) {
                root.close();
                root = null;
            }
        }
    }

    /**
     * The right to use a loaded model until {@link #close()}: the model is not closed while a lease on it is open.
     * Closing twice is harmless.
     */
    public static final class Lease<T extends AutoCloseable> implements AutoCloseable {

        private final ModelCache<T> owner;
        private final Entry<T> entry;
        private final T model;
        private final AtomicBoolean released = new AtomicBoolean();

        private Lease(ModelCache<T> owner, Entry<T> entry, T model) {
            this.owner = owner;
            this.entry = entry;
            this.model = model;
        }

        public T model() {
            return model;
        }

        @Override
        public void close() {
            if (released.compareAndSet(false, true)) {
                owner.release(entry);
            }
        }
    }

    /** A cached model: loading (the future) or loaded. */
    private static final class Entry<T extends AutoCloseable> {
        final String id;
        final CompletableFuture<T> loading = new CompletableFuture<>();
        final ReentrantLock lock = new ReentrantLock(); // serializes use()
        final AtomicBoolean closed = new AtomicBoolean();
        long weight; // guarded by the cache
        int leases; // guarded by the cache
        boolean evicted; // guarded by the cache

        Entry(String id) {
            this.id = id;
        }

        void close() {
            if (!closed.compareAndSet(false, true) || !loading.isDone() || loading.isCompletedExceptionally()) {
                return;
            }
            lock.lock(); // waits for a use() still running (on shutdown)
            try {
                loading.join().close();
            } catch (Exception e) { // NOPMD: closing frees native memory; nothing else to do on failure
                throw new IllegalStateException("cannot close model " + id, e);
            } finally {
                lock.unlock();
            }
        }
    }
}
