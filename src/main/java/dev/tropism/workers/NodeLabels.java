package dev.tropism.workers;

/**
 * What a worker node offers, as it announces it when it registers.
 *
 * @param device {@code cpu} or {@code cuda}: where its training runs ({@code tropism.engine.device})
 * @param gpuModel the GPU's name; null on a CPU node or when unknown
 * @param gpuMemoryBytes the GPU's memory; null on a CPU node
 * @param ramBytes the machine's physical memory
 * @param pool the pool it serves ({@code tropism.worker.pool}); jobs may ask for one
 */
public record NodeLabels(String device, String gpuModel, Long gpuMemoryBytes, long ramBytes, String pool) {

    public static final String CPU = "cpu";
    public static final String CUDA = "cuda";

    /** GPU memory in GB (10^9 bytes, as GPU vendors count), or null. */
    public Double gpuMemoryGb() {
        return gpuMemoryBytes == null ? null : gpuMemoryBytes / 1e9;
    }
}
