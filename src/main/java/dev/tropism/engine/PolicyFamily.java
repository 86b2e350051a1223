package dev.tropism.engine;

/**
 * The model families the engine trains behind one set of interfaces: the two policy families it
 * aligns, and the reward models that score a policy's samples.
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
    REWARD_MODEL("reward-model");

    private final String wireName;

    PolicyFamily(String wireName) {
        this.wireName = wireName;
    }

    /** The name used in the REST API and in model metadata. */
    public String wireName() {
        return wireName;
    }
}
