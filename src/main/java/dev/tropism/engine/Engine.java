package dev.tropism.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/** The engine's entry point: opens training runs, fresh or resumed from a checkpoint. */
public final class Engine {

    private Engine() {
    }

    /** Opens a fresh run at step 0. */
    public static TrainingRun open(RunSpec spec) {
        return resume(spec, null);
    }

    /**
     * Opens a run; when {@code checkpoint} is non-null the run continues exactly from that
     * directory (written by {@link TrainingRun#saveCheckpoint}).
     */
    public static TrainingRun resume(RunSpec spec, Path checkpoint) {
        return resume(spec, checkpoint, RunOptions.DEFAULTS);
    }

    /** As {@link #resume(RunSpec, Path)}, with execution options (anomaly mode). */
    public static TrainingRun resume(RunSpec spec, Path checkpoint, RunOptions options) {
        try {
            return spec.open(checkpoint, options);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
