package dev.tropism.dryruns;

import dev.tropism.engine.lm.DryRunConfig;
import java.time.Instant;

/**
 * A row of {@code dry_runs}.
 *
 * @param config the knobs with defaults applied (the seed drawn when none was given)
 * @param errorCode why it failed: {@code interrupted}, {@code invalid_config}, {@code model_unavailable},
 *     {@code not_found} or {@code internal_error}
 * @param report the {@link DryRunReport} as JSON, once succeeded
 */
record DryRunRecord(long seq, String id, String teamId, String rewardSpec, String model, String dataset,
        DryRunConfig config, DryRunStatus status, String errorCode, String errorMessage, String report,
        Instant createdAt, Instant startedAt, Instant finishedAt) {
}
