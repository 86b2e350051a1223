package dev.tropism.jobs;

import dev.tropism.engine.DeviceSpec;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code tropism.engine.*}: how this service runs the engine.
 *
 * @param checkFinite anomaly mode for every job (default false): each layer's output and each gradient is checked,
 *        and the first NaN or infinite value fails the job naming its step, layer and tensor. A job turns it on
 *        for itself with {@code debug.check_finite}.
 * @param device where this node's jobs train: {@code auto} (default: GPU 0 when DJL sees a GPU, else the CPU),
 *        {@code cpu}, {@code cuda} (GPU 0) or {@code cuda:N}. Any other text fails startup naming this property
 *        ({@link DeviceSpec#of}); a GPU that is not there fails each job at open with how many are visible, never
 *        falling back to the CPU. A GPU needs a CUDA 12.8 libtorch 2.7.1 ({@code PYTORCH_LIBRARY_PATH},
 *        {@code PYTORCH_VERSION=2.7.1}, {@code PYTORCH_FLAVOR=cu128}).
 */
@ConfigurationProperties("tropism.engine")
public record EngineProperties(@DefaultValue("false") boolean checkFinite, @DefaultValue("auto") DeviceSpec device) {
}
