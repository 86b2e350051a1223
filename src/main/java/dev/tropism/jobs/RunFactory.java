package dev.tropism.jobs;

import dev.tropism.engine.TrainingRun;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Opens the {@link TrainingRun} of a job from its stored configuration. The production implementation
 * is {@link EngineRunFactory}; tests substitute a deterministic one.
 */
public interface RunFactory {

    /**
     * @param job the job as stored (method JSON, datasets, reward spec, seed, team)
     * @param checkpoint a local directory written by {@link TrainingRun#saveCheckpoint}, or null for a fresh run
     * @param workDir a scratch directory owned by this run (e.g. for the downloaded base model); deleted after it
     */
    TrainingRun open(JobRecord job, Path checkpoint, Path workDir) throws IOException;
}
