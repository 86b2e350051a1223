package dev.tropism.dryruns;

import dev.tropism.web.ApiException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;

/**
 * The dry-runs' own small executor, outside the training job queue: {@code threads} workers and room for
 * {@code queue-capacity} waiting dry-runs. A submission first takes a {@link Slot}; when every slot is
 * taken it is answered 429 before anything is stored. On start it fails the dry-runs that a previous
 * process left queued or running (nothing resumes them, and a poller must not wait forever). Assumes one
 * service instance per database, as the job queue does.
 */
@Component
class DryRunExecutor implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(DryRunExecutor.class);
    static final String INTERRUPTED = "interrupted";

    private final DryRunStore store;
    private final DryRunProperties properties;
    private final Semaphore slots;
    private volatile ExecutorService workers;
    private volatile boolean running;

    DryRunExecutor(DryRunStore store, DryRunProperties properties) {
        this.store = store;
        this.properties = properties;
        this.slots = new Semaphore(properties.threads() + properties.queueCapacity());
    }

    /** A reserved place among the running and queued dry-runs; {@link #start} or {@link #release} it. */
    final class Slot {

        private boolean used;

        /** Runs {@code work} on a dry-run thread; false (slot released) when the executor is stopping. */
        synchronized boolean start(Runnable work) {
            if (used) {
                throw new IllegalStateException("slot already used");
            }
            used = true;
            ExecutorService pool = workers;
            try {
                if (pool == null) {
                    throw new RejectedExecutionException("not started");
                }
                pool.execute(() -> {
                    try {
                        work.run();
                    } finally {
                        slots.release();
                    }
                });
                return true;
            } catch (RejectedExecutionException e) {
                slots.release();
                return false;
            }
        }

        synchronized void release() {
            if (!used) {
                used = true;
                slots.release();
            }
        }
    }

    /** A slot, or 429 {@code too_many_dry_runs} when the executor and its queue are full. */
    Slot reserve() {
        if (!running || !slots.tryAcquire()) {
            throw new ApiException(HttpStatus.TOO_MANY_REQUESTS, "too_many_dry_runs", running
                    ? "Too many dry-runs are queued (" + properties.threads() + " running, "
                            + properties.queueCapacity() + " waiting at most); retry when one has finished."
                    : "The service is starting or stopping; retry shortly.");
        }
        return new Slot();
    }

    /** Fails every dry-run a previous process left queued or running; returns how many. */
    int recoverInterrupted() {
        int n = store.failUnfinished(INTERRUPTED, "interrupted by a restart of the service; submit it again");
        if (n > 0) {
            log.warn("failed {} dry-run(s) left unfinished by a previous process", n);
        }
        return n;
    }

    @Override
    public void start() {
        recoverInterrupted();
        AtomicInteger n = new AtomicInteger();
        workers = Executors.newFixedThreadPool(properties.threads(), r -> {
            Thread t = new Thread(r, "dry-run-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        running = true;
    }

    /**
     * Interrupts running dry-runs (they stop between batches and fail as {@code interrupted}) and drops
     * queued ones, which the next start fails.
     */
    @Override
    public void stop() {
        running = false;
        ExecutorService pool = workers;
        if (pool == null) {
            return;
        }
        pool.shutdownNow();
        try {
            if (!pool.awaitTermination(30, TimeUnit.SECONDS)) {
                log.warn("dry-runs did not stop within 30 s; the next start fails them");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /**
     * Below the web server's start/stop phase (Spring Boot's is {@code DEFAULT_PHASE − 2048}): recovery runs
     * before the first submission can arrive, and workers stop after the last one was answered.
     */
    @Override
    public int getPhase() {
        return DEFAULT_PHASE - 4096;
    }
}
