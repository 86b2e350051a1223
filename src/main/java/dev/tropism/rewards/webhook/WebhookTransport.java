package dev.tropism.rewards.webhook;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import jakarta.annotation.PreDestroy;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.function.Consumer;
import org.springframework.scheduling.concurrent.CustomizableThreadFactory;
import org.springframework.stereotype.Component;

/**
 * The HTTP side of {@code webhook} graders, shared by every grader and job of this process: one JDK
 * {@link HttpClient} (redirects never followed, so that a scorer cannot bounce a request to a host off
 * the allow-list), one resilience4j circuit breaker per team and webhook URL, and one timer for retry backoff.
 *
 * <p>A call ({@link #post}) is retried by resilience4j {@link Retry} with randomized exponential backoff
 * (initial {@value #INITIAL_BACKOFF_MS} ms, ×2 per retry, ±50% jitter so that many graders do not retry in
 * lock-step, at most {@value #MAX_BACKOFF_MS} ms; see "Exponential Backoff and Jitter", Brooker, AWS
 * Architecture Blog 2015) on
 * connection errors, attempt timeouts, 429 and 5xx, never on other statuses or malformed answers, and only
 * while at least {@value #MIN_RETRY_WINDOW_MS} ms of the caller's deadline remain. Each attempt first asks
 * the URL's {@link CircuitBreaker} (Nygard, "Release It!", ch. 5) for permission and records its outcome
 * there. Failures never escape as exceptions: a call completes exceptionally only with a {@link Failure}
 * that carries a per-sample error kind.
 */
@Component
public class WebhookTransport {

    static final long INITIAL_BACKOFF_MS = 100;
    static final long MAX_BACKOFF_MS = 2_000;
    static final long MIN_RETRY_WINDOW_MS = 200;
    /** How much of a scorer's error body is quoted in an {@code http_status} message. */
    private static final int QUOTED_BODY_CHARS = 200;

    /**
     * Why a call failed, as a per-sample error {@code kind}. {@code retryable} failures are retried while
     * time remains; {@code serverFault} failures count against the URL's circuit breaker.
     */
    static final class Failure extends Exception {

        private final String kind;
        private final boolean retryable;
        private final boolean serverFault;
        private final long deadlineNanos;

        Failure(String kind, String message, boolean retryable, boolean serverFault, long deadlineNanos) {
            super(message, null, false, false);
            this.kind = kind;
            this.retryable = retryable;
            this.serverFault = serverFault;
            this.deadlineNanos = deadlineNanos;
        }

        String kind() {
            return kind;
        }

        boolean serverFault() {
            return serverFault;
        }

        /** Retryable, with enough of the deadline left for another attempt. */
        boolean worthRetrying() {
            return retryable && deadlineNanos - System.nanoTime() > MIN_RETRY_WINDOW_MS * 1_000_000L;
        }
    }

    /** Reads a 2xx answer's body; throws a {@code malformed_response} {@link Failure} for a bad one. */
    @FunctionalInterface
    interface Parser<T> {
        T parse(byte[] body, long deadlineNanos) throws Failure;
    }

    /**
     * Where and how one grader posts: the URL and its request headers (secret included, so
     * {@link #toString} leaves the headers out).
     */
    static final class Target {

        private final URI url;
        private final Map<String, String> headers;
        private final int attemptTimeoutMs;
        private final String team;

        /** @param team the spec's team: breakers are per team and URL, so one team cannot trip another's */
        Target(URI url, Map<String, String> headers, int attemptTimeoutMs, String team) {
            this.url = url;
            this.headers = Map.copyOf(headers);
            this.attemptTimeoutMs = attemptTimeoutMs;
            this.team = team == null ? "" : team;
        }

        URI url() {
            return url;
        }

        /** Scheme, host, port and path: never the query, which might carry a token. */
        String where() {
            return url.getScheme() + "://" + url.getRawAuthority() + (url.getRawPath() == null ? "" : url.getRawPath());
        }

        @Override
        public String toString() {
            return "Target[" + where() + "]";
        }
    }

    private static final IntervalFunction BACKOFF = IntervalFunction.ofExponentialRandomBackoff(INITIAL_BACKOFF_MS, 2.0,
            0.5, MAX_BACKOFF_MS);

    private final WebhookProperties properties;
    private final ExecutorService executor;
    private final ScheduledExecutorService timer;
    private final HttpClient http;
    private final CircuitBreakerRegistry breakers;

