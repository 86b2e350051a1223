package dev.tropism.engine;

import ai.djl.Device;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * One training run (pretraining or alignment) driven one optimizer step at a time by its caller.
 * The caller owns the loop, so it can checkpoint, pause or cancel between any two steps; a run holds
 * native memory and must be closed.
 *
 * <p>Checkpoint contract: {@link #saveCheckpoint(Path)} writes weights, optimizer state, step, RNG
 * state and the run's config into a directory; {@link Engine#resume} restores a run from that
 * directory so that the next {@link #trainStep()} is exactly the one the original run would have done.
 */
public interface TrainingRun extends AutoCloseable {

    /** Steps completed so far (0 before the first {@link #trainStep()}). */
    int step();

    /**
     * The device every array of this run lives on ({@link RunOptions#device()}). The engine's runs report the one they
     * were opened with; the default, the host, suits a run that holds no arrays (a test double).
     */
    default Device device() {
        return Device.cpu();
    }

    /** Steps this run will do in total. */
    int totalSteps();

    /** How often (in steps) the caller should call {@link #evaluate()}; 0 means never. */
    int evalInterval();

    /**
     * Does one optimizer step and returns its metrics, keyed by {@link MetricNames}.
     *
     * @throws NumericalInstabilityException if the loss or gradient is not finite; weights are untouched
     */
    Map<String, Double> trainStep();

    /** Evaluates the current weights (e.g. greedy accuracy on the eval set); keys are {@code eval/*}. */
    Map<String, Double> evaluate();

    /** Writes the complete resumable state into {@code dir} (created if absent). */
    void saveCheckpoint(Path dir) throws IOException;

    /** Writes an inference-only model (config, tokenizer, weights) into {@code dir}. */
    void exportModel(Path dir) throws IOException;

    /**
     * A PNG grid of fixed-seed samples drawn at the last {@link #evaluate()}, for families that generate
     * images; empty otherwise (and before the first evaluation).
     */
    default java.util.Optional<byte[]> evalSamplesPng() {
        return java.util.Optional.empty();
    }

    /**
     * Further models that {@link #exportModel} writes into sub-directories of its directory, to be
     * registered beside the exported model (the {@code tiny-flow} recipe's two classifiers).
     */
    default java.util.List<Companion> companions() {
        return java.util.List.of();
    }

    /**
     * A model exported beside the main one.
     *
     * @param suffix appended to the main model's name ({@code <name>/<suffix>})
     * @param family its {@link PolicyFamily} wire name or another family name
     * @param subdir its directory relative to the export directory
     * @param parameters its parameter count
     */
    record Companion(String suffix, PolicyFamily family, String subdir, long parameters) {
    }

    @Override
    void close();
}
