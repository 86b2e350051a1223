package dev.tropism.jobs;

import java.util.List;
import java.util.Optional;

/**
 * The models registered from a job's checkpoints ({@link CheckpointSaved}), as checkpoint retention needs to see them.
 * The models module implements this port, so that {@code jobs} never depends on {@code models}.
 */
public interface CheckpointModels {

    /** Ids of the models whose weights are the checkpoint's own files (its {@code <name>@<step>} model). */
    List<String> modelsOf(Checkpoint checkpoint);

    /**
     * {@link #modelsOf}, with their rows locked until the transaction ends: retention takes the lock before it looks for
     * references, so that a writer that also locks the model (or one retention of another launch) waits for its verdict.
     */
    List<String> lockModelsOf(Checkpoint checkpoint);

    /**
     * What outside the checkpoint's own models still references it, for the message: a model exported from it (a job's
     * result model) or trained from one of its models (their child); empty when nothing does.
     */
    Optional<String> referencedBy(Checkpoint checkpoint);

    /** Marks the checkpoint's own models {@code deleted}: they can no longer be served, evaluated or trained from. */
    void markDeleted(Checkpoint checkpoint);
}
