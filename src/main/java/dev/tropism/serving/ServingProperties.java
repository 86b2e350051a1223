package dev.tropism.serving;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * {@code tropism.serving.*}: the inference endpoints and their model cache.
 *
 * @param maxBatch sequences one model decodes together per forward pass (continuous batching); more
 *     rows raise throughput but slow every stream's inter-token latency
 * @param queueCapacity requests that may wait per model beyond its free batch slots; more answer 429
 *     with {@code Retry-After}, so a burst cannot pile up unbounded latency
 * @param requestTimeout a request's whole time limit, queue wait included; it then ends with the text
 *     so far and {@code finish_reason: "timeout"}
 * @param maxN most choices per request ({@code n} × prompts); each is one generation
 * @param memoryBudget native memory the loaded models may use together (estimate: see
 *     {@link #memoryOverhead}); least recently used models are evicted past it. One model is always
 *     allowed, however large, so that every model stays servable
 * @param memoryOverhead factor applied to a model's weights plus its full KV cache (fp32) to estimate its
 *     native footprint (allocator slack, activations of one step)
 * @param maxBodySize larger request bodies answer 413
 * @param imageModelCacheSize flow-matching models kept loaded for {@code /v1/images/generations}; the least
 *     recently used is closed beyond that
 * @param imageConcurrency image requests generating at once (each uses the CPU fully for its duration)
 * @param imageQueueCapacity image requests that may wait for a free generator; more answer 429
 */
@ConfigurationProperties("tropism.serving")
public record ServingProperties(
        @DefaultValue("32") int maxBatch,
        @DefaultValue("64") int queueCapacity,
        @DefaultValue("60s") Duration requestTimeout,
        @DefaultValue("8") int maxN,
        @DefaultValue("2GB") DataSize memoryBudget,
        @DefaultValue("1.5") double memoryOverhead,
        @DefaultValue("1MB") DataSize maxBodySize,
        @DefaultValue("2") int imageModelCacheSize,
        @DefaultValue("1") int imageConcurrency,
        @DefaultValue("16") int imageQueueCapacity) {

    public ServingProperties {
        require(maxBatch >= 1 && maxBatch <= 1024, "max-batch must be in [1, 1024], got " + maxBatch);
        require(queueCapacity >= 0 && queueCapacity <= 100_000, "queue-capacity must be in [0, 100000], got "
                + queueCapacity);
        require(!requestTimeout.isNegative() && !requestTimeout.isZero(), "request-timeout must be positive, got " + requestTimeout);
        require(maxN >= 1 && maxN <= 128, "max-n must be in [1, 128], got " + maxN);
        require(memoryBudget.toBytes() >= 1, "memory-budget must be positive, got " + memoryBudget);
        require(Double.isFinite(memoryOverhead) && memoryOverhead >= 1, "memory-overhead must be >= 1, got "
                + memoryOverhead);
        require(maxBodySize.toBytes() >= 1024, "max-body-size must be at least 1KB, got " + maxBodySize);
        require(imageModelCacheSize >= 1 && imageModelCacheSize <= 64, "image-model-cache-size must be in [1, 64], got "
                + imageModelCacheSize);
        require(imageConcurrency >= 1 && imageConcurrency <= 64, "image-concurrency must be in [1, 64], got "
                + imageConcurrency);
        require(imageQueueCapacity >= 0 && imageQueueCapacity <= 10_000, "image-queue-capacity must be in [0, 10000],"
                + " got " + imageQueueCapacity);
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException("tropism.serving." + message);
        }
    }
}