    public WebhookTransport(WebhookProperties properties) {
        this.properties = properties;
        this.executor = Executors.newCachedThreadPool(daemon("tropism-webhook-"));
        this.timer = Executors.newSingleThreadScheduledExecutor(daemon("tropism-webhook-retry-"));
        this.http = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER) // a redirect could lead off the allow-list
                // HTTP/1.1: for http:// URLs the JDK would otherwise attempt an h2c upgrade on every POST,
                // which some scorer frameworks reject; concurrency comes from parallel connections anyway.
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(properties.connectTimeout())
                .executor(executor)
                .build();
        WebhookProperties.CircuitBreaker cb = properties.circuitBreaker();
        this.breakers = CircuitBreakerRegistry.of(CircuitBreakerConfig.custom()
                .failureRateThreshold(cb.failureRatePercent())
                .slidingWindow(cb.slidingWindow(), cb.minimumCalls(), CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .waitDurationInOpenState(cb.openDuration())
                .permittedNumberOfCallsInHalfOpenState(cb.halfOpenCalls())
                .writableStackTraceEnabled(false)
                .build());
    }

    @PreDestroy
    public void close() {
        timer.shutdownNow();
        executor.shutdownNow();
    }

    /** True when the allow-list lets graders call {@code host}. */
    boolean allows(String host) {
        return properties.allows(host);
    }

    /** Where lanes of a grader run their light continuations (never the caller's thread). */
    ExecutorService executor() {
        return executor;
    }

    /**
     * The breaker of {@code url} for one team, shared by every grader of that team posting there. Per
     * team, so that one team's failing (or deliberately too impatient) spec cannot open the circuit
     * for the others.
     */
    CircuitBreaker breaker(String team, URI url) {
        return breakers.circuitBreaker(team + " " + url.getScheme() + "://" + url.getRawAuthority() + url.getRawPath());
    }

    /** A retry policy of {@code maxRetries} retries after the first attempt. */
    static Retry retry(String name, int maxRetries) {
        return Retry.of(name, RetryConfig.custom()
                .maxAttempts(maxRetries + 1)
                .intervalFunction(BACKOFF)
                .retryOnException(t -> failureOf(t, 0).worthRetrying())
                .build());
    }

    /**
     * POSTs {@code body} to {@code target} with retries until {@code deadlineNanos} ({@link System#nanoTime}),
     * and parses the 2xx answer. Completes exceptionally only with a {@link Failure}; never throws.
     * {@code onSend} receives each attempt's in-flight exchange so that the caller can cancel it.
     */
    <T> CompletableFuture<T> post(Target target, byte[] body, Retry retry, long deadlineNanos, Parser<T> parser,
            Consumer<CompletableFuture<?>> onSend) {
        try {
            return Retry.decorateCompletionStage(retry, timer,
                    () -> attempt(target, body, deadlineNanos, parser, onSend)).get().toCompletableFuture();
        } catch (RuntimeException e) { // e.g. the timer was shut down: report, never throw
            return CompletableFuture.failedFuture(failureOf(e, deadlineNanos));
        }
    }

