package dev.tropism.jobs;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code tropism.engine.*}: how this service runs the engine.
 *
 * @param checkFinite anomaly mode for every job (default false): each layer's output and each gradient is checked,
 *        and the first NaN or infinite value fails the job naming its step, layer and tensor. A job turns it on
 *        for itself with {@code debug.check_finite}.
 */
@ConfigurationProperties("tropism.engine")
public record EngineProperties(@DefaultValue("false") boolean checkFinite) {
}
