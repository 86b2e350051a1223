package dev.tropism.engine.flowrl;

import java.util.Map;

/**
 * One flow alignment method: given a step's prompts, it samples, scores (through {@link FlowRlRun}'s shared
 * helpers, so rollouts, completions and rewards are batched the same way for every method), assigns credit
 * and updates the policy. Implementations are one file each and cite their paper.
 */
interface FlowMethod {

    /**
     * Once, before the first training step of a fresh run (DenseGRPO's noise calibration). State that must
     * survive a resume goes through {@link #state()} / {@link #restore}.
     */
    default void prepare(FlowRlRun run, Map<String, Double> metrics) {
    }

    /** One training step on {@code batch}: rollout, reward, credit, update. Puts its metrics. */
    void step(FlowRlRun run, FlowRlRun.StepBatch batch, Map<String, Double> metrics);

    /** Method state to checkpoint (e.g. calibrated noise levels), as JSON-compatible values; empty if none. */
    default Map<String, Object> state() {
        return Map.of();
    }

    /** Restores {@link #state()} from a checkpoint. */
    default void restore(Map<String, Object> state) {
    }
}
