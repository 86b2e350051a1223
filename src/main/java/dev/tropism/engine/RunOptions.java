package dev.tropism.engine;

import ai.djl.Device;
import java.util.Objects;

/**
 * How a {@link TrainingRun} executes, beside what it computes ({@link RunSpec}): options that never change
 * its results (beyond the last bits of floating point, between a CPU and a GPU).
 *
 * @param checkFinite anomaly mode. Default false. Every layer's output is checked in the forward pass and
 *        every parameter gradient after the backward pass; the first NaN or infinite value fails the run with a
 *        {@link NonFiniteValueException} that names its step, pass, layer and tensor. Without it, a non-finite
 *        gradient skips the update ({@code train/skipped_steps}) and only a run of them fails the run. It costs
 *        one reduction and one host sync per layer output: about 10-20% slower steps on CPU.
 * @param device where every array of the run lives: its root manager's device, from which each model, optimizer
 *        state and step array descends. Default the CPU, so that a caller gets a GPU only by asking
 *        ({@link DeviceSpec#resolve()}) and tests are the same on every machine. Checkpoints and exports are
 *        device-independent files: a run saved on a GPU resumes on the CPU and the other way round.
 */
public record RunOptions(boolean checkFinite, Device device) {

    /** No anomaly mode, on the CPU. */
    public static final RunOptions DEFAULTS = new RunOptions(false, Device.cpu());

    public RunOptions {
        Objects.requireNonNull(device, "device");
    }
}
