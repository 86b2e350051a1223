package dev.tropism.rewards.webhook;

import dev.tropism.rewards.OutboundHosts;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code tropism.webhooks.*}: where {@code webhook} graders may send samples, and how their shared
 * per-URL circuit breakers behave.
 *
 * @param allowedHosts the hosts webhook graders may call: an exact host name or IP literal
 *     ({@code scorer.internal}, {@code 10.0.0.7}) or a {@code *.suffix} wildcard that matches any
 *     sub-domain of the suffix but not the suffix itself ({@code *.example.com} matches
 *     {@code a.example.com} and {@code a.b.example.com}, not {@code example.com}). Case-insensitive.
 *     Empty (the default) allows no webhook at all: an operator opts each scorer host in, because a
 *     webhook makes this service send requests into whatever network it runs in (SSRF).
 * @param connectTimeout TCP/TLS connect timeout of the shared HTTP client; a grader's own
 *     {@code timeout_ms} still bounds every call as a whole
 * @param maxResponseBytes a scorer answer larger than this is cut off and reported as
 *     {@code malformed_response}, so a broken scorer cannot fill the heap
 * @param circuitBreaker the breaker kept per webhook URL, shared by every job that calls it
 */
@ConfigurationProperties("tropism.webhooks")
public record WebhookProperties(
        @DefaultValue List<String> allowedHosts,
        @DefaultValue("2s") Duration connectTimeout,
        @DefaultValue("4194304") int maxResponseBytes,
        @DefaultValue CircuitBreaker circuitBreaker) implements OutboundHosts {

    /** A host name or IP literal ({@code [::1]} as URLs write IPv6), or a {@code *.} wildcard and a name. */
    private static final Pattern HOST_PATTERN = Pattern.compile("(\\*\\.)?[a-z0-9]([a-z0-9.\\-]*[a-z0-9])?|\\[[0-9a-f:.]+]");

    /**
     * The per-URL breaker (resilience4j's count-based sliding window): it opens when at least
     * {@code failureRatePercent} of the last {@code slidingWindow} calls failed (once at least
     * {@code minimumCalls} were made), answers every call {@code circuit_open} without sending it for
     * {@code openDuration}, then lets {@code halfOpenCalls} probe calls through and closes again if
     * they succeed. Failures are connection errors, timeouts, 429, 5xx and malformed answers; other
     * 4xx answers mean the scorer is up and count as successes.
     */
    public record CircuitBreaker(
            @DefaultValue("50") float failureRatePercent,
            @DefaultValue("20") int slidingWindow,
            @DefaultValue("10") int minimumCalls,
            @DefaultValue("30s") Duration openDuration,
            @DefaultValue("3") int halfOpenCalls) {

        public CircuitBreaker {
            if (!(failureRatePercent > 0 && failureRatePercent <= 100)) {
                throw new IllegalArgumentException("tropism.webhooks.circuit-breaker.failure-rate-percent must be in (0, 100], got "
                        + failureRatePercent);
            }
            if (slidingWindow < 1 || minimumCalls < 1 || halfOpenCalls < 1) {
                throw new IllegalArgumentException("tropism.webhooks.circuit-breaker sliding-window, minimum-calls and "
                        + "half-open-calls must be >= 1");
            }
            if (openDuration == null || openDuration.isNegative() || openDuration.isZero()) {
                throw new IllegalArgumentException("tropism.webhooks.circuit-breaker.open-duration must be positive");
            }
        }
    }

    public WebhookProperties {
        allowedHosts = allowedHosts == null ? List.of()
                : allowedHosts.stream().map(h -> h.trim().toLowerCase(Locale.ROOT)).filter(h -> !h.isEmpty()).toList();
        for (String h : allowedHosts) {
            if (!HOST_PATTERN.matcher(h).matches()) {
                throw new IllegalArgumentException("tropism.webhooks.allowed-hosts: '" + h
                        + "' is neither a host name nor a *.suffix wildcard");
            }
        }
        if (connectTimeout == null || connectTimeout.isNegative() || connectTimeout.isZero()) {
            throw new IllegalArgumentException("tropism.webhooks.connect-timeout must be positive");
        }
        if (maxResponseBytes < 1024) {
            throw new IllegalArgumentException("tropism.webhooks.max-response-bytes must be >= 1024, got " + maxResponseBytes);
        }
    }

    /** The given hosts with the other settings at their defaults (tests, embedding). */
    public static WebhookProperties allowing(List<String> hosts, CircuitBreaker breaker) {
        return new WebhookProperties(hosts, Duration.ofSeconds(2), 4 << 20, breaker);
    }

    /** True when {@code host} (as in a URL, case-insensitive) is on {@link #allowedHosts}. */
    @Override
    public boolean allows(String host) {
        if (host == null || host.isEmpty()) {
            return false;
        }
        String h = host.toLowerCase(Locale.ROOT);
        for (String pattern : allowedHosts) {
            boolean match = pattern.startsWith("*.") ? h.endsWith(pattern.substring(1)) : h.equals(pattern);
            if (match) {
                return true;
            }
        }
        return false;
    }
}
