package dev.tropism.engine;

/**
 * Everything a {@link TrainingRun} needs besides its checkpoint: the method's config, its data and
 * its seed. The service rebuilds the same spec from a job's stored config to resume it. A new method
 * or family adds a record and a line in {@link Engine#resume}; the job machinery does not change.
 */
public interface RunSpec {

    /** The family of the model this run produces. */
    PolicyFamily family();

    /** Seed of every random stream in the run. */
    long seed();
}
