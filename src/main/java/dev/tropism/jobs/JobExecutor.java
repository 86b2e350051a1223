package dev.tropism.jobs;

import dev.tropism.billing.Spend;
import dev.tropism.engine.ConfigException;
import dev.tropism.engine.NonFiniteValueException;
import dev.tropism.engine.NumericalInstabilityException;
import dev.tropism.storage.Artifacts;
import dev.tropism.workers.NodeLoad;
import dev.tropism.workers.NodeRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.JobInterruptedException;
import org.springframework.batch.core.launch.JobOperator;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.Step;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.core.step.builder.StepBuilder;
import org.springframework.batch.integration.partition.StepExecutionRequest;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

/**
 * The worker side of training: takes the step requests that managers ({@link JobQueue}) send to this node, and runs
 * each as the Spring Batch step {@code train} whose tasklet does one optimizer step per invocation, so each step's
 * metrics commit in their own transaction. Every write of a launch is fenced by its batch execution id: a launch
 * whose job was requeued meanwhile (its worker taken for lost) cannot write to it. The launch settles its job's
 * outcome itself once its step has ended; a resumed launch continues from the job's last checkpoint in object storage.
 */
@Component
public class JobExecutor implements NodeLoad {

    private static final Logger log = LoggerFactory.getLogger(JobExecutor.class);
    private static final int FAIL_ATTEMPTS = 3;
    private static final long FAIL_BACKOFF_MILLIS = 500;

    // Package-private for JobQueue, which recovers launches with them.
    final JobRepository batchRepository;
    final JobOperator jobOperator;
    final JobMetrics metrics;
    /** Publishes the jobs' domain events ({@link JobSucceeded}, {@link JobFailed}, ...). */
    final ApplicationEventPublisher publisher;
    private volatile boolean shuttingDown;
    private final PlatformTransactionManager transactionManager;
    private final TransactionTemplate tx;
    private final JobStore jobs;
    private final JobEvents events;
    private final NodeRegistry registry;
    private final StepTransport transport;
    /** What each launch's tasklet works with. */
    private final TrainingTasklet.Collaborators collaborators;
    /** The launches this node runs now, by job id. */
    private final Map<String, Long> active = new ConcurrentHashMap<>();
    private ExecutorService launches;

    public JobExecutor(JobRepository batchRepository, JobOperator jobOperator,
            PlatformTransactionManager transactionManager, JobStore jobs, JobEvents events, JobMetrics metrics,
            Checkpoints checkpoints, Artifacts artifacts, JobSamples samples, RunFactory runs, BaseModels models,
            ApplicationEventPublisher publisher, JsonMapper json, JobsProperties properties, NodeRegistry registry,
            StepTransport transport, Spend spend, CheckpointRetention retention) {
        this.batchRepository = batchRepository;
        this.jobOperator = jobOperator;
        this.metrics = metrics;
        this.publisher = publisher;
        this.transactionManager = transactionManager;
        this.tx = new TransactionTemplate(transactionManager);
        this.jobs = jobs;
        this.events = events;
        this.registry = registry;
        this.transport = transport;
        this.collaborators = new TrainingTasklet.Collaborators(jobs, events, metrics, checkpoints, artifacts, samples,
                runs, models, publisher, json, properties, tx, spend, retention);
    }

    /** Starts taking step requests (nodes that train: {@code tropism.role=all|worker}). */
    synchronized void start() {
        shuttingDown = false;
        AtomicInteger n = new AtomicInteger();
        launches = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "job-worker-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        transport.listen(this::accept);
    }

