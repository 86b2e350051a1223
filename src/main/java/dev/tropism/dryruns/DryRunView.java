package dev.tropism.dryruns;

import com.fasterxml.jackson.annotation.JsonRawValue;
import java.time.Instant;

/** A dry-run as the API shows it: the request's fields with defaults applied, its status and report. */
record DryRunView(String id, String object, String rewardSpec, String model, String dataset, int samplesPerPrompt,
        int limit, int maxNewTokens, double temperature, double topP, long seed, String status, Error error,
        @JsonRawValue String report, Instant createdAt, Instant startedAt, Instant finishedAt) {

    /** Why a dry-run failed. */
    record Error(String code, String message) {
    }

    static DryRunView of(DryRunRecord r) {
        return new DryRunView(r.id(), "dry_run", r.rewardSpec(), r.model(), r.dataset(), r.config().samplesPerPrompt(),
                r.config().limit(), r.config().maxNewTokens(), r.config().temperature(), r.config().topP(),
                r.config().seed(), r.status().wire(), r.errorCode() == null ? null : new Error(r.errorCode(), r.errorMessage()),
                r.report(), r.createdAt(), r.startedAt(), r.finishedAt());
    }
}
