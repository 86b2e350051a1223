package dev.tropism.webhooks;

import java.time.Instant;
import java.util.List;

/**
 * A row of {@code webhook_endpoints}. The secrets are as stored: encrypted with {@code tropism.secrets.key}.
 *
 * @param events the subscribed event types' wire names, or {@code ["*"]} for all
 * @param previousSecret the secret before the last rotation, signing until {@code previousSecretUntil}; null if none
 */
record WebhookEndpoint(long seq, String id, String teamId, String url, List<String> events, String description,
        boolean enabled, String secret, String previousSecret, Instant previousSecretUntil, Instant createdAt,
        Instant updatedAt) {

    boolean subscribes(WebhookEventType type) {
        return events.contains(WebhookEventType.ALL) || events.contains(type.wire());
    }

    /** Whether the previous secret still signs at {@code now}. */
    boolean inGrace(Instant now) {
        return previousSecret != null && previousSecretUntil != null && now.isBefore(previousSecretUntil);
    }
}
