package dev.tropism.engine.flowrl;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.tropism.engine.ArraysOnDevice;
import dev.tropism.engine.DeviceSpec;
import dev.tropism.engine.RewardFunction;
import dev.tropism.engine.RunOptions;
import dev.tropism.engine.flow.FlowFixtures;
import dev.tropism.engine.flow.FlowNetConfig;
import dev.tropism.engine.flow.FlowPretrainConfig;
import dev.tropism.engine.flow.FlowPretrainRun;
import dev.tropism.engine.flow.FlowPretrainSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tropism.engine.device}: every array of a Flow-GRPO run (policy, frozen reference, θ_old's scoring, AdamW
 * moments, the gold classifier) and the rollout's trajectory, alive while its images are scored, lives on the device
 * the run was opened with, in its manager tree; so does a run resumed from its checkpoint. (The CPU here: see
 * {@link ArraysOnDevice}.)
 */
class FlowRlRunDeviceTest {

    @Test
    void everyArrayOfAFlowAlignmentStepIsOnTheRunsDevice(@TempDir Path tmp) throws Exception {
        Device device = DeviceSpec.CPU.resolve();
        RunOptions options = new RunOptions(false, device);
        Path base = tmp.resolve("base");
        try (FlowPretrainRun pretrain = new FlowPretrainRun(new FlowPretrainSpec(new FlowNetConfig(14, 16, 2, 10, 32, 4),
                new FlowPretrainConfig(1, 8, 3e-3, 0, 0, 1, 0.1, 1.0, 3, 0, 3), 11), null, options)) {
            pretrain.trainStep();
            pretrain.exportModel(base);
        }

        AtomicReference<FlowRlRun> running = new AtomicReference<>();
        AtomicInteger checkedMidStep = new AtomicInteger();
        RewardFunction brightness = FlowFixtures.brightness();
        RewardFunction probe = batch -> {
            checkedMidStep.set(ArraysOnDevice.assertEveryArrayOn(device, running.get().root(), "while scoring"));
            return brightness.score(batch);
        };
        // β > 0 keeps the reference in play; μ = 2 scores θ_old apart before the updates.
        FlowRlConfig cfg = new FlowRlConfig(2, 2, 4, 6, 0.7, 1.0, 0, 3e-3, 0, 0.0, 1.0, 0.04, 1e-4, 5.0, 2, 0, 2, 0.5);
        FlowAlignSpec spec = new FlowAlignSpec(base, FlowMethodType.FLOW_GRPO, cfg, null,
                FlowFixtures.prompts("trouser", "bag"), List.of(), probe, brightness, 5);
        Path checkpoint = tmp.resolve("checkpoint");
        try (FlowRlRun run = new FlowRlRun(spec, null, options)) {
            running.set(run);
            assertThat(run.device()).isEqualTo(device);
            run.trainStep();
            ArraysOnDevice.assertOwnedOn(device, run.root(), run.policy().parameters(), "policy");
            ArraysOnDevice.assertOwnedOn(device, run.root(), run.reference().parameters(), "reference");
            int held = ArraysOnDevice.assertEveryArrayOn(device, run.root(), "after a step");
            assertThat(checkedMidStep.get()).as("mid-step, the rollout's trajectory is among the run's arrays")
                    .isGreaterThan(held);
            run.evaluate();
            run.saveCheckpoint(checkpoint);
            assertThat(ArraysOnDevice.assertEveryArrayOn(device, run.root(), "after evaluation and a checkpoint"))
                    .isEqualTo(held);
        }
        try (FlowRlRun resumed = new FlowRlRun(spec, checkpoint, options)) {
            running.set(resumed);
            ArraysOnDevice.assertOwnedOn(device, resumed.root(), resumed.policy().parameters(), "resumed policy");
            resumed.trainStep();
            ArraysOnDevice.assertEveryArrayOn(device, resumed.root(), "after a resumed step");
        }
    }
}
