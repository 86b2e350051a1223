package dev.tropism.rewards;

import dev.tropism.engine.flow.ImageClassifier;
import java.util.Optional;
import java.util.function.Function;

/**
 * A team's stored image classifiers ({@code image-classifier} models), for the {@code classifier} and
 * {@code reference_similarity} graders. Implemented by the models module (which loads and caches them);
 * the rewards module only calls it.
 */
public interface ImageClassifierScorer {

    /** Why team {@code teamId} cannot use {@code modelId}, or empty when it can. Loads nothing. */
    Optional<String> unusable(String teamId, String modelId);

    /**
     * Applies {@code fn} to the loaded classifier, with no other call on it meanwhile; {@code fn} must not
     * keep the classifier.
     *
     * @throws RuntimeException when the model cannot be used or loaded; graders report it per sample
     */
    <R> R apply(String teamId, String modelId, Function<ImageClassifier, R> fn);
}
