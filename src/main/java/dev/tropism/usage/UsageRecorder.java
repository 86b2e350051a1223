package dev.tropism.usage;

import jakarta.annotation.PreDestroy;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Records finished serving requests in {@code usage_daily}, off the caller's thread: requests end on a
 * model's decoding thread, which must not wait for the database. Each request is dated by the UTC day it
 * ended. Pending records are written before shutdown completes.
 */
@Component
public class UsageRecorder {

    private static final Logger log = LoggerFactory.getLogger(UsageRecorder.class);

    private final UsageStore store;
    private final Clock clock;
    private final ExecutorService writer = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
            new LinkedBlockingQueue<>(), r -> {
                Thread t = new Thread(r, "usage-recorder");
                t.setDaemon(true);
                return t;
            });

    public UsageRecorder(UsageStore store) {
        this.store = store;
        this.clock = Clock.systemUTC();
    }

    /** One finished request: its prompt and completion tokens (those actually produced) and images. */
    public void record(String teamId, String model, long promptTokens, long completionTokens, long images) {
        LocalDate day = LocalDate.now(clock.withZone(ZoneOffset.UTC));
        writer.execute(() -> {
            try {
                store.add(teamId, day, model, 1, promptTokens, completionTokens, images);
            } catch (RuntimeException e) { // NOPMD: a failed write must not break serving; it is logged
                log.error("Could not record usage of {} for {} on {}", model, teamId, day, e);
            }
        });
    }

    @PreDestroy
    void flush() throws InterruptedException {
        writer.shutdown();
        if (!writer.awaitTermination(10, TimeUnit.SECONDS)) {
            log.warn("Usage records still pending at shutdown were dropped");
            writer.shutdownNow();
        }
    }
}
