package dev.tropism.jobs;

import dev.tropism.engine.ConfigException;
import dev.tropism.engine.NonFiniteValueException;
import dev.tropism.engine.NumericalInstabilityException;
import dev.tropism.storage.Artifacts;
import dev.tropism.web.Ids;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.core.job.Job;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.builder.JobBuilder;
import org.springframework.batch.core.job.parameters.JobParameters;
import org.springframework.batch.core.job.parameters.JobParametersBuilder;
import org.springframework.batch.core.launch.JobOperator;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.Step;
import org.springframework.batch.core.step.builder.StepBuilder;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

/**
 * Runs one launch of a training job as a Spring Batch job ({@code training}) with a single tasklet
 * step ({@code train}) that does one optimizer step per invocation, so each step's metrics commit in
 * their own transaction. Every launch is a new job instance (parameters {@code job_id}, {@code launch});
 * a resumed launch continues from the job's last checkpoint in object storage.
 */
@Component
public class JobExecutor {

    private static final Logger log = LoggerFactory.getLogger(JobExecutor.class);

    // Package-private for JobQueue, which recovers and settles launches with them.
    final JobRepository batchRepository;
    final JobOperator jobOperator;
    final JobMetrics metrics;
    /** Publishes the jobs' domain events ({@link JobSucceeded}, {@link JobFailed}, ...). */
    final ApplicationEventPublisher publisher;
    volatile boolean shuttingDown;
    private final PlatformTransactionManager transactionManager;
    private final TransactionTemplate tx;
    private final JobStore jobs;
    private final JobEvents events;
    /** What each launch's tasklet works with. */
    private final TrainingTasklet.Collaborators collaborators;

    public JobExecutor(JobRepository batchRepository, JobOperator jobOperator,
            PlatformTransactionManager transactionManager, JobStore jobs, JobEvents events, JobMetrics metrics,
            Checkpoints checkpoints, Artifacts artifacts, JobSamples samples, RunFactory runs, BaseModels models,
            ApplicationEventPublisher publisher, JsonMapper json, JobsProperties properties) {
        this.batchRepository = batchRepository;
        this.jobOperator = jobOperator;
        this.metrics = metrics;
        this.publisher = publisher;
        this.transactionManager = transactionManager;
        this.tx = new TransactionTemplate(transactionManager);
        this.jobs = jobs;
        this.events = events;
        this.collaborators = new TrainingTasklet.Collaborators(jobs, events, metrics, checkpoints, artifacts, samples,
                runs, models, publisher, json, properties, tx);
    }

    /** Runs the (already claimed, {@code running}) job until it succeeds, fails, stops or is paused. */
    public void execute(String jobId) {
        TrainingTasklet tasklet = new TrainingTasklet(collaborators, jobId, () -> shuttingDown, this::fail);
        Step step = new StepBuilder("train", batchRepository).tasklet(tasklet, transactionManager).build();
        Job job = new JobBuilder("training", batchRepository).start(step).build();
        JobParameters parameters = new JobParametersBuilder().addString("job_id", jobId)
                .addString("launch", Ids.newId("launch_")).toJobParameters();
        JobExecution execution;
        try {
            execution = jobOperator.start(job, parameters);
        } catch (Exception | LinkageError e) {
            fail(jobId, e);
            tasklet.close();
            return;
        }
        try {
            if (execution.isRunning()) {
                throw new IllegalStateException("the batch job operator must run jobs synchronously on the worker thread");
            }
            tasklet.settle(execution);
        } finally {
            tasklet.close(); // idempotent: settle closes it too
        }
    }

    /** Records why a job failed (keeping its checkpoints and metrics) and fails the model it was producing. */
    void fail(String jobId, Throwable error) {
        Throwable cause = rootOf(error);
        String code = cause instanceof NumericalInstabilityException ? "numerical_instability"
                : cause instanceof ConfigException ? "invalid_config" : "internal_error";
        String message = cause.getMessage() == null ? cause.getClass().getName() : cause.getMessage();
        log.warn("job {} failed: {}", jobId, message, error);
        tx.executeWithoutResult(s -> {
            if (jobs.markFailed(jobId, code, message)) {
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

    /** The first known cause (numerical instability, invalid config) in the chain, else the root cause. */
    private static Throwable rootOf(Throwable error) {
        Throwable t = error;
        while (t != null) {
            if (t instanceof NumericalInstabilityException || t instanceof ConfigException) {
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
