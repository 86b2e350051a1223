package dev.tropism.serving;

import dev.tropism.engine.PolicyFamily;
import dev.tropism.engine.flow.FlowModel;
import dev.tropism.storage.Artifacts;
import dev.tropism.models.ModelCache;
import dev.tropism.models.ModelRecord;
import jakarta.annotation.PreDestroy;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.function.Function;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;

/**
 * The flow-matching models served by {@code /v1/images/generations}: addressed like the language models
 * ({@link ServedModels#find}: a model id or a {@code ckpt_…} id, the caller's team only), loaded lazily from
 * object storage and kept in an LRU cache of {@code tropism.serving.image-model-cache-size} models
 * ({@link ModelCache}: calls on one model run one at a time; an evicted model closes after its last call).
 */
@Component
class FlowModels {

    private final ServedModels served;
    private final ModelCache<FlowModel> cache;

    FlowModels(ServedModels served, Artifacts artifacts, ServingProperties properties) {
        this.served = served;
        this.cache = new ModelCache<>("image generation", artifacts, properties.imageModelCacheSize(), FlowModel::load);
    }

    /**
     * The caller's ready flow-matching model addressed by {@code id}.
     *
     * @throws OpenAiException 404 for an unknown or another team's model; 400 for another family or a
     *     model not ready yet
     */
    ModelRecord resolve(String teamId, String id) {
        ModelRecord m = served.find(teamId, id);
        if (m.family() != PolicyFamily.FLOW_MATCHING) {
            throw new OpenAiException(HttpStatus.BAD_REQUEST, OpenAiException.INVALID_REQUEST, "model",
                    "model_not_supported", "The model '" + id + "' is a " + m.family() + ", not an image model;"
                    + " this endpoint serves " + PolicyFamily.FLOW_MATCHING.wireName() + " models only.", null);
        }
        if (!ModelRecord.READY.equals(m.status())) {
            throw new OpenAiException(HttpStatus.BAD_REQUEST, OpenAiException.INVALID_REQUEST, "model",
                    "model_not_ready", "The model '" + id + "' is " + m.status() + "; it can be called once ready.", null);
        }
        return m;
    }

    /**
     * Applies {@code fn} to the loaded model, alone on it meanwhile.
     *
     * @throws OpenAiException 503 when the model cannot be loaded
     */
    <R> R use(ModelRecord record, Function<FlowModel, R> fn) {
        try {
            return cache.use(record, fn);
        } catch (UncheckedIOException e) {
            throw new OpenAiException(HttpStatus.SERVICE_UNAVAILABLE, "server_error", "model", "model_unavailable",
                    "The model '" + record.id() + "' could not be loaded: " + e.getMessage(), null);
        }
    }

    /** Ids of the models loaded now, least recently used first. */
    List<String> cached() {
        return cache.cached();
    }

    @PreDestroy
    void close() {
        cache.close();
    }
}
