package dev.tropism.evaluations;

import dev.tropism.engine.ConfigException;
import dev.tropism.web.ApiException;
import dev.tropism.workers.NodeRegistry;
import java.io.IOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Runs queued evaluations on this API instance. Instances share the queue in the database: each claims the oldest
 * queued evaluation with {@code FOR UPDATE SKIP LOCKED}, refreshes its claim every lease / 4 while it runs, and takes
 * back the evaluations of an instance whose claim went stale (it died): they are queued again, or fail as
 * {@code instance_lost} after {@code max-attempts}. A cancel of a running evaluation is a flag in its row that the
 * claiming instance sees at its next refresh; it interrupts the run, which stops between samples. On shutdown the
 * running evaluations are put back in the queue for the next instance.
 */
@Component
class EvaluationQueue implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(EvaluationQueue.class);

    private final EvaluationStore store;
    private final EvalSuiteStore suites;
    private final EvaluationEvents events;
    private final EvaluationRunner runner;
    private final EvaluationJudge judge;
    private final EvaluationProperties properties;
    private final NodeRegistry registry;
    private final ApplicationEventPublisher publisher;
    private final TransactionTemplate tx;
    private final Map<String, Future<?>> active = new ConcurrentHashMap<>();
    private volatile ScheduledExecutorService scheduler;
    private volatile ExecutorService pool;
    private volatile boolean running;

    EvaluationQueue(EvaluationStore store, EvalSuiteStore suites, EvaluationEvents events, EvaluationRunner runner,
            EvaluationJudge judge, EvaluationProperties properties, NodeRegistry registry,
            ApplicationEventPublisher publisher, PlatformTransactionManager transactionManager) {
        this.store = store;
        this.suites = suites;
        this.events = events;
        this.runner = runner;
        this.judge = judge;
        this.properties = properties;
        this.registry = registry;
        this.publisher = publisher;
        this.tx = new TransactionTemplate(transactionManager);
    }

    @Override
    public synchronized void start() {
        running = true;
        if (!registry.role().dispatches()) {
            return; // worker nodes train; evaluations run where the API runs
        }
        AtomicInteger n = new AtomicInteger();
        pool = Executors.newFixedThreadPool(properties.threads(), r -> {
            Thread t = new Thread(r, "evaluation-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "evaluation-queue");
            t.setDaemon(true);
            return t;
        });
        long poll = properties.pollInterval().toMillis();
        long refresh = Math.max(50, properties.lease().toMillis() / 4);
        scheduler.scheduleWithFixedDelay(this::poll, 0, poll, TimeUnit.MILLISECONDS);
        scheduler.scheduleWithFixedDelay(this::refreshClaims, refresh, refresh, TimeUnit.MILLISECONDS);
    }

    /** Wakes the poller now (after a submission), instead of at its next tick. */
    void nudge() {
        ScheduledExecutorService s = scheduler;
        if (running && s != null) {
            try {
                s.execute(this::poll);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // stopping
            }
        }
    }

    private void poll() {
        try {
            takeBackStale();
            while (running && active.size() < properties.threads()) {
                Optional<Evaluation> claimed = tx.execute(s -> store.claimNext(registry.nodeId()));
                if (claimed == null || claimed.isEmpty()) {
                    return;
                }
                Evaluation e = claimed.get();
                events.info(e.id(), "evaluation.started", "started on " + registry.nodeName()
                        + (e.attempts() > 0 ? " (attempt " + (e.attempts() + 1) + ")" : ""),
                        Map.of("node", registry.nodeId(), "attempt", e.attempts() + 1));
                // registered before it can finish, so that its own removal cannot come first
                synchronized (active) {
                    active.put(e.id(), pool.submit(() -> execute(e)));
                }
            }
        } catch (RuntimeException ex) {
            log.warn("evaluation queue poll failed ({}); retrying at the next tick", ex.toString());
        }
    }

    /** Requeues (or fails) running evaluations whose instance stopped refreshing its claim. */
    private void takeBackStale() {
        for (Evaluation e : store.stale(Instant.now().minus(properties.lease()))) {
            if (active.containsKey(e.id())) {
                continue; // our own, refreshed by refreshClaims
            }
            if (e.cancelRequested()) { // its instance died after the cancel was answered: it ends cancelled
                tx.executeWithoutResult(s -> {
                    if (store.end(e.id(), e.claimedBy(), EvaluationStatus.CANCELLED, "cancelled",
                            "cancelled; its API instance stopped answering")) {
                        events.info(e.id(), "evaluation.cancelled", "cancelled; its API instance stopped answering",
                                null);
                        publishEnded(store.require(e.id()), null);
                    }
                });
            } else if (e.attempts() + 1 >= properties.maxAttempts()) {
                String message = "its API instance stopped answering " + (e.attempts() + 1) + " time(s) (lease "
                        + properties.lease().toSeconds() + " s, tropism.evaluations.max-attempts "
                        + properties.maxAttempts() + ")";
                tx.executeWithoutResult(s -> {
                    if (store.end(e.id(), e.claimedBy(), EvaluationStatus.FAILED, "instance_lost", message)) {
                        events.publish(e.id(), "error", "evaluation.failed", message, Map.of("code", "instance_lost"));
                        publishEnded(store.require(e.id()), null);
                    }
                });
            } else if (store.requeue(e.id(), e.claimedBy(), true)) {
                events.publish(e.id(), "warn", "evaluation.requeued", "its API instance " + e.claimedBy()
                        + " stopped refreshing its claim; queued again", Map.of("node", e.claimedBy()));
            }
        }
    }

    /** Refreshes this instance's claims; interrupts a run whose cancel was asked or whose claim was lost. */
    private void refreshClaims() {
        for (Map.Entry<String, Future<?>> a : List.copyOf(active.entrySet())) {
            try {
                if (!store.heartbeat(a.getKey(), registry.nodeId())) {
                    log.warn("evaluation {} is no longer claimed by this instance; stopping it", a.getKey());
                    a.getValue().cancel(true);
                } else if (store.cancelRequested(a.getKey())) {
                    a.getValue().cancel(true);
                }
            } catch (RuntimeException ex) {
                log.warn("could not refresh the claim of evaluation {}", a.getKey(), ex);
            }
        }
    }

    private void execute(Evaluation e) {
        String node = registry.nodeId();
        try {
            EvalSuite suite = suites.find(e.suiteId()).orElseThrow();
            EvaluationRunner.Progress progress = new EvaluationRunner.Progress() {
                @Override
                public void at(String phase, int done, int total) {
                    store.progress(e.id(), node, phase, done, total);
                }

                @Override
                public void event(String type, String message, Map<String, ?> data) {
                    events.info(e.id(), type, message, data);
                }
            };
            EvaluationRunner.Measured measured = runner.measure(e, suite, progress);
            EvaluationJudge.Judgement j = judge.judge(e, suite, measured);
            tx.executeWithoutResult(s -> {
                if (store.complete(e.id(), node, j.verdict(), j.failedThresholdsJson(), j.reportJson())) {
                    Map<String, Object> data = new LinkedHashMap<>();
                    data.put("verdict", j.verdict());
                    data.put("failed_thresholds", j.failedNames());
                    events.info(e.id(), "evaluation.completed", j.verdict() + (j.failedNames().isEmpty() ? ""
                            : ": " + String.join(", ", j.failedNames()) + " failed"), data);
                    publishEnded(store.require(e.id()), j.failedNames());
                } else {
                    cancelIfAsked(e, node, "cancelled as it finished (its result was discarded)");
                }
            });
        } catch (InterruptedException ex) {
            stopped(e, node);
        } catch (ConfigException ex) {
            failUnlessStopped(e, node, ex, "invalid_config", "/" + ex.field() + " " + ex.reason());
        } catch (IOException ex) {
            failUnlessStopped(e, node, ex, "model_unavailable", "could not read the policy model: " + ex.getMessage());
        } catch (ApiException ex) {
            failUnlessStopped(e, node, ex, "not_usable", ex.getMessage()
                    + " (it changed after the evaluation was submitted)");
        } catch (RuntimeException | Error ex) {
            if (!interrupted(ex)) {
                log.error("evaluation {} failed", e.id(), ex);
            }
            failUnlessStopped(e, node, ex, "internal_error", ex.toString());
        } finally {
            synchronized (active) {
                active.remove(e.id());
            }
        }
    }

    /**
     * Whether a failure is the run being stopped (a cancel, a shutdown, a lost claim interrupt the thread): an
     * interrupt can surface as an I/O error of the policy's download ({@link java.nio.channels.ClosedByInterruptException}).
     */
    private static boolean interrupted(Throwable ex) {
        return Thread.currentThread().isInterrupted() || ex instanceof java.io.InterruptedIOException
                || ex instanceof java.nio.channels.ClosedByInterruptException;
    }

    /** Fails the evaluation, unless the failure is its run being stopped ({@link #stopped}). */
    private void failUnlessStopped(Evaluation e, String node, Throwable ex, String code, String message) {
        if (interrupted(ex)) {
            stopped(e, node);
        } else {
            fail(e, node, code, message);
        }
    }

    /** An interrupted run: cancelled when asked, else put back in the queue (shutdown) or left (claim lost). */
    private void stopped(Evaluation e, String node) {
        try {
            if (store.cancelRequested(e.id())) {
                tx.executeWithoutResult(s -> cancelIfAsked(e, node, "cancelled while running"));
            } else if (!running && store.requeue(e.id(), node, false)) {
                events.info(e.id(), "evaluation.requeued", "its API instance is stopping; queued again", null);
            }
        } catch (RuntimeException ex) {
            log.warn("could not record the stop of evaluation {}; its lease will expire", e.id(), ex);
        }
    }

    /** Ends a running evaluation of this node as cancelled when a cancel was asked; inside the caller's transaction. */
    private void cancelIfAsked(Evaluation e, String node, String message) {
        if (store.cancelRequested(e.id()) && store.end(e.id(), node, EvaluationStatus.CANCELLED, "cancelled", message)) {
            events.info(e.id(), "evaluation.cancelled", message, null);
            publishEnded(store.require(e.id()), null);
        }
    }

    private void fail(Evaluation e, String node, String code, String message) {
        try {
            tx.executeWithoutResult(s -> {
                if (store.cancelRequested(e.id())) {
                    cancelIfAsked(e, node, "cancelled while running");
                } else if (store.end(e.id(), node, EvaluationStatus.FAILED, code, message)) {
                    events.publish(e.id(), "error", "evaluation.failed", message, Map.of("code", code));
                    publishEnded(store.require(e.id()), null);
                }
            });
        } catch (RuntimeException ex) {
            log.error("could not fail evaluation {} ({}: {}); its lease will expire", e.id(), code, message, ex);
        }
    }

    /** {@link EvaluationCompleted}, inside the caller's transaction. */
    void publishEnded(Evaluation e, List<String> failedNames) {
        EvalSuite suite = suites.find(e.suiteId()).orElseThrow();
        publisher.publishEvent(new EvaluationCompleted(e.id(), e.teamId(), suite.id(), suite.name(), suite.version(),
                e.status().wire(), e.verdict(), failedNames == null ? List.of() : failedNames, e.candidate().id(),
                e.candidate().alias()));
    }

    @Override
    public synchronized void stop() {
        running = false;
        ScheduledExecutorService s = scheduler;
        ExecutorService p = pool;
        if (s == null || p == null) {
            return;
        }
        s.shutdownNow();
        p.shutdownNow(); // interrupts the runs: each puts itself back in the queue
        try {
            if (!p.awaitTermination(30, TimeUnit.SECONDS)) {
                log.warn("evaluations did not stop within 30 s; their leases will expire");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Below the web server's phase: the queue starts before the first request and stops after the last. */
    @Override
    public int getPhase() {
        return DEFAULT_PHASE - 4096;
    }
}
