package dev.tropism.rewards;

/**
 * The allow-list of hosts this service may send HTTP requests to ({@code tropism.webhooks.allowed-hosts}): the
 * {@code webhook} graders' scorers and the outbound webhooks' receivers share it. Implemented by the webhook
 * graders' settings, so the matching rules (exact names, {@code *.suffix} wildcards) live in one place.
 */
public interface OutboundHosts {

    /** True when {@code host} (as in a URL, case-insensitive) is on the allow-list. */
    boolean allows(String host);
}
