package dev.tropism.engine.rl;

import dev.tropism.engine.TrainingRun;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/** Work in progress: replaced by the real implementation in the next engine commit. */
public final class GrpoRun implements TrainingRun {

    public GrpoRun(GrpoSpec spec, Path checkpoint) throws IOException {
        throw new UnsupportedOperationException("not implemented yet");
    }

    @Override public int step() { return 0; }
    @Override public int totalSteps() { return 0; }
    @Override public int evalInterval() { return 0; }
    @Override public Map<String, Double> trainStep() { return Map.of(); }
    @Override public Map<String, Double> evaluate() { return Map.of(); }
    @Override public void saveCheckpoint(Path dir) { }
    @Override public void exportModel(Path dir) { }
    @Override public void close() { }
}
