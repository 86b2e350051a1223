package dev.tropism.webhooks;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code tropism.webhooks.delivery.*}: how outbound webhooks are sent and retried. The host allow-list is the webhook
 * graders' {@code tropism.webhooks.allowed-hosts}.
 *
 * @param enabled whether this node sends deliveries at all (API nodes only; a worker never does). Off, it still
 *     writes outbox rows for the events it records, and another API node sends them.
 * @param initialBackoff the wait after a delivery's first failed attempt; each later failure doubles it
 * @param maxBackoff the longest wait between two attempts
 * @param giveUpAfter how long after the event a delivery keeps being retried before it is {@code failed}
 * @param pollInterval how often the dispatcher looks for due deliveries (it is also woken after each event)
 * @param batchSize the most deliveries one node has in flight at once (its sender threads)
 * @param timeout the limit of one attempt: connecting, sending and the receiver's answer
 * @param lease how long a claimed delivery stays with the node that claimed it; a node that dies with it leaves it
 *     due again after this. Longer than {@code timeout}.
 * @param secretGrace how long the old secret keeps signing beside the new one after a rotation
 */
@ConfigurationProperties("tropism.webhooks.delivery")
public record WebhookDeliveryProperties(
        @DefaultValue("true") boolean enabled,
        @DefaultValue("10s") Duration initialBackoff,
        @DefaultValue("1h") Duration maxBackoff,
        @DefaultValue("24h") Duration giveUpAfter,
        @DefaultValue("1s") Duration pollInterval,
        @DefaultValue("8") int batchSize,
        @DefaultValue("10s") Duration timeout,
        @DefaultValue("60s") Duration lease,
        @DefaultValue("24h") Duration secretGrace) {

    public WebhookDeliveryProperties {
        requirePositive(initialBackoff, "initial-backoff");
        requirePositive(maxBackoff, "max-backoff");
        requirePositive(giveUpAfter, "give-up-after");
        requirePositive(pollInterval, "poll-interval");
        requirePositive(timeout, "timeout");
        requirePositive(lease, "lease");
        if (secretGrace == null || secretGrace.isNegative()) {
            throw new IllegalArgumentException("tropism.webhooks.delivery.secret-grace must be zero or positive");
        }
        if (maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("tropism.webhooks.delivery.max-backoff (" + maxBackoff
                    + ") must be at least initial-backoff (" + initialBackoff + ")");
        }
        if (batchSize < 1 || batchSize > 256) {
            throw new IllegalArgumentException("tropism.webhooks.delivery.batch-size must be from 1 to 256, got " + batchSize);
        }
        if (lease.compareTo(timeout.multipliedBy(2)) < 0) {
            // An attempt still running when its lease ends could be made a second time by another node.
            throw new IllegalArgumentException("tropism.webhooks.delivery.lease (" + lease
                    + ") must be at least twice the timeout (" + timeout + ")");
        }
    }

    private static void requirePositive(Duration d, String name) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException("tropism.webhooks.delivery." + name + " must be positive");
        }
    }

    /**
     * The wait after the {@code failures}-th failed attempt: {@code initial·2^(failures−1)}, capped at
     * {@code maxBackoff}, then "equal jitter" (half fixed, half uniform random: Brooker, "Exponential Backoff and
     * Jitter", AWS Architecture Blog 2015), so that receivers that come back are not hit by every retry at once.
     *
     * @param random a uniform draw in [0, 1)
     */
    Duration backoff(int failures, double random) {
        long initial = initialBackoff.toMillis();
        long cap = maxBackoff.toMillis();
        int doublings = Math.min(Math.max(failures - 1, 0), 40);
        long exp = initial > (cap >> Math.min(doublings, 62)) ? cap : Math.min(cap, initial << doublings);
        long half = exp / 2;
        return Duration.ofMillis(exp - half + (long) (half * random));
    }
}
