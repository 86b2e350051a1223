package dev.tropism.engine.serve;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tropism.engine.lm.LanguageModel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;

/**
 * Closed-loop serving load on a {@link Generator}, shared by the serving benchmarks: {@code clients} threads each send
 * their next greedy request when the last one ends, for a fixed window. Tokens count only for requests that finished
 * inside the window, over the whole window, so a batched run's requests still in flight at the end count against it.
 */
public final class ClosedLoopLoad {

    /** One window's throughput, latency (submit to result) and time to first token. */
    public record Measured(double tokensPerSecond, double p50Ms, double p99Ms, double ttftP50Ms, int requests) {

        /** The better of two windows (by throughput); {@code a} may be null. */
        public static Measured best(Measured a, Measured b) {
            return a == null || b.tokensPerSecond() > a.tokensPerSecond() ? b : a;
        }
    }

    private ClosedLoopLoad() {
    }

    /**
     * {@code clients} threads in a closed loop for {@code seconds} against a fresh generator of batch {@code maxBatch};
     * request {@code n} (counted from 1) is {@code prompt.apply(n)} with {@code newTokens} greedy tokens, every one of
     * which must be generated (the model must not pick EOS).
     */
    public static Measured measure(LanguageModel model, int maxBatch, int clients, long seconds, int newTokens,
            LongFunction<String> prompt) throws Exception {
        List<GenerationResult> done = Collections.synchronizedList(new ArrayList<>());
        AtomicLong seeds = new AtomicLong();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        long t0 = System.nanoTime();
        try (Generator g = new Generator(model, new GeneratorConfig(maxBatch, 2 * clients))) {
            List<Thread> threads = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                Thread t = new Thread(() -> {
                    while (System.nanoTime() < end) {
                        GenerationResult r;
                        try { // one-at-a-time at 32 clients queues a request behind 31 others: wait long
                            r = g.submit(GenerationRequest.builder(prompt.apply(seeds.incrementAndGet()))
                                    .maxTokens(newTokens).temperature(0).build(), GenerationListener.NONE)
                                    .result().get(5, TimeUnit.MINUTES);
                        } catch (Exception e) {
                            throw new AssertionError("no result", e);
                        }
                        if (System.nanoTime() <= end) {
                            done.add(r);
                        }
                    }
                });
                t.start();
                threads.add(t);
            }
            for (Thread t : threads) {
                t.join();
            }
        }
        double elapsed = (end - t0) / 1e9;
        long tokens = 0;
        List<Double> latency = new ArrayList<>();
        List<Double> ttft = new ArrayList<>();
        for (GenerationResult r : done) {
            assertTrue(r.completionTokens() == newTokens, "a request ended early: " + r);
            tokens += r.completionTokens();
            latency.add(r.totalNanos() / 1e6);
            ttft.add(r.firstTokenNanos() / 1e6);
        }
        Collections.sort(latency);
        Collections.sort(ttft);
        return new Measured(tokens / elapsed, pct(latency, 0.5), pct(latency, 0.99), pct(ttft, 0.5), done.size());
    }

    private static double pct(List<Double> sorted, double q) {
        return sorted.isEmpty() ? Double.NaN : sorted.get((int) Math.min(sorted.size() - 1, Math.floor(q * sorted.size())));
    }
}
