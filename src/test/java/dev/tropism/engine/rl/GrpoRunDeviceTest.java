package dev.tropism.engine.rl;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import dev.tropism.engine.ArraysOnDevice;
import dev.tropism.engine.DeviceSpec;
import dev.tropism.engine.RewardFunction;
import dev.tropism.engine.RewardResult;
import dev.tropism.engine.RunOptions;
import dev.tropism.engine.lm.GptConfig;
import dev.tropism.engine.lm.LmPretrainRun;
import dev.tropism.engine.lm.PretrainConfig;
import dev.tropism.engine.lm.PretrainSpec;
import dev.tropism.engine.rl.GrpoConfig.LossType;
import dev.tropism.engine.rl.GrpoConfig.ScaleRewards;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tropism.engine.device}: every array of a GRPO run (policy, frozen reference, AdamW moments, and what a step
 * holds while its rewards are scored), of its evaluation and of a run resumed from its checkpoint lives on the device
 * the run was opened with, in the run's own manager tree; so do the weights of the pretraining run that made its
 * base model. This machine has no GPU, so the device is the CPU: see {@link ArraysOnDevice} for what that still tells.
 */
class GrpoRunDeviceTest {

    @TempDir
    Path tmp;

    @Test
    void everyArrayOfAGrpoStepIsOnTheRunsDevice() throws Exception {
        Device device = DeviceSpec.CPU.resolve();
        RunOptions options = new RunOptions(false, device);

        // 1. A tiny-gpt base: one pretraining step on the device
        Path base = tmp.resolve("base");
        PretrainSpec pretrainSpec = new PretrainSpec(new GptConfig(2, 32, 4, 8, 4),
                new PretrainConfig(1, 4, 3e-3, 0.1, 0, 0.0, 1.0, 0, 0.0, 0.0, 10, 4),
                List.of("a=x", "b=y", "c=z", "d=x"), 5);
        try (LmPretrainRun pretrain = new LmPretrainRun(pretrainSpec, null, options)) {
            pretrain.trainStep();
            assertThat(pretrain.device()).isEqualTo(device);
            assertThat(pretrain.model().lm().device()).isEqualTo(device);
            for (NDArray w : pretrain.model().lm().parameters().values()) {
                assertThat(w.getDevice()).isEqualTo(device);
            }
            pretrain.exportModel(base);
        }

        // 2. GRPO with a KL term (the reference model) and μ = 2 (π_θold scored apart), probed while it scores rewards
        AtomicReference<GrpoRun> running = new AtomicReference<>();
        AtomicInteger checkedMidStep = new AtomicInteger();
        RewardFunction probe = batch -> {
            checkedMidStep.set(ArraysOnDevice.assertEveryArrayOn(device, running.get().root(), "while scoring"));
            List<RewardResult> out = new ArrayList<>();
            for (int i = 0; i < batch.size(); i++) {
                out.add(RewardResult.of(i % 2)); // spread within each group, so that the update has a gradient
            }
            return out;
        };
        GrpoConfig cfg = new GrpoConfig(2, 2, 4, 2, 3e-3, 0, 0.0, 1.0, 0.04, 0.2, 0.28, ScaleRewards.GROUP,
                LossType.DAPO, false, 3, 1.0, 1.0, 1, 4, 1.0);
        List<Map<String, Object>> prompts = List.of(Map.of("prompt", "a="), Map.of("prompt", "b="));
        GrpoSpec spec = new GrpoSpec(base, cfg, prompts, prompts, probe, 7);
        Path checkpoint = tmp.resolve("checkpoint");
        try (GrpoRun run = new GrpoRun(spec, null, options)) {
            running.set(run);
            assertThat(run.device()).isEqualTo(device);
            ArraysOnDevice.assertEveryArrayOn(device, run.root(), "after open");
            Map<String, Double> metrics = run.trainStep();
            assertThat(checkedMidStep.get()).as("the reward function ran mid-step").isPositive();
            assertThat(metrics.get("train/grad_norm")).isPositive();
            ArraysOnDevice.assertOwnedOn(device, run.root(), run.policy().lm().parameters(), "policy");
            int held = ArraysOnDevice.assertEveryArrayOn(device, run.root(), "after a step");
            run.evaluate();
            ArraysOnDevice.assertEveryArrayOn(device, run.root(), "after evaluation");
            run.saveCheckpoint(checkpoint);
            assertThat(ArraysOnDevice.assertEveryArrayOn(device, run.root(), "after a checkpoint"))
                    .as("writing a checkpoint leaves no copy behind").isEqualTo(held);
        }

        // 3. The same run resumed from its checkpoint
        try (GrpoRun resumed = new GrpoRun(spec, checkpoint, options)) {
            running.set(resumed);
            ArraysOnDevice.assertOwnedOn(device, resumed.root(), resumed.policy().lm().parameters(), "resumed policy");
            resumed.trainStep();
            ArraysOnDevice.assertEveryArrayOn(device, resumed.root(), "after a resumed step");
        }
    }
}
