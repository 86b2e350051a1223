package dev.tropism.rewards;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A real scorer for webhook tests: a JDK {@link HttpServer} on 127.0.0.1 (random port) that answers with
 * a {@link Handler}, records every request and measures how many were in flight at once.
 */
final class ScorerServer implements AutoCloseable {

    static final JsonMapper JSON = JsonMapper.builder().build();

    /** What the scorer answers: a status and body, after an optional delay. */
    record Answer(int status, String body, long delayMs) {

        static Answer ok(String body) {
            return new Answer(200, body, 0);
        }

        static Answer status(int status, String body) {
            return new Answer(status, body, 0);
        }

        Answer after(long ms) {
            return new Answer(status, body, ms);
        }
    }

    /** One request as the scorer saw it. */
    record Seen(JsonNode body, Headers headers) {
    }

    @FunctionalInterface
    interface Handler {
        /** The answer to the {@code call}-th request (1-based). */
        Answer answer(JsonNode body, int call);
    }

    /**
     * The reference scorer: 1.0 when a sample's output equals its item's {@code answer} (found through the
     * sample's {@code group} index into {@code items}), else 0.0.
     */
    static String exactMatch(JsonNode body) {
        List<String> scores = new ArrayList<>();
        for (JsonNode s : body.get("samples")) {
            String answer = body.get("items").get(s.get("group").asInt()).get("answer").asString();
            scores.add(s.get("output_text").asString().equals(answer) ? "1.0" : "0.0");
        }
        return "{\"scores\":[" + String.join(",", scores) + "]}";
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(16);
    private final List<Seen> seen = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger calls = new AtomicInteger();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();

    private ScorerServer(Handler handler) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(executor);
        server.createContext("/", exchange -> {
            int now = inFlight.incrementAndGet();
            maxInFlight.accumulateAndGet(now, Math::max);
            boolean answered = false;
            try (exchange) {
                JsonNode body = JSON.readTree(exchange.getRequestBody().readAllBytes());
                seen.add(new Seen(body, exchange.getRequestHeaders()));
                Answer a = handler.answer(body, calls.incrementAndGet());
                if (a.delayMs() > 0) {
                    Thread.sleep(a.delayMs());
                }
                byte[] out = a.body().getBytes(StandardCharsets.UTF_8);
                // No longer in flight once the answer starts: the client may send its next request as soon as
                // it has read this one, before this handler has returned.
                inFlight.decrementAndGet();
                answered = true;
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                if (a.status() / 100 == 3) {
                    exchange.getResponseHeaders().add("Location", "http://example.com/elsewhere");
                }
                exchange.sendResponseHeaders(a.status(), out.length == 0 ? -1 : out.length);
                try (OutputStream os = exchange.getResponseBody()) {
                    os.write(out);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException e) {
                // the client went away (a cancelled call)
            } finally {
                if (!answered) {
                    inFlight.decrementAndGet();
                }
            }
        });
        server.start();
    }

    static ScorerServer start(Handler handler) throws IOException {
        return new ScorerServer(handler);
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/score";
    }

    int calls() {
        return calls.get();
    }

    int maxInFlight() {
        return maxInFlight.get();
    }

    List<Seen> seen() {
        synchronized (seen) {
            return List.copyOf(seen);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
