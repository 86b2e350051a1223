package dev.tropism.webhooks;

import com.fasterxml.jackson.annotation.JsonRawValue;
import java.time.Instant;
import java.util.List;

/**
 * A delivery as its log shows it: the event ({@code payload} is the exact body sent), its state, the last attempt's
 * outcome, and every attempt ({@code attempt_log}, oldest first). {@code next_attempt_at} is null once it is
 * delivered or failed.
 */
record WebhookDeliveryView(String id, String object, String endpoint, String eventType, @JsonRawValue String payload,
        String status, int attempts, Instant nextAttemptAt, Instant lastAttemptAt, Integer lastStatusCode,
        String lastError, Long lastResponseMs, Instant deliveredAt, Instant createdAt,
        List<WebhookDelivery.Attempt> attemptLog) {

    static WebhookDeliveryView of(WebhookDelivery d, List<WebhookDelivery.Attempt> log) {
        return new WebhookDeliveryView(d.id(), "webhook_delivery", d.endpointId(), d.eventType(), d.payload(),
                d.status().wire(), d.attempts(),
                d.status() == WebhookDelivery.Status.PENDING ? d.nextAttemptAt() : null, d.lastAttemptAt(),
                d.lastStatusCode(), d.lastError(), d.lastResponseMs(), d.deliveredAt(), d.createdAt(), log);
    }
}
