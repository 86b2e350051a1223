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
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * Stored models loaded from object storage for inference, at most {@code capacity} at once, least recently
 * used first out. Thread-safe:
 * <ul>
 *   <li>calls on one model are served one at a time ({@link #use}), and the first one loads it;</li>
 *   <li>an evicted model is closed at once when idle, else by the last call still using it, so eviction
 *       never pulls a model from under a call;</li>
 *   <li>a model's weights never change once it is ready, so the cache is keyed by model id alone (callers
 *       check ownership before {@link #use}).</li>
 * </ul>
 *
 * @param <T> the loaded model, which owns native memory under the parent manager it was loaded into
 */
public final class ModelCache<T extends AutoCloseable> implements AutoCloseable {

    /** Loads a model from the directory its objects were downloaded into. */
    @FunctionalInterface
    public interface Loader<T> {
        T load(Path dir, NDManager parent) throws IOException;
    }

    private final Artifacts artifacts;
    private final Loader<T> loader;
    private final int capacity;
    private final Map<String, Entry<T>> entries = new LinkedHashMap<>(16, 0.75f, true); // access order: LRU first
    private NDManager root; // guarded by this; created on the first load, so that PyTorch loads only when used
    private long loads; // guarded by this

    public ModelCache(Artifacts artifacts, int capacity, Loader<T> loader) {
        if (capacity < 1) {
            throw new IllegalArgumentException("a model cache holds at least 1 model, got " + capacity);
        }
        this.artifacts = artifacts;
        this.capacity = capacity;
        this.loader = loader;
    }

    /**
     * Applies {@code fn} to the loaded model of {@code record} (loading it first when needed), with no other
     * call on that model running meanwhile.
     *
     * @throws UncheckedIOException when the model cannot be loaded
     */
    public <R> R use(ModelRecord record, Function<? super T, R> fn) {
        Entry<T> e;
        synchronized (this) {
            e = entries.computeIfAbsent(record.id(), Entry::new);
            e.users++;
        }
        List<Entry<T>> evicted = List.of();
        try {
            e.lock.lock();
            try {
                if (e.model == null) {
                    e.model = load(record);
                    evicted = evictBeyondCapacity(e);
                }
                return fn.apply(e.model);
            } finally {
                e.lock.unlock();
            }
        } finally {
            release(e);
            evicted.forEach(Entry::close);
        }
    }

    private T load(ModelRecord record) {
        NDManager parent;
        synchronized (this) {
            if (root == null) {
                root = NDManager.newBaseManager();
            }
            parent = root;
        }
        Path dir = null;
        try {
            dir = Files.createTempDirectory("tropism-model-");
            artifacts.download(record.objectPrefix(), dir);
            T model = loader.load(dir, parent);
            synchronized (this) {
                loads++;
            }
            return model;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load model " + record.id() + ": " + e.getMessage(), e);
        } finally {
            Artifacts.deleteTree(dir);
        }
    }

    /** Removes the least recently used loaded models beyond capacity; returns those idle now, to close. */
    private synchronized List<Entry<T>> evictBeyondCapacity(Entry<T> keep) {
        long loaded = entries.values().stream().filter(x -> x.model != null).count();
        List<Entry<T>> idle = new ArrayList<>();
        for (Iterator<Entry<T>> it = entries.values().iterator(); loaded > capacity && it.hasNext(); ) {
            Entry<T> x = it.next();
            if (x == keep || x.model == null) {
                continue; // never the model just loaded; a loading one is not counted yet
            }
            it.remove();
            loaded--;
            x.evicted = true;
            if (x.users == 0) {
                idle.add(x);
            }
        }
        return idle;
    }

    private void release(Entry<T> e) {
        boolean close;
        synchronized (this) {
            e.users--;
            if (e.model == null && e.users == 0) {
                entries.remove(e.id, e); // its load failed: the next call tries again
            }
            close = e.evicted && e.users == 0;
        }
        if (close) {
            e.close();
        }
    }

    /** Ids of the loaded models, least recently used first. */
    public synchronized List<String> cached() {
        return entries.values().stream().filter(x -> x.model != null).map(x -> x.id).toList();
    }

    /** Models loaded from object storage so far (a reload after eviction counts again). */
    public synchronized long loads() {
        return loads;
    }

    /** Closes every model and the native memory root (on shutdown). */
    @Override
    public void close() {
        List<Entry<T>> all;
        synchronized (this) {
            all = new ArrayList<>(entries.values());
            entries.clear();
        }
        all.forEach(Entry::close);
        synchronized (this) {
            if (root != null) {
                root.close();
                root = null;
            }
        }
    }

    private static final class Entry<T extends AutoCloseable> {
        final String id;
        final ReentrantLock lock = new ReentrantLock();
        volatile T model; // written under lock, read under the cache's monitor too
        int users; // guarded by the cache
        boolean evicted; // guarded by the cache

        Entry(String id) {
            this.id = id;
        }

        void close() {
            lock.lock();
            try {
                if (model != null) {
                    model.close();
                    model = null;
                }
            } catch (Exception e) { // NOPMD: closing frees native memory; nothing else to do on failure
                throw new IllegalStateException("cannot close model " + id, e);
            } finally {
                lock.unlock();
            }
        }
    }
}
