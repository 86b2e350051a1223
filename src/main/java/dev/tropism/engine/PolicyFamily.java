package dev.tropism.engine;

/**
 * The model families the engine trains behind one set of interfaces: the two policy families it
 * aligns, and the scorers of a policy's samples (reward models, image classifiers). Every model row has one.
 */
public enum PolicyFamily {
    /** Autoregressive decoder-only language models (recipe {@code tiny-gpt}). */
    LANGUAGE_MODEL("language-model"),
    /** Rectified-flow image generators (a later issue). */
    FLOW_MATCHING("flow-matching"),
    /**
     * Scalar reward models on a {@code tiny-gpt} backbone, trained from preference pairs. Not a policy:
     * they score text, they do not generate it, so no alignment method accepts one as its model.
     */
    REWARD_MODEL("reward-model"),
    /**
     * The image classifiers a {@code tiny-flow} pretraining exports beside its generator (a reward and a gold one),
     * which image graders load. Not a policy either.
     */
    IMAGE_CLASSIFIER("image-classifier");

    private final String wireName;

    PolicyFamily(String wireName) {
        this.wireName = wireName;
    }

    /** The name used in the REST API and in model metadata. */
    public String wireName() {
        return wireName;
    }

    /** The family named {@code wireName}. */
    public static PolicyFamily ofWire(String wireName) {
        for (PolicyFamily f : values()) {
            if (f.wireName.equals(wireName)) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown model family '" + wireName + "'");
    }

    @Override
    public String toString() {
        return wireName;
    }
}
