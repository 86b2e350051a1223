package dev.tropism.webhooks;

import dev.tropism.rewards.OutboundHosts;
import dev.tropism.rewards.SecretSealer;
import dev.tropism.workers.NodeRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.scheduling.concurrent.CustomizableThreadFactory;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Sends the outbox's deliveries. Runs on API nodes ({@code tropism.role=all|api}) with
 * {@code tropism.webhooks.delivery.enabled}; several may share one database. Every {@code poll-interval}, and when
 * woken after an event, it claims due deliveries ({@link WebhookDeliveryStore#claimDue}: {@code FOR UPDATE SKIP
 * LOCKED}, then a lease), as many as it has free sender threads ({@code batch-size}), so each attempt is made by one
 * node. An attempt:
 * <ol>
 *   <li>re-reads the endpoint (its URL, secrets and any rotation count from this attempt on) and checks its host
 *       against {@code tropism.webhooks.allowed-hosts}, which may have changed since the endpoint was created;</li>
 *   <li>POSTs the stored body with the Standard Webhooks headers {@code webhook-id} (the delivery's id, the same on
 *       every attempt), {@code webhook-timestamp} (this attempt, unix seconds) and {@code webhook-signature} (one
 *       {@code v1,} signature per secret that signs: the current one, and the previous one during its grace);</li>
 *   <li>counts a 2xx answer as delivered. Anything else fails: another status (a 3xx included: redirects are never
 *       followed, so a receiver cannot bounce a delivery to a host off the allow-list), a connection error, or no
 *       answer within {@code timeout};</li>
 *   <li>records the attempt, and after a failure makes the delivery due again after
 *       {@link WebhookDeliveryProperties#backoff}, or {@code failed} when that would fall after its
 *       {@code give-up-after}.</li>
 * </ol>
 * A node that dies mid-attempt leaves its claim to lapse: the delivery is due again after {@code lease}, so a
 * delivery is made at least once and, rarely, twice (receivers drop duplicates by {@code webhook-id}).
 */
@Component
class WebhookDispatcher implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(WebhookDispatcher.class);
    static final String USER_AGENT = "Tropism-Webhooks/1";

    private final WebhookDeliveryStore deliveries;
    private final WebhookEndpointStore endpoints;
    private final OutboundHosts hosts;
    private final SecretSealer sealer;
    private final WebhookDeliveryProperties properties;
    private final NodeRegistry registry;
    private final TransactionTemplate tx;
    private final Semaphore free;
    private HttpClient http;
    private ScheduledExecutorService scheduler;
    private ExecutorService senders;
    private volatile boolean running;
    private volatile boolean started;

    WebhookDispatcher(WebhookDeliveryStore deliveries, WebhookEndpointStore endpoints, OutboundHosts hosts,
            SecretSealer sealer, WebhookDeliveryProperties properties, NodeRegistry registry,
            PlatformTransactionManager transactionManager) {
        this.deliveries = deliveries;
        this.endpoints = endpoints;
        this.hosts = hosts;
        this.sealer = sealer;
        this.properties = properties;
        this.registry = registry;
        this.tx = new TransactionTemplate(transactionManager);
        this.free = new Semaphore(properties.batchSize());
    }

    @Override
    public synchronized void start() {
        started = true;
        if (!registry.role().dispatches() || !properties.enabled()) {
            log.info("not sending webhook deliveries on this node (role {}, tropism.webhooks.delivery.enabled={})",
                    registry.role().wire(), properties.enabled());
            return;
        }
        http = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER) // a redirect could lead off the allow-list
                .version(HttpClient.Version.HTTP_1_1) // no h2c upgrade attempt on http:// receivers
                .connectTimeout(properties.timeout())
                .build();
        scheduler = Executors.newSingleThreadScheduledExecutor(daemon("webhook-dispatch"));
        senders = Executors.newFixedThreadPool(properties.batchSize(), daemon("webhook-send-"));
        running = true;
        scheduler.scheduleWithFixedDelay(this::pollSafely, 0, properties.pollInterval().toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public synchronized void stop() {
        running = false;
        started = false;
        if (scheduler == null) {
            return;
        }
        scheduler.shutdownNow();
        senders.shutdown();
        try {
            // Let attempts in flight record their outcome; any still running are taken over after their lease.
            if (!senders.awaitTermination(properties.timeout().toMillis() + 1000, TimeUnit.MILLISECONDS)) {
                senders.shutdownNow();
            }
        } catch (InterruptedException e) {
            senders.shutdownNow();
            Thread.currentThread().interrupt();
        }
        scheduler = null;
        senders = null;
    }

    @Override
    public boolean isRunning() {
        return started;
    }

    /** Looks for due deliveries now (after an event is recorded or a redelivery is asked for). */
    void wake() {
        ScheduledExecutorService s = scheduler;
        if (running && s != null) {
            try {
                s.execute(this::pollSafely);
            } catch (RejectedExecutionException e) {
                log.debug("webhook dispatcher is stopping");
            }
        }
    }

    private void pollSafely() {
        try {
            poll();
        } catch (RuntimeException e) {
            log.warn("webhook dispatch failed; retrying at the next poll: {}", e.toString());
        }
    }

    /** Claims as many due deliveries as there are free senders and hands each to one. */
    private void poll() {
        int n = free.availablePermits();
        if (!running || n == 0) {
            return;
        }
        Instant now = Instant.now();
        List<WebhookDelivery> claimed = tx.execute(s -> deliveries.claimDue(registry.nodeId(), now,
                now.plus(properties.lease()), n));
        for (WebhookDelivery d : claimed) {
            free.acquireUninterruptibly(); // never blocks: only this thread acquires, and n were free
            try {
                senders.execute(() -> {
                    try {
                        attempt(d);
                    } catch (RuntimeException e) {
                        log.warn("webhook delivery {} attempt failed to record; due again after its lease: {}", d.id(),
                                e.toString());
                    } finally {
                        free.release();
                    }
                });
            } catch (RejectedExecutionException e) {
                free.release(); // stopping: the claim lapses and another node (or this one, restarted) sends it
            }
        }
    }

    /** One attempt of a claimed delivery, and its record. */
    private void attempt(WebhookDelivery d) {
        Optional<WebhookEndpoint> endpoint = endpoints.find(d.endpointId());
        if (endpoint.isEmpty()) {
            return; // deleted meanwhile, and its deliveries with it
        }
        Instant at = Instant.now();
        long start = System.nanoTime();
        Outcome outcome;
        try {
            outcome = send(endpoint.get(), d, at);
        } catch (RuntimeException e) { // recorded like any failed attempt, so backoff and give-up apply
            outcome = new Outcome(null, "internal_error: " + e);
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        int number = d.attempts() + 1;
        WebhookDelivery.Attempt attempt = new WebhookDelivery.Attempt(number, at, outcome.statusCode(),
                outcome.error(), ms, outcome.error() == null);
        WebhookDelivery.Status status = WebhookDelivery.Status.DELIVERED;
        Instant next = null;
        if (outcome.error() != null) {
            next = Instant.now().plus(properties.backoff(number, ThreadLocalRandom.current().nextDouble()));
            status = next.isAfter(d.giveUpAt()) ? WebhookDelivery.Status.FAILED : WebhookDelivery.Status.PENDING;
            next = status == WebhookDelivery.Status.PENDING ? next : null;
        }
        WebhookDelivery.Status s = status;
        Instant due = next;
        boolean recorded = Boolean.TRUE.equals(tx.execute(x -> deliveries.recordAttempt(d, registry.nodeId(), attempt,
                s, due)));
        if (!recorded) {
            log.info("webhook delivery {}: attempt {} ended after its claim moved on (deleted, or taken over after the"
                    + " lease); not recorded", d.id(), number);
        } else if (s == WebhookDelivery.Status.FAILED) {
            log.warn("webhook delivery {} ({} to endpoint {}) failed after {} attempts; last: {}", d.id(),
                    d.eventType(), d.endpointId(), number, outcome.error());
        } else {
            log.debug("webhook delivery {} attempt {}: {}", d.id(), number, outcome);
        }
    }

    /** What one attempt got: the receiver's status (null when none answered) and why it failed (null: delivered). */
    private record Outcome(Integer statusCode, String error) {
    }

    private Outcome send(WebhookEndpoint endpoint, WebhookDelivery d, Instant at) {
        URI url = URI.create(endpoint.url());
        // Checked at every attempt: the allow-list may have changed since the endpoint was created.
        if (!hosts.allows(url.getHost())) {
            return new Outcome(null, "host_not_allowed: host '" + url.getHost()
                    + "' is not on tropism.webhooks.allowed-hosts; not sent");
        }
        List<String> secrets = new ArrayList<>();
        try {
            secrets.add(sealer.decrypt(endpoint.secret()));
            if (endpoint.inGrace(at)) {
                secrets.add(sealer.decrypt(endpoint.previousSecret()));
            }
        } catch (IllegalArgumentException e) {
            return new Outcome(null, "secret_unreadable: " + e.getMessage());
        }
        byte[] body = d.payload().getBytes(StandardCharsets.UTF_8);
        long timestamp = at.getEpochSecond();
        HttpRequest request = HttpRequest.newBuilder(url)
                .timeout(properties.timeout())
                .header("Content-Type", "application/json")
                .header("User-Agent", USER_AGENT)
                .header("webhook-id", d.id())
                .header("webhook-timestamp", Long.toString(timestamp))
                .header("webhook-signature", WebhookSignatures.header(d.id(), timestamp, body, secrets))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        CompletableFuture<HttpResponse<InputStream>> sent = http.sendAsync(request,
                HttpResponse.BodyHandlers.ofInputStream());
        try {
            // The whole attempt is bounded: the request timeout covers only the wait for the answer's headers.
            HttpResponse<InputStream> response = sent.get(properties.timeout().toMillis(), TimeUnit.MILLISECONDS);
            response.body().close(); // the answer's body is not read
            int status = response.statusCode();
            if (status / 100 == 2) {
                return new Outcome(status, null);
            }
            return new Outcome(status, "http_status: HTTP " + status
                    + (status / 100 == 3 ? " (redirects are not followed)" : ""));
        } catch (TimeoutException e) {
            sent.cancel(true);
            return new Outcome(null, "timeout: no answer within " + properties.timeout().toMillis() + " ms");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            if (cause instanceof HttpConnectTimeoutException) {
                return new Outcome(null, "timeout: connecting took longer than " + properties.timeout().toMillis()
                        + " ms");
            }
            if (cause instanceof HttpTimeoutException) {
                return new Outcome(null, "timeout: no answer within " + properties.timeout().toMillis() + " ms");
            }
            return new Outcome(null, "connection: " + cause.getClass().getSimpleName()
                    + (cause.getMessage() == null ? "" : ": " + cause.getMessage()));
        } catch (IOException e) {
            return new Outcome(null, "connection: " + e);
        } catch (InterruptedException e) {
            sent.cancel(true);
            Thread.currentThread().interrupt();
            return new Outcome(null, "interrupted: the node was stopping");
        }
    }

    private static CustomizableThreadFactory daemon(String prefix) {
        CustomizableThreadFactory factory = new CustomizableThreadFactory(prefix);
        factory.setDaemon(true);
        return factory;
    }
}
