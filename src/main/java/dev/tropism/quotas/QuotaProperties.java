package dev.tropism.quotas;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * {@code tropism.quotas.*}: the quotas of a team an operator has not set ({@code PUT /v1/teams/{id}/quotas}).
 *
 * @param maxConcurrentJobs jobs a team may have validating, queued or running at once; unset: unlimited (default)
 * @param maxStoredBytes bytes of datasets, models and checkpoints a team may store (e.g. {@code 50GB}); unset:
 *        unlimited (default)
 */
@ConfigurationProperties("tropism.quotas")
public record QuotaProperties(Long maxConcurrentJobs, DataSize maxStoredBytes) {

    public QuotaProperties {
        if (maxConcurrentJobs != null && maxConcurrentJobs < 0) {
            throw new IllegalArgumentException("tropism.quotas.max-concurrent-jobs must be >= 0 (unset for unlimited), got "
                    + maxConcurrentJobs);
        }
        if (maxStoredBytes != null && maxStoredBytes.isNegative()) {
            throw new IllegalArgumentException("tropism.quotas.max-stored-bytes must be >= 0 (unset for unlimited), got "
                    + maxStoredBytes);
        }
    }

    /** The default limit of {@code quota}; null for unlimited. */
    Long limit(Quota quota) {
        return switch (quota) {
            case CONCURRENT_JOBS -> maxConcurrentJobs;
            case STORED_BYTES -> maxStoredBytes == null ? null : maxStoredBytes.toBytes();
        };
    }
}
