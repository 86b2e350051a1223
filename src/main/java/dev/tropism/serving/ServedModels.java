package dev.tropism.serving;

import ai.djl.ndarray.NDManager;
import dev.tropism.engine.PolicyFamily;
import dev.tropism.engine.lm.GptConfig;
import dev.tropism.engine.lm.LanguageModel;
import dev.tropism.engine.serve.Generator;
import dev.tropism.engine.serve.GeneratorConfig;
import dev.tropism.storage.Artifacts;
import dev.tropism.models.ModelRecord;
import dev.tropism.models.ModelStore;
import jakarta.annotation.PreDestroy;
import java.io.IOException;
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
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;

/**
 * The language models being served: each loaded lazily from object storage into a {@link LanguageModel}
 * with one continuous-batching {@link Generator}, and kept in a cache bounded by
 * {@code tropism.serving.memory-budget}.
 *
 * <ul>
 *   <li>Addressing: a model id, or a checkpoint id ({@code ckpt_…}) meaning the model registered for
 *       that checkpoint. Only the caller's team's models; anything else is 404.</li>
 *   <li>Single flight: concurrent first requests for one model wait for one load.</li>
 *   <li>Budget: a model's footprint is estimated as (weights + its generator's full KV cache, fp32) ×
 *       {@code memory-overhead}; past the budget the least recently used models leave the cache. One
 *       model is always allowed, however large.</li>
 *   <li>Leases: every request holds a {@link Lease} from submission until its generations end. An
 *       evicted model keeps serving its leased requests and is closed (generator, then model) when the
 *       last lease is released, so eviction never interrupts a request.</li>
 * </ul>
 */
@Component
public class ServedModels {

    private static final Logger log = LoggerFactory.getLogger(ServedModels.class);
    private static final String CHECKPOINT_PREFIX = "ckpt_";
    private static final int FP32_BYTES = 4;

    private final ModelStore models;
    private final Artifacts artifacts;
    private final ServingProperties properties;
    private final Map<String, Entry> entries = new LinkedHashMap<>(16, 0.75f, true); // access order: LRU first
    private final AtomicLong loads = new AtomicLong();
    private long usedBytes; // guarded by this: estimates of the loaded entries in the map
    private NDManager root; // guarded by this; created on the first load so that PyTorch loads only when used

    public ServedModels(ModelStore models, Artifacts artifacts, ServingProperties properties) {
        this.models = models;
        this.artifacts = artifacts;
        this.properties = properties;
    }

    /**
     * The caller's ready language model addressed by {@code id}: a model id or a checkpoint id.
     *
     * @throws OpenAiException 404 for an unknown or another team's model or checkpoint; 400 for a model
     *     of another family (text endpoints serve {@code language-model} only) or one not ready yet
     */
    public ModelRecord resolve(String teamId, String id) {
        ModelRecord m = find(teamId, id);
        if (m.family() != PolicyFamily.LANGUAGE_MODEL) {
            throw new OpenAiException(HttpStatus.BAD_REQUEST, OpenAiException.INVALID_REQUEST, "model",
                    "model_not_supported", "The model '" + id + "' is a " + m.family() + "; this endpoint serves "
                    + PolicyFamily.LANGUAGE_MODEL.wireName() + " models only.", null);
        }
        if (!ModelRecord.READY.equals(m.status())) {
            throw new OpenAiException(HttpStatus.BAD_REQUEST, OpenAiException.INVALID_REQUEST, "model",
                    "model_not_ready", "The model '" + id + "' is " + m.status() + "; it can be called once ready.", null);
        }
        return m;
    }

    /**
     * The caller's model addressed by {@code id} (a model id or a checkpoint id), of any family or status.
     *
     * @throws OpenAiException 404 for an unknown or another team's model or checkpoint
     */
    public ModelRecord find(String teamId, String id) {
        Optional<ModelRecord> found = id.startsWith(CHECKPOINT_PREFIX) ? models.findByCheckpoint(teamId, id)
                : models.find(id).filter(m -> m.teamId().equals(teamId));
        return found.orElseThrow(() -> OpenAiException.modelNotFound(id));
    }

    /**
     * A lease on the loaded model of {@code record}, loading it first if needed (the caller then waits
     * for the load, shared with concurrent callers). Release it when the request's generations have
     * ended.
     *
     * @throws OpenAiException 503 when the model cannot be loaded
     */
    public Lease acquire(ModelRecord record) {
        Entry entry;
        boolean loader = false;
        synchronized (this) {
            entry = entries.get(record.id());
            if (entry == null) {
                entry = new Entry(record.id());
                entries.put(record.id(), entry);
                loader = true;
            }
            entry.leases++;
        }
        if (loader) {
            load(record, entry);
        }
        try {
            return new Lease(this, entry, entry.loading.join());
        } catch (CompletionException e) {
            release(entry);
            throw new OpenAiException(HttpStatus.SERVICE_UNAVAILABLE, "server_error", "model", "model_unavailable",
                    "The model '" + record.id() + "' could not be loaded: " + e.getCause().getMessage(), null);
        }
    }

