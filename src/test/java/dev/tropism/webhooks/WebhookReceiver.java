package dev.tropism.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A webhook receiver for tests: an HTTP server on 127.0.0.1 that records every request and answers with the scripted
 * statuses ({@link #answer}), then with {@link #otherwise}; a 3xx answer carries {@code Location: redirectTo}.
 */
final class WebhookReceiver implements AutoCloseable {

    /** A received request; header names in lower case. */
    record Request(String path, Map<String, String> headers, String body, Instant at) {

        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private final HttpServer server;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final ConcurrentLinkedDeque<Integer> script = new ConcurrentLinkedDeque<>();
    private volatile int otherwise = 200;
    private volatile String redirectTo;

    private WebhookReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            Map<String, String> headers = new TreeMap<>();
            exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), String.join(",", v)));
            String body;
            try (InputStream in = exchange.getRequestBody()) {
                body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            requests.add(new Request(exchange.getRequestURI().getPath(), headers, body, Instant.now()));
            Integer scripted = script.pollFirst();
            int status = scripted != null ? scripted : otherwise;
            if (status / 100 == 3 && redirectTo != null) {
                exchange.getResponseHeaders().add("Location", redirectTo);
            }
            byte[] answer = "{\"ok\":true}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        server.start();
    }

    static WebhookReceiver start() throws IOException {
        return new WebhookReceiver();
    }

    String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    /** The next answers, in order; then {@link #otherwise}. */
    WebhookReceiver answer(Integer... statuses) {
        script.addAll(List.of(statuses));
        return this;
    }

    WebhookReceiver otherwise(int status) {
        otherwise = status;
        return this;
    }

    WebhookReceiver redirectTo(String location) {
        redirectTo = location;
        return this;
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    /** Waits until at least {@code n} requests came, and returns them. */
    List<Request> await(int n, Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (requests.size() < n) {
            assertThat(System.nanoTime()).as("expected %d requests within %s, got %s", n, within, requests)
                    .isLessThan(deadline);
            Thread.sleep(20);
        }
        return requests();
    }

    @Override
    public void close() {
        server.stop(0);
    }

    /**
     * The test's own Standard Webhooks verification, independent of the service's code: base64 of HMAC-SHA256 keyed
     * with the base64-decoded part of {@code whsec_…}, over {@code id.timestamp.body}.
     */
    static String expectedSignature(String secret, String id, String timestamp, String body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(Base64.getDecoder().decode(secret.substring("whsec_".length())), "HmacSHA256"));
        byte[] tag = mac.doFinal((id + "." + timestamp + "." + body).getBytes(StandardCharsets.UTF_8));
        return Base64.getEncoder().encodeToString(tag);
    }
}
