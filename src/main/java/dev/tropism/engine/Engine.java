package dev.tropism.engine;

import dev.tropism.engine.lm.LmPretrainRun;
import dev.tropism.engine.lm.PretrainSpec;
import dev.tropism.engine.rl.GrpoRun;
import dev.tropism.engine.rl.GrpoSpec;
import dev.tropism.engine.rm.RewardModelRun;
import dev.tropism.engine.rm.RewardModelSpec;
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
            // One line per run kind (Java 17 has no pattern switch).
            if (spec instanceof PretrainSpec p) {
                return new LmPretrainRun(p, checkpoint, options);
            }
            if (spec instanceof GrpoSpec g) {
                return new GrpoRun(g, checkpoint, options);
            }
            if (spec instanceof dev.tropism.engine.flow.FlowPretrainSpec f) {
                return new dev.tropism.engine.flow.FlowPretrainRun(f, checkpoint, options);
            }
            if (spec instanceof dev.tropism.engine.flowrl.FlowAlignSpec f) {
                return new dev.tropism.engine.flowrl.FlowRlRun(f, checkpoint, options);
            }
            if (spec instanceof RewardModelSpec r) {
                return new RewardModelRun(r, checkpoint, options);
            }
            throw new IllegalArgumentException("unsupported run spec " + spec.getClass().getSimpleName());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
