package dev.tropism.engine;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Everything a {@link TrainingRun} needs besides its checkpoint: the method's config, its data and
 * its seed. The service rebuilds the same spec from a job's stored config to resume it.
 *
 * <p>Each spec opens its own run, so {@link Engine#resume} needs no dispatch and a new method adds one record
 * (with its run) and nothing here. The interface is not {@code sealed}: its records live in the family packages,
 * and a sealed type's permitted subclasses must share its package unless the code is a named module (JLS 8.1.1.2).
 */
public interface RunSpec {

    /** Opens this spec's run; fresh when {@code checkpoint} is null, else continued exactly from it. */
    TrainingRun open(Path checkpoint, RunOptions options) throws IOException;

    /** The family of the model this run produces. */
    PolicyFamily family();

    /** Seed of every random stream in the run. */
    long seed();
}
