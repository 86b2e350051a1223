package dev.tropism.evaluations;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code tropism.evaluations.*}: the evaluations' queue. Every API instance runs it; instances share the queue in the
 * database.
 *
 * @param threads evaluations running at once on this instance; default 1, so that a gate never takes more than one
 *     core's worth of sampling from training jobs on the same machine
 * @param pollInterval how often an idle instance looks for queued evaluations; default 1 s
 * @param lease a running evaluation whose instance has not refreshed its claim for this long is taken back and
 *     queued again (its instance died); default 60 s. Claims are refreshed every lease / 4
 * @param maxAttempts takeovers after which an evaluation fails as {@code instance_lost} instead; default 2
 * @param maxPairs preference pairs an evaluation scores at most (a larger dataset is refused at suite creation);
 *     default 5000
 * @param bootstrapResamples resamples of the pairwise accuracy's bootstrap confidence interval; default 1000
 * @param sharedLinkTtl how long the curve link in a Markdown report works without the API key; default 30 days
 *     (a pull-request comment keeps showing the image that long)
 */
@ConfigurationProperties("tropism.evaluations")
record EvaluationProperties(@DefaultValue("1") int threads, @DefaultValue("1s") Duration pollInterval,
        @DefaultValue("60s") Duration lease, @DefaultValue("2") int maxAttempts, @DefaultValue("5000") int maxPairs,
        @DefaultValue("1000") int bootstrapResamples, @DefaultValue("30d") Duration sharedLinkTtl) {

    EvaluationProperties {
        if (threads < 1) {
            throw new IllegalArgumentException("tropism.evaluations.threads must be >= 1, got " + threads);
        }
        if (pollInterval == null || pollInterval.toMillis() < 10) {
            throw new IllegalArgumentException("tropism.evaluations.poll-interval must be at least 10ms");
        }
        if (lease == null || lease.toMillis() < 200) {
            throw new IllegalArgumentException("tropism.evaluations.lease must be at least 200ms");
        }
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("tropism.evaluations.max-attempts must be >= 1, got " + maxAttempts);
        }
        if (maxPairs < 1) {
            throw new IllegalArgumentException("tropism.evaluations.max-pairs must be >= 1, got " + maxPairs);
        }
        if (sharedLinkTtl == null || sharedLinkTtl.isNegative() || sharedLinkTtl.isZero()) {
            throw new IllegalArgumentException("tropism.evaluations.shared-link-ttl must be positive");
        }
        if (bootstrapResamples < 100) {
            throw new IllegalArgumentException("tropism.evaluations.bootstrap-resamples must be >= 100, got "
                    + bootstrapResamples);
        }
    }
}
