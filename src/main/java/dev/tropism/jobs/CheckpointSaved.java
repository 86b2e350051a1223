package dev.tropism.jobs;

import dev.tropism.engine.PolicyFamily;

/**
 * An alignment job saved a checkpoint, whose {@code model/} directory is itself a model
 * ({@code <aligned name>@<step>}). Published inside the transaction that records the checkpoint.
 *
 * @param baseModel the job's base model
 * @param family the family of the job's models
 * @param suffix the job's {@code suffix}, null when none
 * @param modelPrefix where the checkpoint's model directory lives in object storage
 */
public record CheckpointSaved(String jobId, String teamId, String baseModel, PolicyFamily family, String suffix,
        String checkpoint, int step, String modelPrefix) {
}
