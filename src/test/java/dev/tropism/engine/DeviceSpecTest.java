package dev.tropism.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Parsing {@code tropism.engine.device} and resolving it against the GPUs a process sees. */
class DeviceSpecTest {

    @Test
    void parsesEveryFormAndPrintsItBack() {
        assertThat(DeviceSpec.of("auto")).isEqualTo(DeviceSpec.AUTO);
        assertThat(DeviceSpec.of("cpu")).isEqualTo(DeviceSpec.CPU);
        assertThat(DeviceSpec.of("cuda")).isEqualTo(DeviceSpec.cuda(0));
        assertThat(DeviceSpec.of(" CUDA:3 ")).isEqualTo(DeviceSpec.cuda(3));
        for (String text : new String[] {"auto", "cpu", "cuda:0", "cuda:12"}) {
            assertThat(DeviceSpec.of(text)).hasToString(text);
        }
    }

    @Test
    void rejectsAnythingElseSayingWhatIsAccepted() {
        for (String junk : new String[] {"gpu", "gpu:0", "cuda:", "cuda:-1", "cuda:x", "cuda:0:1", "cpu:0", "mps", ""}) {
            assertThatThrownBy(() -> DeviceSpec.of(junk)).as(junk).isInstanceOf(ConfigException.class)
                    .hasMessage("device: must be auto, cpu, cuda or cuda:N with N a GPU index (cuda:0, cuda:1, ...), "
                            + "got '" + junk + "'");
        }
        assertThatThrownBy(() -> DeviceSpec.of(null)).hasMessageContaining("got 'null'");
        assertThatThrownBy(() -> new DeviceSpec(DeviceSpec.Kind.CPU, 0)).hasMessage("device: cpu takes no GPU index");
    }

    @Test
    void resolvesAgainstTheVisibleGpus() {
        assertThat(DeviceSpec.CPU.resolve(2, true)).isEqualTo(Device.cpu()); // cpu even where GPUs are
        assertThat(DeviceSpec.AUTO.resolve(0, false)).isEqualTo(Device.cpu());
        assertThat(DeviceSpec.AUTO.resolve(2, true)).isEqualTo(Device.gpu(0));
        assertThat(DeviceSpec.cuda(1).resolve(2, true)).isEqualTo(Device.gpu(1));
    }

    @Test
    void aMissingGpuIsAnErrorNamingHowManyAreVisibleNeverTheCpu() {
        assertThatThrownBy(() -> DeviceSpec.cuda(2).resolve(2, true)).isInstanceOf(ConfigException.class)
                .hasMessage("device: cuda:2 needs GPU 2, but 2 GPUs are visible (cuda:0 to cuda:1); name one of them, "
                        + "or use auto");
        assertThatThrownBy(() -> DeviceSpec.cuda(1).resolve(1, true))
                .hasMessageContaining("but 1 GPU is visible (cuda:0);");
        // No GPU: the message says whether libtorch itself is the reason.
        assertThatThrownBy(() -> DeviceSpec.cuda(0).resolve(0, false))
                .hasMessageStartingWith("device: cuda:0 needs GPU 0, but 0 GPUs are visible; the loaded libtorch is a "
                        + "CPU build: point PYTORCH_LIBRARY_PATH at a CUDA 12.8 libtorch 2.7.1");
        assertThatThrownBy(() -> DeviceSpec.cuda(0).resolve(0, true))
                .hasMessageContaining("0 GPUs are visible; libtorch has CUDA, so check the driver");
    }

    @Test
    void onThisCpuMachineAutoIsTheCpuAndCuda0FailsNamingZeroGpus() {
        assumeTrue(ai.djl.engine.Engine.getInstance().getGpuCount() == 0, "a machine without a GPU");
        assertThat(DeviceSpec.AUTO.resolve()).isEqualTo(Device.cpu());
        assertThatThrownBy(() -> DeviceSpec.of("cuda:0").resolve()).isInstanceOf(ConfigException.class)
                .hasMessageContaining("cuda:0 needs GPU 0, but 0 GPUs are visible");
    }

    @Test
    void theCpuAdvertisesNoGpuAndNoMemory() {
        DeviceInfo cpu = DeviceInfo.of(Device.cpu());
        assertThat(cpu.kind()).isEqualTo(DeviceSpec.Kind.CPU);
        assertThat(cpu.kind().wireName()).isEqualTo("cpu");
        assertThat(cpu.gpuModel()).isNull();
        assertThat(cpu.memoryBytes()).isNull();
        assertThat(cpu).hasToString("cpu");
        Map<String, Double> metrics = new TreeMap<>();
        DeviceInfo.putMemoryInUse(Device.cpu(), metrics);
        assertThat(metrics).isEmpty(); // perf/device_memory_mib is a GPU's only
        assertThat(DeviceSpec.name(Device.gpu(1))).isEqualTo("cuda:1");
        assertThat(new DeviceInfo(Device.gpu(1), "NVIDIA H100 80GB HBM3", 85_520_809_984L))
                .hasToString("cuda:1 (NVIDIA H100 80GB HBM3, 79.6 GiB)");
    }
}
