package dev.tropism.engine.flow;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.tropism.engine.ArraysOnDevice;
import dev.tropism.engine.DeviceSpec;
import dev.tropism.engine.RunOptions;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tropism.engine.device}: the generator, its AdamW moments and the two classifier companions trained inside the
 * first step of a {@code tiny-flow} pretraining run live on the run's device, in its manager tree; so do the arrays
 * left after evaluation's sampling and after a checkpoint. (The CPU here: see {@link ArraysOnDevice}.)
 */
class FlowPretrainRunDeviceTest {

    @Test
    void everyArrayOfAFlowPretrainingStepIsOnTheRunsDevice(@TempDir Path tmp) throws Exception {
        Device device = DeviceSpec.CPU.resolve();
        FlowPretrainConfig cfg = new FlowPretrainConfig(2, 8, 3e-3, 0, 0, 1, 0.1, 1.0, 3, 0, 3);
        try (FlowPretrainRun run = new FlowPretrainRun(new FlowPretrainSpec(FlowFixtures.SMALL, cfg, 11), null,
                new RunOptions(false, device))) {
            assertThat(run.device()).isEqualTo(device);
            run.trainStep(); // trains the reward and gold classifiers first
            ArraysOnDevice.assertOwnedOn(device, run.root(), run.net().parameters(), "generator");
            ArraysOnDevice.assertOwnedOn(device, run.root(), run.rewardClassifier().parameters(), "reward classifier");
            ArraysOnDevice.assertOwnedOn(device, run.root(), run.goldClassifier().parameters(), "gold classifier");
            int held = ArraysOnDevice.assertEveryArrayOn(device, run.root(), "after the first step");
            run.evaluate();
            run.trainStep();
            run.saveCheckpoint(tmp.resolve("checkpoint"));
            assertThat(ArraysOnDevice.assertEveryArrayOn(device, run.root(), "after evaluation, a step and a checkpoint"))
                    .isEqualTo(held);
        }
    }
}
