package dev.tropism.engine.align;

/**
 * What the service reads of every language-model method's config record ({@link LmMethodType#configClass()}): its
 * length, warmup and evaluation cadence, and the sequence lengths it asks of the model's context. Each record names
 * and documents these knobs itself; this interface only lets the service read them without knowing the method.
 */
public interface LmMethodConfig {

    /** Optimizer steps (or rollout batches) of the run. */
    int maxSteps();

    /** Linear warmup steps of the learning rate. */
    int warmupSteps();

    /** Steps between evaluations; 0 disables them. */
    int evalInterval();

    /** Tokens sampled per completion at most; 0 for methods that sample nothing (SFT, DPO). */
    default int maxCompletionLength() {
        return 0;
    }

    /** Tokens of a given prompt and completion together at most; 0 for the model's context (or methods that sample). */
    default int maxLength() {
        return 0;
    }

    /**
     * Sequences in one forward and backward pass (a rollout batch of P·G, a batch of pairs is 2·B), for the service's
     * memory estimate at submission; 0 when the method does not say (no estimate is made).
     */
    default int sequencesPerUpdate() {
        return 0;
    }

    /** Further model copies the method trains besides the policy (an implicit PRM is one), for the memory estimate. */
    default int extraModelCopies() {
        return 0;
    }
}
