package dev.tropism.engine;

/** The two policy families the engine aligns behind one set of interfaces. */
public enum PolicyFamily {
    /** Autoregressive decoder-only language models (recipe {@code tiny-gpt}). */
    LANGUAGE_MODEL("language-model"),
    /** Rectified-flow image generators (a later issue). */
    FLOW_MATCHING("flow-matching");

    private final String wireName;

    PolicyFamily(String wireName) {
        this.wireName = wireName;
    }

    /** The name used in the REST API and in model metadata. */
    public String wireName() {
        return wireName;
    }
}
