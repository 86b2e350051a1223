package dev.tropism.engine;

import ai.djl.Device;
import ai.djl.util.cuda.CudaUtils;
import java.io.IOException;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.stream.Stream;

/**
 * What a resolved device is, for a worker's labels and a run's log line: its kind, and for a GPU its model and memory.
 * Everything here is cheap (no array is created) and nothing throws: what the machine does not say is null.
 *
 * @param device the DJL device
 * @param gpuModel the GPU's model as the NVIDIA driver names it (e.g. {@code NVIDIA H100 80GB HBM3}); null on the CPU,
 *        without the driver's {@code /proc} files, or when the machine mixes models (the driver lists GPUs by PCI bus,
 *        which need not be CUDA's order)
 * @param memoryBytes the GPU's total memory; null on the CPU or when CUDA's runtime library cannot be loaded
 */
public record DeviceInfo(Device device, String gpuModel, Long memoryBytes) {

    private static final Path NVIDIA_GPUS = Path.of("/proc/driver/nvidia/gpus");
    private static final double MIB = 1024.0 * 1024.0;

    public DeviceInfo {
        Objects.requireNonNull(device, "device");
    }

    /** What {@code device} is. */
    public static DeviceInfo of(Device device) {
        if (!device.isGpu()) {
            return new DeviceInfo(device, null, null);
        }
        MemoryUsage memory = gpuMemory(device);
        return new DeviceInfo(device, driverGpuModel(), memory == null ? null : memory.getMax());
    }

    /** {@link DeviceSpec.Kind#CPU} or {@link DeviceSpec.Kind#CUDA}: a worker's {@code device} label. */
    public DeviceSpec.Kind kind() {
        return device.isGpu() ? DeviceSpec.Kind.CUDA : DeviceSpec.Kind.CPU;
    }

    /** {@code cpu} or {@code cuda:N}. */
    public String name() {
        return DeviceSpec.name(device);
    }

    /**
     * Memory in use on {@code device}'s GPU, in MiB: CUDA's total minus free ({@code cudaMemGetInfo}), so it counts
     * PyTorch's cached blocks and other processes on that GPU, as {@code nvidia-smi} does. Empty on the CPU and where
     * CUDA's runtime library cannot be loaded.
     */
    public static OptionalDouble memoryInUseMiB(Device device) {
        if (!device.isGpu()) {
            return OptionalDouble.empty();
        }
        MemoryUsage memory = gpuMemory(device);
        return memory == null ? OptionalDouble.empty() : OptionalDouble.of(memory.getCommitted() / MIB);
    }

    /** Puts {@link MetricNames#PERF_DEVICE_MEMORY_MIB} into a step's {@code metrics} where the device reports it. */
    public static void putMemoryInUse(Device device, Map<String, Double> metrics) {
        memoryInUseMiB(device).ifPresent(mib -> metrics.put(MetricNames.PERF_DEVICE_MEMORY_MIB, mib));
    }

    private static MemoryUsage gpuMemory(Device device) {
        try {
            return CudaUtils.getGpuMemory(device);
        } catch (RuntimeException | LinkageError e) { // no libcudart for JNA, or a CUDA error
            return null;
        }
    }

    /** The one model every GPU of this machine is, from the driver's {@code information} files; else null. */
    private static String driverGpuModel() {
        try (Stream<Path> gpus = Files.list(NVIDIA_GPUS)) {
            List<String> models = gpus.map(DeviceInfo::model).distinct().toList();
            return models.size() == 1 ? models.get(0) : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The {@code Model:} line of one GPU's {@code information} file, or null. */
    private static String model(Path gpu) {
        try (Stream<String> lines = Files.lines(gpu.resolve("information"))) {
            return lines.filter(l -> l.startsWith("Model:")).map(l -> l.substring("Model:".length()).strip())
                    .findFirst().orElse(null);
        } catch (IOException e) {
            return null;
        }
    }

    /** {@code cpu}, or {@code cuda:0 (NVIDIA H100 80GB HBM3, 79.6 GiB)} with what is known. */
    @Override
    public String toString() {
        if (!device.isGpu()) {
            return name();
        }
        String model = gpuModel == null ? "model unknown" : gpuModel;
        String memory = memoryBytes == null ? "memory unknown"
                : String.format(java.util.Locale.ROOT, "%.1f GiB", memoryBytes / (MIB * 1024.0));
        return name() + " (" + model + ", " + memory + ")";
    }
}
