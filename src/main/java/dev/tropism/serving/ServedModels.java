package dev.tropism.serving;

import ai.djl.ndarray.NDManager;
import dev.tropism.engine.PolicyFamily;
import dev.tropism.engine.lm.CausalLm;
import dev.tropism.engine.lm.LanguageModel;
import dev.tropism.engine.serve.Generator;
import dev.tropism.engine.serve.GeneratorConfig;
import dev.tropism.models.ModelCache;
import dev.tropism.models.ModelRecord;
import dev.tropism.models.ModelStore;
import dev.tropism.storage.Artifacts;
import jakarta.annotation.PreDestroy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
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

    private static final String CHECKPOINT_PREFIX = "ckpt_";
    private static final int FP32_BYTES = 4;

    private final ModelStore models;
    private final ServingProperties properties;
    private final ModelCache<Loaded> cache;

    public ServedModels(ModelStore models, Artifacts artifacts, ServingProperties properties) {
        this.models = models;
        this.properties = properties;
        this.cache = new ModelCache<>("served", artifacts, properties.memoryBudget().toBytes(), Loaded::bytes,
                this::load);
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
        try {
            return new Lease(cache.acquire(record));
        } catch (RuntimeException | Error e) { // NOPMD: any load failure is the model's unavailability
            Throwable why = e instanceof UncheckedIOException io ? io.getCause() : e;
            throw new OpenAiException(HttpStatus.SERVICE_UNAVAILABLE, "server_error", "model", "model_unavailable",
                    "The model '" + record.id() + "' could not be loaded: " + why.getMessage(), null);
        }
    }

    /** Loads a model and starts its generator (the cache's loader). */
    private Loaded load(Path dir, NDManager parent) throws IOException {
        LanguageModel model = LanguageModel.load(dir, parent);
        try {
            Generator generator = new Generator(model, new GeneratorConfig(properties.maxBatch(),
                    properties.queueCapacity()));
            return new Loaded(model, generator, estimateBytes(model.lm()));
        } catch (RuntimeException | Error e) { // NOPMD: free the weights of a model whose generator did not start
            model.close();
            throw e;
        }
    }

    /**
     * Native footprint estimate: fp32 weights plus a full KV cache (keys and values of every layer for
     * {@code max_batch} rows of {@code block_size} positions), times {@code memory-overhead}.
     */
    long estimateBytes(CausalLm lm) {
        long kv = 2L * lm.layers() * properties.maxBatch() * lm.contextLength() * lm.kvWidth(); // K and V: (L, B, T, C_kv)
        return (long) Math.ceil((lm.parameterCount() + kv) * (double) FP32_BYTES * properties.memoryOverhead());
    }

    /** Ids of the models in the cache now, least recently used first (loading ones included). */
    public List<String> cached() {
        return cache.cached();
    }

    /** Models loaded from object storage since start (a reload after eviction counts again). */
    public long loads() {
        return cache.loads();
    }

    /** The estimated native bytes of the cached models. */
    public long usedBytes() {
        return cache.used();
    }

    /** The generator statistics of a cached, loaded model. */
    public Optional<Generator.Stats> stats(String modelId) {
        return cache.peek(modelId).map(loaded -> loaded.generator().stats());
    }

    /** Closes every model (on shutdown): generators first, which end their requests, then the weights. */
    @PreDestroy
    public void close() {
        cache.close();
    }

    /** A loaded model with its generator; closing stops the generator, then frees the weights. */
    record Loaded(LanguageModel model, Generator generator, long bytes) implements AutoCloseable {

        @Override
        public void close() {
            try {
                generator.close(); // ends nothing: no lease is open; stops the decoding thread
            } finally {
                model.close();
            }
        }
    }

    /**
     * The right to use a loaded model until {@link #close()}: the model is not closed while any lease
     * on it is open. Idempotent close.
     */
    public static final class Lease implements AutoCloseable {

        private final ModelCache.Lease<Loaded> lease;

        Lease(ModelCache.Lease<Loaded> lease) {
            this.lease = lease;
        }

        public LanguageModel model() {
            return lease.model().model();
        }

        public Generator generator() {
            return lease.model().generator();
        }

        @Override
        public void close() {
            lease.close();
        }
    }
}
