package dev.tropism.jobs;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The persistent queue: launches {@code queued} jobs in creation order, at most
 * {@code tropism.jobs.max-concurrent} at once. On start it first recovers jobs that a dead process
 * left {@code running}: their batch executions are marked failed and they are queued again, to
 * continue from their last checkpoint. On stop, running jobs checkpoint and go back to the queue.
 *
 * <p>Assumes a single service instance per database: a job that is {@code running} but owned by no
 * live worker of this process (its worker died without settling it) is recovered like a crashed one
 * at the next dispatch. Several instances sharing a database would recover each other's jobs.
 */
@Component
public class JobQueue implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(JobQueue.class);
    private static final int FAIL_ATTEMPTS = 3;
    private static final long FAIL_BACKOFF_MILLIS = 500;

    private final JobStore jobs;
    private final JobEvents events;
    private final JobExecutor executor;
    private final JobsProperties properties;
    private final TransactionTemplate tx;
    private ScheduledExecutorService scheduler;
    private ExecutorService workers;
    private volatile boolean running;
    /** Ids of the jobs this process has claimed and whose worker has not finished yet. */
    private final Set<String> owned = ConcurrentHashMap.newKeySet();

    public JobQueue(JobStore jobs, JobEvents events, JobExecutor executor, JobsProperties properties,
            PlatformTransactionManager transactionManager) {
        this.tx = new TransactionTemplate(transactionManager);
        this.jobs = jobs;
        this.events = events;
        this.executor = executor;
        this.properties = properties;
    }

    @Override
    public void start() {
        recoverInterrupted();
        executor.shuttingDown = false;
        scheduler = Executors.newSingleThreadScheduledExecutor(daemon("job-queue"));
        workers = Executors.newCachedThreadPool(daemon("job-worker-"));
        running = true;
        scheduler.scheduleWithFixedDelay(this::dispatchSafely, 0, properties.pollInterval().toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Asks the queue to look for work now (after a submission, a resume or a finished job). */
    public void wake() {
        if (running) {
            try {
                scheduler.execute(this::dispatchSafely);
            } catch (RejectedExecutionException e) {
                log.debug("queue is stopping; not dispatching");
            }
        }
    }

    /**
     * Requeues every job left {@code running} by a process that is gone (or by a worker of this one
     * that ended without settling it), marking its batch execution failed. Its metrics after the last
     * checkpoint are discarded when it starts again.
     */
    public synchronized void recoverInterrupted() {
        for (String id : jobs.idsIn(JobStatus.RUNNING)) {
            if (!owned.contains(id)) {
                try {
                    recover(id);
                } catch (RuntimeException e) {
                    log.error("could not recover interrupted job {}; retrying at the next dispatch", id, e);
                }
            }
        }
    }

    /** Recovers one job left {@code running} with no live worker (see {@link #recoverInterrupted}). */
    private void recover(String id) {
        JobRecord job = jobs.require(id);
        if (job.batchJobExecutionId() != null) {
            JobExecution execution = executor.batchRepository.getJobExecution(job.batchJobExecutionId());
            if (execution != null && execution.isRunning()) {
                executor.jobOperator.recover(execution);
            }
        }
        boolean cancel = job.control() == JobControl.CANCEL;
        boolean pause = job.control() == JobControl.PAUSE;
        JobStatus to = cancel ? JobStatus.CANCELLED : pause ? JobStatus.PAUSED : JobStatus.QUEUED;
        // One transaction: the status, the event log and what the listeners of JobCancelled write commit together.
        boolean moved = Boolean.TRUE.equals(tx.execute(s -> {
            if (!jobs.transition(id, JobStatus.RUNNING, to)) {
                return false;
            }
            if (cancel) {
                executor.publisher.publishEvent(new JobCancelled(id, job.teamId(), job.model(), job.resultModel()));
            }
            events.publish(id, "warning", cancel ? "job.cancelled" : pause ? "job.paused" : "job.recovered",
                    cancel ? "The service stopped while the job was being cancelled; it is cancelled."
                            : pause ? "The service stopped while the job was being paused; it is paused and resumes"
                                    + " from its last checkpoint."
                            : "The service stopped while the job was running; it resumes from its last checkpoint.",
                    Map.of("step", job.currentStep()));
            return true;
        }));
        if (moved) {
            if (cancel) {
                executor.metrics.finished(id);
            }
            log.warn("recovered interrupted job {} at step {} as {}", id, job.currentStep(), to.wire());
        }
    }

    private void dispatchSafely() {
        try {
            dispatch();
        } catch (RuntimeException e) {
            log.error("job dispatch failed; retrying at the next poll", e);
        }
    }

    private synchronized void dispatch() {
        if (!running) {
            return;
        }
        recoverInterrupted();
        int active = jobs.count(JobStatus.RUNNING);
        for (String id : jobs.idsIn(JobStatus.QUEUED)) {
            if (active >= properties.maxConcurrent()) {
                return;
            }
            owned.add(id);
            if (!jobs.transition(id, JobStatus.QUEUED, JobStatus.RUNNING)) {
                owned.remove(id);
                continue;
            }
            active++;
            try {
                workers.execute(() -> {
                    try {
                        executor.execute(id);
                    } catch (Throwable t) {
                        log.error("worker of job {} failed", id, t);
                        failAbandoned(id, t);
                    } finally {
                        owned.remove(id);
                        wake();
                    }
                });
            } catch (RejectedExecutionException e) {
                // The queue is stopping: give the job back.
                jobs.transition(id, JobStatus.RUNNING, JobStatus.QUEUED);
                owned.remove(id);
                return;
            }
        }
    }

    /**
     * Fails a job whose worker ended with an error while it was still {@code running}, retrying with a
     * short backoff (e.g. over a database blip). If that keeps failing, the job is left {@code running};
     * once its worker is gone, the next dispatch recovers it and the slot is free again.
     */
    private void failAbandoned(String id, Throwable error) {
        for (int attempt = 1; attempt <= FAIL_ATTEMPTS; attempt++) {
            try {
                if (jobs.require(id).status() == JobStatus.RUNNING) {
                    executor.fail(id, error);
                }
                return;
            } catch (RuntimeException e) {
                log.warn("could not fail job {} (attempt {} of {})", id, attempt, FAIL_ATTEMPTS, e);
            }
            try {
                Thread.sleep(FAIL_BACKOFF_MILLIS * attempt);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        log.error("job {} is left running; it will be recovered from its last checkpoint", id);
    }

    @Override
    public void stop() {
        running = false;
        executor.shuttingDown = true;
        scheduler.shutdown();
        try {
            // Let an in-flight dispatch finish before the workers stop accepting jobs.
            if (!scheduler.awaitTermination(30, TimeUnit.SECONDS)) {
                scheduler.shutdownNow();
            }
        } catch (InterruptedException e) {
            scheduler.shutdownNow();
            Thread.currentThread().interrupt();
        }
        workers.shutdown();
        try {
            if (!workers.awaitTermination(60, TimeUnit.SECONDS)) {
                log.warn("training jobs did not stop within 60 s; they will be recovered at the next start");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    private static ThreadFactory daemon(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
