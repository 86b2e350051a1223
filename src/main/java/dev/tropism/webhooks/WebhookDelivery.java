package dev.tropism.webhooks;

import java.time.Instant;
import java.util.Locale;

/**
 * A row of {@code webhook_deliveries}: one event for one endpoint. Its {@code id} is the {@code webhook-id} header,
 * the same on every attempt, so that a receiver can drop a duplicate.
 *
 * @param payload the request body, fixed when the event was recorded
 * @param nextAttemptAt when a pending delivery is due (or, while an attempt is in flight, when its claim lapses)
 * @param giveUpAt a failure whose next attempt would fall after this makes the delivery {@code failed}
 * @param claimedBy the node whose attempt is in flight, null when none is
 */
record WebhookDelivery(long seq, String id, String endpointId, String teamId, String eventType, String payload,
        Status status, int attempts, Instant nextAttemptAt, Instant giveUpAt, String claimedBy, Instant lastAttemptAt,
        Integer lastStatusCode, String lastError, Long lastResponseMs, Instant deliveredAt, Instant createdAt) {

    /** {@code pending} (due at {@code next_attempt_at}), {@code delivered} (a 2xx answer), or {@code failed}. */
    enum Status {
        PENDING, DELIVERED, FAILED;

        String wire() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Status of(String wire) {
            return valueOf(wire.toUpperCase(Locale.ROOT));
        }
    }

    /**
     * One attempt of a delivery, as its log shows it.
     *
     * @param statusCode the receiver's HTTP status, null when none came (connection error, timeout, host refused)
     * @param error why the attempt failed, null when it delivered
     */
    record Attempt(int attempt, Instant attemptedAt, Integer statusCode, String error, long responseMs,
            boolean delivered) {
    }
}