    /**
     * Stops taking requests, asks running launches to checkpoint and give their jobs back to the queue after their
     * current step, and waits up to {@code timeout} for them.
     */
    synchronized void drain(Duration timeout) {
        if (launches == null) {
            return;
        }
        registry.drain();
        transport.stopListening();
        shuttingDown = true;
        launches.shutdown();
        try {
            if (!launches.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("training jobs did not stop within {}; they will be recovered when this node is seen stopped",
                        timeout);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public Set<String> runningJobs() {
        return Set.copyOf(active.keySet());
    }

    /**
     * Accepts a step request for this node and starts its launch on a thread of its own, or refuses it (logged)
     * when its job has moved on (it was cancelled or requeued, or the request was delivered twice). Throws only
     * when it cannot tell (the database is down): the transport then offers the request again.
     */
    void accept(StepExecutionRequest request) {
        StepExecution requested = batchRepository.getStepExecution(request.getStepExecutionId());
        if (requested == null) {
            log.warn("refusing step request {}: no such step execution", request);
            return;
        }
        long launch = requested.getJobExecutionId();
        JobExecution execution = batchRepository.getJobExecution(launch);
        StepExecution stepExecution = execution == null ? null : execution.getStepExecutions().stream()
                .filter(s -> s.getId() == request.getStepExecutionId()).findFirst().orElse(null);
        String jobId = execution == null ? null : execution.getJobParameters().getString("job_id");
        if (stepExecution == null || jobId == null) {
            log.warn("refusing step request {}: its batch execution {} is gone", request, launch);
            return;
        }
        if (stepExecution.getStatus() != BatchStatus.STARTING) {
            log.warn("refusing step request {} of job {}: its step is already {}", request, jobId,
                    stepExecution.getStatus());
            return;
        }
        if (!jobs.isLaunch(jobId, registry.nodeId(), launch)) {
            log.warn("refusing step request {}: job {} no longer runs on this node under batch execution {}", request,
                    jobId, launch);
            return;
        }
        ExecutorService pool = launches;
        if (shuttingDown || pool == null) {
            // The job is requeued once this node is seen stopped.
            log.warn("refusing step request {} of job {}: this node is stopping", request, jobId);
            return;
        }
        active.put(jobId, launch);
        try {
            pool.execute(() -> run(stepExecution, jobId, launch));
        } catch (RejectedExecutionException e) {
            active.remove(jobId);
            log.warn("refusing step request {} of job {}: this node is stopping", request, jobId);
        }
    }

    /** Runs one launch until it succeeds, fails, stops or is paused, then settles its job. */
    private void run(StepExecution stepExecution, String jobId, long launch) {
        TrainingTasklet tasklet = new TrainingTasklet(collaborators, jobId, launch, () -> shuttingDown, this::fail);
        try {
            Step step = new StepBuilder(TrainingTasklet.STEP, batchRepository).tasklet(tasklet, transactionManager)
                    .build();
            try {
                step.execute(stepExecution);
            } catch (JobInterruptedException e) {
                stepExecution.setStatus(BatchStatus.STOPPED);
                batchRepository.update(stepExecution);
            }
            tasklet.settle(stepExecution);
        } catch (Throwable t) {
            log.error("launch {} of job {} failed", launch, jobId, t);
            failAbandoned(jobId, launch, t);
        } finally {
            tasklet.close(); // idempotent: settle closes it too
            active.remove(jobId);
        }
    }

    /**
     * Fails a job whose launch ended with an error while it was still {@code running}, retrying with a short
     * backoff (e.g. over a database blip). If that keeps failing, the job is left {@code running}; its manager
     * or, if this node dies, the dispatchers' sweep, takes it back.
     */
    private void failAbandoned(String jobId, long launch, Throwable error) {
        for (int attempt = 1; attempt <= FAIL_ATTEMPTS; attempt++) {
            try {
                fail(jobId, launch, error);
                return;
            } catch (RuntimeException e) {
                log.warn("could not fail job {} (attempt {} of {})", jobId, attempt, FAIL_ATTEMPTS, e);
            }
            try {
                Thread.sleep(FAIL_BACKOFF_MILLIS * attempt);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        log.error("job {} is left running; it will be recovered from its last checkpoint", jobId);
    }

    /**
     * Records why a job failed (keeping its checkpoints and metrics) and fails the model it was producing.
     *
     * @param launch the batch execution the failure belongs to; the job is failed only while it still runs under
     *        it. Null: whatever its launch (the dispatcher's decisions).
     */
    void fail(String jobId, Long launch, Throwable error) {
        Throwable cause = rootOf(error);
        String code = cause instanceof NumericalInstabilityException ? "numerical_instability"
                : cause instanceof ConfigException ? "invalid_config"
                : cause instanceof WorkerLostException ? "worker_lost" : "internal_error";
        String message = cause.getMessage() == null ? cause.getClass().getName() : cause.getMessage();
        if (cause instanceof LaunchFencedException) {
            log.warn("launch {} of job {} stopped: {}", launch, jobId, message);
            return;
        }
        if (launch != null && !connectionLost(error) && !jobs.runsUnder(jobId, launch)) {
            // A launch that woke up after its job moved on (it was frozen or cut off): whatever stopped it, it changes
            // nothing, and its step's writes were rolled back.
            log.warn("launch {} of job {} ended after the job moved on ({}); nothing recorded", launch, jobId, message);
            return;
        }
        if (launch != null && connectionLost(error)) {
            // Not the job's fault: it stays running without a launch, and the dispatchers' sweep gives it back to the
            // queue (from its last checkpoint) once this node's heartbeats show it no longer runs it.
            log.warn("launch {} of job {} ended on a lost database or broker connection ({}); the job goes back to"
                    + " the queue", launch, jobId, message);
            return;
        }
        log.warn("job {} failed: {}", jobId, message, error);
        tx.executeWithoutResult(s -> {
            if (jobs.markFailed(jobId, code, message, launch)) {
                metrics.finished(jobId);
                JobRecord job = jobs.require(jobId);
                publisher.publishEvent(new JobFailed(jobId, job.teamId(), job.model(), job.resultModel(), code));
                Map<String, Object> data = new java.util.LinkedHashMap<>();
                data.put("code", code);
                data.put("step", job.currentStep());
                if (cause instanceof NonFiniteValueException located) { // anomaly mode: where the first NaN/inf was
                    data.put("non_finite", Map.of("step", located.step(), "pass", located.pass().wireName(),
                            "layer", located.layer(), "tensor", located.tensor()));
                }
                events.publish(jobId, "error", "job.failed", "Job failed at step " + job.currentStep() + ": " + message,
                        data);
            }
        });
    }

    /** Whether {@code error} comes from a lost connection (to the database or the broker), not from the job. */
    static boolean connectionLost(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof org.springframework.dao.TransientDataAccessException
                    || t instanceof org.springframework.dao.DataAccessResourceFailureException
                    || t instanceof org.springframework.transaction.CannotCreateTransactionException
                    || t instanceof java.sql.SQLTransientException || t instanceof java.sql.SQLRecoverableException
                    || t instanceof org.springframework.transaction.TransactionSystemException
                    || t instanceof java.sql.SQLException sql && (sql.getSQLState() != null
                            && sql.getSQLState().startsWith("08")
                            // Hikari's closed proxy connection, which carries no SQLState
                            || "Connection is closed".equals(sql.getMessage()))
                    || t instanceof org.springframework.amqp.AmqpConnectException) {
                return true;
            }
        }
        return false;
    }

    /** The first known cause (numerical instability, invalid config) in the chain, else the root cause. */
    private static Throwable rootOf(Throwable error) {
        Throwable t = error;
        while (t != null) {
            if (t instanceof NumericalInstabilityException || t instanceof ConfigException
                    || t instanceof LaunchFencedException) {
                return t;
            }
            t = t.getCause();
        }
        t = error;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }
}
