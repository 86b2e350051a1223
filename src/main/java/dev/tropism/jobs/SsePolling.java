package dev.tropism.jobs;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * The server-sent-event streams of a job ({@link JobEventStream}, {@link JobMetricStream}) poll the
 * database on one shared thread until their job has ended and everything was sent. Polling the shared
 * database (not an in-memory bus) keeps them correct when training moves to worker nodes.
 */
@Component
class SsePolling implements DisposableBean {

    private static final long TIMEOUT_MS = Duration.ofHours(6).toMillis();

    /** One poll: sends what is new and answers whether the stream is complete. */
    @FunctionalInterface
    interface Poll {
        boolean sendNew(SseEmitter emitter) throws IOException;
    }

    private final JobsProperties properties;
    private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(1, r -> {
        Thread t = new Thread(r, "job-sse-poll");
        t.setDaemon(true);
        return t;
    });

    SsePolling(JobsProperties properties) {
        this.properties = properties;
    }

    /** An emitter fed by {@code poll} every poll interval (at most 250 ms) until it answers true. */
    SseEmitter open(Poll poll) {
        SseEmitter emitter = new SseEmitter(TIMEOUT_MS);
        AtomicReference<ScheduledFuture<?>> task = new AtomicReference<>();
        Runnable run = () -> {
            try {
                if (poll.sendNew(emitter)) {
                    emitter.complete();
                    cancel(task);
                }
            } catch (IOException | RuntimeException e) {
                emitter.completeWithError(e);
                cancel(task);
            }
        };
        emitter.onCompletion(() -> cancel(task));
        emitter.onTimeout(() -> cancel(task));
        emitter.onError(e -> cancel(task));
        task.set(scheduler.scheduleWithFixedDelay(run, 0, Math.min(properties.pollInterval().toMillis(), 250),
                TimeUnit.MILLISECONDS));
        return emitter;
    }

    private static void cancel(AtomicReference<ScheduledFuture<?>> task) {
        ScheduledFuture<?> f = task.get();
        if (f != null) {
            f.cancel(false);
        }
    }

    @Override
    public void destroy() {
        scheduler.shutdownNow();
    }
}
