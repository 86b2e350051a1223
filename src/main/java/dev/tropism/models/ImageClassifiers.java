package dev.tropism.models;

import dev.tropism.engine.PolicyFamily;
import dev.tropism.engine.flow.ImageClassifier;
import dev.tropism.rewards.ImageClassifierScorer;
import dev.tropism.storage.Artifacts;
import jakarta.annotation.PreDestroy;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * Image classifiers (family {@code image-classifier}: the classifiers of the {@code tiny-flow} recipe) loaded
 * for {@code classifier} and {@code reference_similarity} graders. At most
 * {@code tropism.image-classifiers.cache-size} (default 4) stay loaded ({@link ModelCache}).
 */
@Component
public class ImageClassifiers implements ImageClassifierScorer {

    private final ModelStore models;
    private final ModelCache<ImageClassifier> cache;

    public ImageClassifiers(ModelStore models, Artifacts artifacts,
            @Value("${tropism.image-classifiers.cache-size:4}") int cacheSize) {
        this.models = models;
        this.cache = new ModelCache<>("image classifier", artifacts, cacheSize, ImageClassifier::load);
    }

    @Override
    public Optional<String> unusable(String teamId, String modelId) {
        return record(teamId, modelId).map(m -> m.unusableAs(PolicyFamily.IMAGE_CLASSIFIER))
                .orElse(Optional.of("no model with id '" + modelId + "'"));
    }

    @Override
    public <R> R apply(String teamId, String modelId, Function<ImageClassifier, R> fn) {
        ModelRecord record = record(teamId, modelId)
                .orElseThrow(() -> new IllegalArgumentException("no model with id '" + modelId + "'"));
        record.unusableAs(PolicyFamily.IMAGE_CLASSIFIER).ifPresent(reason -> {
            throw new IllegalArgumentException(reason);
        });
        return cache.use(record, fn);
    }

    private Optional<ModelRecord> record(String teamId, String modelId) {
        return models.find(modelId).filter(m -> m.teamId().equals(teamId));
    }

    /** Ids of the classifiers loaded now, least recently used first. */
    List<String> cached() {
        return cache.cached();
    }

    @PreDestroy
    public void close() {
        cache.close();
    }
}