    private <T> CompletionStage<T> attempt(Target target, byte[] body, long deadlineNanos, Parser<T> parser,
            Consumer<CompletableFuture<?>> onSend) {
        long remaining = deadlineNanos - System.nanoTime();
        if (remaining <= 0) {
            return CompletableFuture.failedFuture(new Failure(WebhookGrader.TIMEOUT, "no time left before the deadline",
                    false, false, deadlineNanos));
        }
        // Checked on every call, not just at spec creation: the allow-list may have changed since.
        if (!allows(target.url().getHost())) {
            return CompletableFuture.failedFuture(new Failure(WebhookGrader.HOST_NOT_ALLOWED, "host '"
                    + target.url().getHost() + "' is not on tropism.webhooks.allowed-hosts", false, false, deadlineNanos));
        }
        CircuitBreaker breaker = breaker(target.team, target.url());
        if (!breaker.tryAcquirePermission()) {
            return CompletableFuture.failedFuture(new Failure(WebhookGrader.CIRCUIT_OPEN, "circuit breaker for "
                    + target.where() + " is open after repeated failures; not called", false, false, deadlineNanos));
        }
        long start = breaker.getCurrentTimestamp();
        CompletableFuture<HttpResponse<byte[]>> sent;
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(target.url())
                    .timeout(Duration.ofNanos(Math.min(remaining, target.attemptTimeoutMs * 1_000_000L)))
                    .header("Content-Type", "application/json")
                    .header("Accept", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body));
            target.headers.forEach(request::header);
            int limit = properties.maxResponseBytes();
            sent = http.sendAsync(request.build(), info -> new BoundedBody(limit, deadlineNanos));
        } catch (RuntimeException e) {
            breaker.releasePermission();
            return CompletableFuture.failedFuture(failureOf(e, deadlineNanos));
        }
        onSend.accept(sent);
        return sent.handle((response, error) -> {
            Failure failure = null;
            T value = null;
            try {
                if (error != null) {
                    failure = failureOf(error, deadlineNanos);
                } else if (response.statusCode() / 100 == 2) {
                    value = parser.parse(response.body(), deadlineNanos);
                } else {
                    failure = statusFailure(response, deadlineNanos);
                }
            } catch (Failure f) {
                failure = f;
            }
            long elapsed = breaker.getCurrentTimestamp() - start;
            if (failure != null && failure.serverFault()) {
                breaker.onError(elapsed, breaker.getTimestampUnit(), failure);
            } else {
                breaker.onSuccess(elapsed, breaker.getTimestampUnit());
            }
            if (failure != null) {
                throw new CompletionException(failure);
            }
            return value;
        });
    }

    /** 429 and 5xx are the scorer's fault and retried; other statuses are not (redirects are not followed). */
    private static Failure statusFailure(HttpResponse<byte[]> response, long deadlineNanos) {
        int status = response.statusCode();
        boolean serverSide = status == 429 || status >= 500;
        String body = new String(response.body(), StandardCharsets.UTF_8).strip();
        String quoted = body.isEmpty() ? "" : ": " + (body.length() > QUOTED_BODY_CHARS
                ? body.substring(0, QUOTED_BODY_CHARS) + "…" : body);
        String note = status / 100 == 3 ? " (redirects are not followed)" : "";
        return new Failure(WebhookGrader.HTTP_STATUS, "HTTP " + status + note + quoted, serverSide, serverSide, deadlineNanos);
    }

    /** The failure behind {@code t}: a timeout, a connection error, or a {@link Failure} raised by us. */
    static Failure failureOf(Throwable t, long deadlineNanos) {
        Throwable e = t;
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof Failure f) {
                return f;
            }
        }
        if (e instanceof CancellationException) {
            return new Failure(WebhookGrader.TIMEOUT, "cancelled at the deadline", false, true, deadlineNanos);
        }
        if (e instanceof HttpConnectTimeoutException) {
            return new Failure(WebhookGrader.CONNECTION, "connect timed out", true, true, deadlineNanos);
        }
        if (e instanceof HttpTimeoutException) {
            return new Failure(WebhookGrader.TIMEOUT, "no answer within the attempt timeout", true, true, deadlineNanos);
        }
        String what = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        return new Failure(WebhookGrader.CONNECTION, what, e instanceof IOException, true, deadlineNanos);
    }

    /** Collects a response body up to {@code limit} bytes; a longer one fails as {@code malformed_response}. */
    private static final class BoundedBody implements HttpResponse.BodySubscriber<byte[]> {

        private final int limit;
        private final long deadlineNanos;
        private final CompletableFuture<byte[]> body = new CompletableFuture<>();
        private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        private Flow.Subscription subscription;

        BoundedBody(int limit, long deadlineNanos) {
            this.limit = limit;
            this.deadlineNanos = deadlineNanos;
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return body;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            for (ByteBuffer b : items) {
                if (body.isDone()) {
                    return;
                }
                if (buffer.size() + b.remaining() > limit) {
                    subscription.cancel();
                    body.completeExceptionally(new Failure(WebhookGrader.MALFORMED, "answer is larger than "
                            + limit + " bytes (tropism.webhooks.max-response-bytes)", false, true, deadlineNanos));
                    return;
                }
                byte[] chunk = new byte[b.remaining()];
                b.get(chunk);
                buffer.write(chunk, 0, chunk.length);
            }
        }

        @Override
        public void onError(Throwable t) {
            body.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            body.complete(buffer.toByteArray());
        }
    }

    /** Daemon threads named {@code prefix<n>}: they must never keep the JVM alive. */
    private static ThreadFactory daemon(String prefix) {
        CustomizableThreadFactory factory = new CustomizableThreadFactory(prefix);
        factory.setDaemon(true);
        return factory;
    }
}
