package dev.tropism.engine;

/**
 * How a {@link TrainingRun} executes, beside what it computes ({@link RunSpec}): options that never change
 * its results.
 *
 * @param checkFinite anomaly mode. Default false. Every layer's output is checked in the forward pass and
 *        every parameter gradient after the backward pass; the first NaN or infinite value fails the run with a
 *        {@link NonFiniteValueException} that names its step, pass, layer and tensor. Without it, a non-finite
 *        gradient skips the update ({@code train/skipped_steps}) and only a run of them fails the run. It costs
 *        one reduction and one host sync per layer output: about 10-20% slower steps on CPU.
 */
public record RunOptions(boolean checkFinite) {

    /** No anomaly mode. */
    public static final RunOptions DEFAULTS = new RunOptions(false);
}
