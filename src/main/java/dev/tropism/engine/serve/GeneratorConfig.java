package dev.tropism.engine.serve;

import static dev.tropism.engine.ConfigException.require;

/**
 * Capacity of one model's {@link Generator}.
 *
 * @param maxBatch sequences decoded together in one forward pass; default 32. Per-step cost on CPU is
 *     mostly fixed overhead for tiny models, so throughput grows almost linearly up to tens of rows,
 *     while each step (and so every stream's inter-token latency) gets slower as the batch grows
 * @param queueCapacity requests that may wait for a batch slot; default 64. Beyond that
 *     {@link Generator#submit} throws {@link QueueFullException} at once (HTTP 429), so a burst cannot
 *     pile up unbounded latency
 */
public record GeneratorConfig(int maxBatch, int queueCapacity) {

    public static final GeneratorConfig DEFAULT = new GeneratorConfig(32, 64);

    public GeneratorConfig {
        require(maxBatch >= 1 && maxBatch <= 1024, "max_batch", "must be in [1, 1024], got " + maxBatch);
        require(queueCapacity >= 0 && queueCapacity <= 100_000, "queue_capacity",
                "must be in [0, 100000], got " + queueCapacity);
    }
}