    private void load(ModelRecord record, Entry entry) {
        Loaded loaded;
        Path dir = null;
        try {
            NDManager parent;
            synchronized (this) {
                if (root == null) {
                    root = NDManager.newBaseManager();
                }
                parent = root;
            }
            dir = Files.createTempDirectory("tropism-serve-");
            artifacts.download(record.objectPrefix(), dir);
            LanguageModel model = LanguageModel.load(dir, parent);
            Generator generator = new Generator(model,
                    new GeneratorConfig(properties.maxBatch(), properties.queueCapacity()));
            loaded = new Loaded(model, generator, estimateBytes(model.gpt().parameterCount(), model.gpt().config()));
            loads.incrementAndGet();
        } catch (IOException | RuntimeException | Error e) { // NOPMD: waiters must learn of any failure
            synchronized (this) {
                entries.remove(record.id(), entry);
            }
            entry.loading.completeExceptionally(e);
            return;
        } finally {
            Artifacts.deleteTree(dir);
        }
        List<Entry> evicted = new ArrayList<>();
        synchronized (this) {
            entry.bytes = loaded.bytes;
            usedBytes += loaded.bytes;
            for (Iterator<Entry> it = entries.values().iterator(); usedBytes > properties.memoryBudget().toBytes()
                    && it.hasNext(); ) {
                Entry e = it.next();
                if (e == entry || !e.loading.isDone()) {
                    continue; // never the model just loaded, and a loading one is not accounted yet
                }
                it.remove();
                usedBytes -= e.bytes;
                e.evicted = true;
                if (e.leases == 0) {
                    evicted.add(e);
                }
            }
        }
        entry.loading.complete(loaded);
        for (Entry e : evicted) {
            log.info("Evicted served model {} (memory budget {})", e.id, properties.memoryBudget());
            e.close();
        }
    }

    /**
     * Native footprint estimate: fp32 weights plus a full KV cache (keys and values of every layer for
     * {@code max_batch} rows of {@code block_size} positions), times {@code memory-overhead}.
     */
    long estimateBytes(long parameters, GptConfig c) {
        long kv = 2L * c.nLayer() * properties.maxBatch() * c.blockSize() * c.nEmbd(); // K and V: (L, B, T, C)
        return (long) Math.ceil((parameters + kv) * (double) FP32_BYTES * properties.memoryOverhead());
    }

    void release(Entry entry) {
        boolean close;
        synchronized (this) {
            entry.leases--;
            close = entry.evicted && entry.leases == 0;
        }
        if (close) {
            log.info("Closing evicted served model {} after its last request", entry.id);
            entry.close();
        }
    }

    /** Ids of the models in the cache now, least recently used first (loading ones included). */
    public synchronized List<String> cached() {
        return List.copyOf(entries.keySet());
    }

    /** Models loaded from object storage since start (a reload after eviction counts again). */
    public long loads() {
        return loads.get();
    }

    /** The estimated native bytes of the cached models. */
    public synchronized long usedBytes() {
        return usedBytes;
    }

    /** The generator statistics of a cached, loaded model. */
    public Optional<Generator.Stats> stats(String modelId) {
        Entry e;
        synchronized (this) {
            e = entries.get(modelId);
        }
        return e == null || !e.loading.isDone() || e.loading.isCompletedExceptionally() ? Optional.empty()
                : Optional.of(e.loading.join().generator.stats());
    }

    /** Closes every model (on shutdown): generators first, which end their requests, then the weights. */
    @PreDestroy
    public void close() {
        List<Entry> all;
        synchronized (this) {
            all = new ArrayList<>(entries.values());
            entries.clear();
            usedBytes = 0;
        }
        all.forEach(Entry::close);
        synchronized (this) {
            if (root != null) {
                root.close();
                root = null;
            }
        }
    }

    /** A cached model: loading (the future) or loaded. */
    static final class Entry {
        final String id;
        final CompletableFuture<Loaded> loading = new CompletableFuture<>();
        final AtomicBoolean closed = new AtomicBoolean();
        long bytes; // guarded by ServedModels.this
        int leases; // guarded by ServedModels.this
        boolean evicted; // guarded by ServedModels.this

        Entry(String id) {
            this.id = id;
        }

        void close() {
            if (closed.compareAndSet(false, true) && loading.isDone() && !loading.isCompletedExceptionally()) {
                Loaded l = loading.join();
                try {
                    l.generator.close(); // ends nothing: no lease is open; stops the decoding thread
                } finally {
                    l.model.close();
                }
            }
        }
    }

    record Loaded(LanguageModel model, Generator generator, long bytes) {
    }

    /**
     * The right to use a loaded model until {@link #close()}: the model is not closed while any lease
     * on it is open. Idempotent close.
     */
    public static final class Lease implements AutoCloseable {

        private final ServedModels owner;
        private final Entry entry;
        private final Loaded loaded;
        private final AtomicBoolean released = new AtomicBoolean();

        Lease(ServedModels owner, Entry entry, Loaded loaded) {
            this.owner = owner;
            this.entry = entry;
            this.loaded = loaded;
        }

        public LanguageModel model() {
            return loaded.model;
        }

        public Generator generator() {
            return loaded.generator;
        }

        @Override
        public void close() {
            if (released.compareAndSet(false, true)) {
                owner.release(entry);
            }
        }
    }
}
