package dev.tropism.webhooks;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.List;

/**
 * An endpoint as the API shows it. {@code secret} appears only in the answers of create and rotate-secret, the one
 * time it is shown; {@code previous_secret_expires_at} says until when the secret before the last rotation still
 * signs (null when none does).
 */
record WebhookEndpointView(String id, String object, String url, List<String> events, String description,
        boolean enabled, @JsonInclude(JsonInclude.Include.NON_NULL) String secret, Instant previousSecretExpiresAt,
        Instant createdAt, Instant updatedAt) {

    static WebhookEndpointView of(WebhookEndpoint e, String shownSecret) {
        Instant now = Instant.now();
        return new WebhookEndpointView(e.id(), "webhook_endpoint", e.url(), e.events(), e.description(), e.enabled(),
                shownSecret, e.inGrace(now) ? e.previousSecretUntil() : null, e.createdAt(), e.updatedAt());
    }
}
