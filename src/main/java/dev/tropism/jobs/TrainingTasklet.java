package dev.tropism.jobs;

import dev.tropism.billing.Spend;
import dev.tropism.engine.DeviceInfo;
import dev.tropism.engine.DeviceSpec;
import dev.tropism.engine.MetricNames;
import dev.tropism.engine.PolicyFamily;
import dev.tropism.engine.TrainingRun;
import dev.tropism.engine.nn.CheckpointFiles;
import dev.tropism.storage.Artifacts;
import dev.tropism.web.Ids;
import dev.tropism.web.Violation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.scope.context.ChunkContext;
import org.springframework.batch.core.step.StepContribution;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.core.step.tasklet.Tasklet;
import org.springframework.batch.infrastructure.repeat.RepeatStatus;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

/**
 * The training loop of one launch. The first invocation opens the run (from the last checkpoint, if
 * any, discarding metrics recorded after it); each later invocation honours a pending cancel/pause,
 * then does exactly one optimizer step with its metrics, evaluation and checkpoint, in one transaction.
 * The {@code jobs} row is updated only at the end of each invocation, so that its row lock (which a
 * pause or cancel request waits for on PostgreSQL) is held only briefly before the commit.
 * Each invocation accrues the device time since the previous accrual (the first: since the launch began to open)
 * to the job's spend, in its transaction ({@link Spend#accrue}); a step that leaves the job's or its team's budget
 * without room checkpoints and pauses the job ({@code budget_exceeded}).
 * The open {@link TrainingRun} lives only as long as this launch; everything else is in the database
 * or object storage.
 */
final class TrainingTasklet implements Tasklet {

    /** The name of the worker step every launch runs. */
    static final String STEP = "train";

    /** Records why a job failed ({@link JobExecutor#fail}). */
    @FunctionalInterface
    interface Failure {
        void fail(String jobId, Long launch, Throwable error);
    }

    private final Collaborators x;
    private final String jobId;
    /** The batch execution of this launch: the fence of every write to the job's row. */
    private final long launch;
    private final BooleanSupplier shuttingDown;
    private final Failure fail;
    private JobRecord job;
    /** The job's method; null for pretraining. */
    private AlignmentMethod alignment;
    private Path workDir;
    private TrainingRun run;
    private int lastCheckpointStep = -1;
    private int lastEvalStep = -1;
    private JobStatus stoppedAs;
    private int stoppedAtStep;
    private long lastStepEnd;
    private long evalNanos;
    private LearningSignalMonitor signal;
    /** Null when the job has no hacking monitor. */
    private HackingMonitor monitor;
    private HackingMonitorConfig monitorConfig;
    /** {@code System.nanoTime()} since which device time has not been accrued: the launch's open, then each accrual. */
    private long accruedUntil;
    /** Optimizer steps done since the last accrual. */
    private int unaccruedSteps;
    /** The launch's device class ({@code Pricing#deviceClass}). */
    private String deviceClass;
    /** Why the launch pauses its job ({@link JobPaused#reason()}). */
    private String pauseReason = JobPaused.REQUESTED;

    /**
     * What a launch works with, injected into {@link JobExecutor} and handed to each tasklet.
     *
     * @param tx the transactions that settle a launch's outcome
     */
    record Collaborators(JobStore jobs, JobEvents events, JobMetrics metrics, Checkpoints checkpoints,
            Artifacts artifacts, JobSamples samples, RunFactory runs, BaseModels models, ApplicationEventPublisher publisher,
            JsonMapper json, JobsProperties properties, TransactionTemplate tx, Spend spend,
            CheckpointRetention retention) {
    }

    /**
     * @param shuttingDown whether the service is stopping (the job then stops after its step, to be requeued)
     * @param launch the batch execution this launch runs under
     * @param fail records why a job failed ({@link JobExecutor#fail})
     */
    TrainingTasklet(Collaborators collaborators, String jobId, long launch, BooleanSupplier shuttingDown,
            Failure fail) {
        this.x = collaborators;
        this.jobId = jobId;
        this.launch = launch;
        this.shuttingDown = shuttingDown;
        this.fail = fail;
    }

    @Override
    public RepeatStatus execute(StepContribution contribution, ChunkContext chunkContext) throws Exception {
        StepExecution stepExecution = contribution.getStepExecution();
        if (run == null) {
            accruedUntil = System.nanoTime();
            open();
            return RepeatStatus.CONTINUABLE;
        }
        JobControl control = x.jobs.launchControl(jobId, launch); // the fence, before the step computes
        if (control == JobControl.CANCEL) {
            accrue();
            stopAs(stepExecution, JobStatus.CANCELLED);
            return RepeatStatus.FINISHED;
        }
        if (control == JobControl.PAUSE || shuttingDown.getAsBoolean()) {
            checkpointIfNew();
            accrue();
            // A requested pause wins over a shutdown (which would requeue the job).
            stopAs(stepExecution, control == JobControl.PAUSE ? JobStatus.PAUSED : JobStatus.QUEUED);
            // The fence, last: a launch the job has moved on from (requeued after a lost worker) rolls back this
            // checkpoint, its retention and its charge instead of deleting what the new launch resumes from.
            x.jobs.setCurrentStep(jobId, run.step(), launch);
            return RepeatStatus.FINISHED;
        }
        if (run.step() < run.totalSteps()) {
            long start = System.nanoTime();
            Map<String, Double> values = new LinkedHashMap<>(run.trainStep());
            long end = System.nanoTime();
            values.put(MetricNames.PERF_STEP_SECONDS, (end - start) / 1e9);
            if (lastStepEnd > 0) {
                // Everything between the previous step's end and this one's start, except evaluation.
                values.put(MetricNames.PERF_BOOKKEEPING_SECONDS, (start - lastStepEnd - evalNanos) / 1e9);
            }
            ProcessMemory.residentMiB().ifPresent(rss -> values.put(MetricNames.PERF_RSS_MIB, rss));
            lastStepEnd = end;
            evalNanos = 0;
            unaccruedSteps++;
            int step = run.step();
            x.metrics.record(jobId, step, values);
            signal.observe(step, values).ifPresent(evidence -> x.events.publish(jobId, "warning",
                    LearningSignalMonitor.EVENT, LearningSignalMonitor.message(evidence), evidence));
            Map<String, Double> observed = values;
            if (run.evalInterval() > 0 && step % run.evalInterval() == 0) {
                observed = new LinkedHashMap<>(values);
                observed.putAll(evaluate(step));
            }
            if (monitor != null && monitor.observe(step, observed).map(this::alarm).orElse(false)
                    && step < run.totalSteps()) {
                checkpointIfNew();
                recordCost(step, accrue());
                pauseReason = JobPaused.HACKING;
                stopAs(stepExecution, JobStatus.PAUSED);
                x.jobs.setCurrentStep(jobId, step, launch);
                return RepeatStatus.FINISHED;
            }
            if (step % x.properties.checkpointInterval() == 0 && step < run.totalSteps()) {
                checkpoint(step);
            }
            if (step < run.totalSteps()) {
                Spend.Accrual accrual = accrue();
                if (accrual.limit() != null) {
                    checkpointIfNew();
                    accrual = accrue(); // the checkpoint's device time too
                    recordCost(step, accrual);
                    budgetExceeded(step, accrual);
                    stopAs(stepExecution, JobStatus.PAUSED);
                    x.jobs.setCurrentStep(jobId, step, launch);
                    return RepeatStatus.FINISHED;
                }
                recordCost(step, accrual);
                // Last statement of the transaction: the row lock is held only until the commit.
                x.jobs.setCurrentStep(jobId, step, launch);
                return RepeatStatus.CONTINUABLE;
            }
        }
        finish();
        return RepeatStatus.FINISHED;
    }

    /** Stops the batch execution; {@link #settle} then moves the job to {@code status}. */
    private void stopAs(StepExecution stepExecution, JobStatus status) {
        stoppedAs = status;
        stoppedAtStep = run.step();
        stepExecution.setTerminateOnly();
    }

    private void open() throws IOException {
        job = x.jobs.require(jobId);
        alignment = JobMethod.stored(job, x.json).alignment();
        workDir = Files.createTempDirectory("tropism-" + jobId + "-");
        Optional<Checkpoint> checkpoint = x.checkpoints.latest(jobId);
        Path local = null;
        if (checkpoint.isPresent()) {
            local = workDir.resolve("resume");
            x.artifacts.download(checkpoint.get().objectPrefix(), local);
        }
        run = x.runs.open(job, local, workDir);
        lastCheckpointStep = checkpoint.map(Checkpoint::step).orElse(-1);
        lastEvalStep = lastCheckpointStep;
        int discarded = x.metrics.deleteAfter(jobId, lastCheckpointStep);
        openMonitor();
        signal = new LearningSignalMonitor(x.properties.noSignalThreshold(), x.properties.noSignalWindow());
        String device = DeviceSpec.name(run.device());
        deviceClass = x.spend.pricing().deviceClass(run.device().isGpu(),
                run.device().isGpu() ? DeviceInfo.of(run.device()).gpuModel() : null);
        Map<String, Object> where = new LinkedHashMap<>();
        where.put("device", device);
        where.put("device_class", deviceClass);
        if (job.workerId() != null) {
            where.put("worker", job.workerId());
        }
        if (checkpoint.isPresent()) {
            Map<String, Object> data = new LinkedHashMap<>(Map.of("checkpoint", checkpoint.get().id(), "step",
                    run.step(), "discarded_metric_rows", discarded));
            data.putAll(where);
            x.events.info(jobId, "job.resumed", "Resumed from checkpoint " + checkpoint.get().id() + " at step "
                    + run.step() + " on " + device + ".", data);
        } else {
            Map<String, Object> data = new LinkedHashMap<>(Map.of("total_steps", run.totalSteps()));
            data.putAll(where);
            x.events.info(jobId, "job.started", "Training started on " + device + ": " + run.totalSteps() + " steps.",
                    data);
            if (alignment != null) {
                evaluate(0); // the base model's (or the fresh head's) baseline
            }
        }
        // Last, so that pause/cancel requests are not blocked by the job's row lock during the above.
        x.jobs.setCurrentStep(jobId, run.step(), launch);
        x.jobs.markStarted(jobId, launch, run.totalSteps());
    }

    /**
     * Accrues the device time since the last accrual (and the steps done since) to the job's spend, in this
     * invocation's transaction; records the team's budget alert on this job when this accrual crossed it.
     */
    private Spend.Accrual accrue() {
        long now = System.nanoTime();
        double seconds = (now - accruedUntil) / 1e9;
        accruedUntil = now;
        int steps = unaccruedSteps;
        unaccruedSteps = 0;
        Spend.Accrual accrual = x.spend.accrue(jobId, job.teamId(), job.model(), deviceClass, seconds, steps);
        if (accrual.alert() != null) {
            var alert = accrual.alert();
            Map<String, Object> data = new LinkedHashMap<>();
            data.put("month", alert.month());
            data.put("team_spend", alert.spend());
            data.put("monthly_limit", alert.monthlyLimit());
            data.put("alert_threshold", alert.alertThreshold());
            data.put("currency", alert.currency());
            x.events.publish(jobId, "warning", "team_budget_alert", "Team " + job.teamId() + " has spent "
                    + plain(alert.spend()) + " " + alert.currency() + " of its monthly budget of "
                    + plain(alert.monthlyLimit()) + " " + alert.currency() + " for " + alert.month() + ", crossing its"
                    + " alert threshold of " + Math.round(alert.alertThreshold() * 100) + "%.", data);
        }
        return accrual;
    }

    /** The job's cumulative {@code cost/spend} and {@code cost/device_seconds} at {@code step}. */
    private void recordCost(int step, Spend.Accrual accrual) {
        Map<String, Double> cost = new LinkedHashMap<>();
        cost.put(MetricNames.COST_SPEND, accrual.spend().doubleValue());
        cost.put(MetricNames.COST_DEVICE_SECONDS, accrual.deviceSeconds());
        x.metrics.record(jobId, step, cost);
    }

    /** The {@code budget_exceeded} warning of a job about to pause for its (or its team's) budget. */
    private void budgetExceeded(int step, Spend.Accrual accrual) {
        boolean team = Spend.TEAM.equals(accrual.limit());
        pauseReason = team ? JobPaused.TEAM_BUDGET : JobPaused.BUDGET;
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("budget", accrual.limit());
        data.put("step", step);
        data.put("spend", accrual.spend());
        data.put("max_spend", accrual.maxSpend());
        data.put("currency", accrual.currency());
        String message = team
                ? "Team " + job.teamId() + " has reached its monthly budget; the job pauses at step " + step
                        + " with a checkpoint. An operator can raise it (PUT /v1/teams/" + job.teamId()
                        + "/budget), then resume the job."
                : "The job has spent " + plain(accrual.spend()) + " " + accrual.currency() + ", reaching its max_spend"
                        + " of " + plain(accrual.maxSpend()) + " " + accrual.currency() + "; it pauses at step " + step
                        + " with a checkpoint. Raise the budget (PUT /v1/jobs/" + jobId + "/budget), then resume.";
        x.events.publish(jobId, "warning", "budget_exceeded", message, data);
    }

    private static String plain(java.math.BigDecimal amount) {
        return amount == null ? "null" : amount.stripTrailingZeros().toPlainString();
    }

    private Map<String, Double> evaluate(int step) throws IOException {
        long start = System.nanoTime();
        Map<String, Double> values = run.evaluate();
        evalNanos += System.nanoTime() - start;
        x.metrics.record(jobId, step, values);
        Optional<byte[]> grid = run.evalSamplesPng();
        if (grid.isPresent()) {
            x.samples.put(jobId, step, grid.get());
        }
        lastEvalStep = step;
        x.events.info(jobId, "eval.completed", "Evaluated at step " + step + ".",
                Map.of("step", step, "metrics", values));
        if (monitor != null && step == 0) {
            monitor.observe(0, values);
        }
        return values;
    }

    /**
     * Records a hacking alarm as a {@code reward_hacking_suspected} warning event; true when the job
     * should pause ({@code on_hacking: pause}).
     */
    private boolean alarm(HackingMonitor.Alarm alarm) {
        x.events.publish(jobId, "warning", HackingMonitor.EVENT, alarm.message(), alarm.evidence());
        x.publisher.publishEvent(new RewardHackingSuspected(jobId, job.teamId(), run.step(), alarm.message(),
                alarm.evidence()));
        return monitorConfig.onHacking() == HackingMonitorConfig.Action.PAUSE;
    }

    /**
     * The job's hacking monitor, fed with the metrics recorded so far and quiet for a window after
     * its last alarm (so resuming a job it paused does not pause it again at once).
     */
    private void openMonitor() {
        if (job.rewardOptions() == null) {
            return;
        }
        java.util.List<Violation> violations = new java.util.ArrayList<>();
        RewardOptions options = RewardOptions.parse(x.json.readTree(job.rewardOptions()), "/reward_options", violations);
        if (!violations.isEmpty()) {
            throw new IllegalStateException("stored reward options of job " + jobId + " are invalid: " + violations);
        }
        monitorConfig = options.hackingMonitor();
        if (monitorConfig == null) {
            return;
        }
        // An alarm after the checkpoint we resume from was discarded with its steps: it does not count.
        int quietThrough = x.events.latest(jobId, HackingMonitor.EVENT)
                .map(e -> x.json.readTree(e.data()).path("step").asInt(0))
                .filter(step -> step <= lastCheckpointStep)
                .map(step -> step + monitorConfig.window()).orElse(-1);
        monitor = new HackingMonitor(monitorConfig, quietThrough);
        monitor.replay(x.metrics.series(jobId, java.util.List.of(MetricNames.TRAIN_REWARD_MEAN,
                MetricNames.EVAL_GOLD_MEAN, MetricNames.TRAIN_KL)));
    }

    private void checkpointIfNew() throws IOException {
        if (run.step() != lastCheckpointStep) {
            checkpoint(run.step());
        }
    }

    private String checkpoint(int step) throws IOException {
        String id = Ids.newId("ckpt_");
        Path dir = workDir.resolve("checkpoint-" + step);
        run.saveCheckpoint(dir);
        String prefix = Checkpoint.prefixOf(jobId, id);
        Artifacts.Uploaded uploaded = x.artifacts.upload(dir, prefix);
        Artifacts.deleteTree(dir);
        Map<String, Double> snapshot = x.metrics.at(jobId, step);
        x.checkpoints.insert(new Checkpoint(id, jobId, step, Instant.now(), x.json.writeValueAsString(snapshot), prefix,
                uploaded.bytes()));
        if (!producesOwnModel()) { // every checkpoint of an alignment job is also a model (models module)
            x.publisher.publishEvent(new CheckpointSaved(jobId, job.teamId(), job.model(), resultFamily(), job.suffix(),
                    id, step, prefix + CheckpointFiles.MODEL_DIR + "/"));
        }
        lastCheckpointStep = step;
        x.jobs.resetAttempts(jobId); // progress: the workers lost before it no longer count
        x.events.info(jobId, "checkpoint.saved", "Checkpoint " + id + " saved at step " + step + ".",
                Map.of("checkpoint", id, "step", step, "files", uploaded.files(), "size_bytes", uploaded.bytes()));
        x.retention.apply(job); // after the new checkpoint and its model are registered: it is the latest, kept
        return id;
    }

    /**
     * Final evaluation and checkpoint, model export and registration, all in the last step's transaction;
     * the job's row is updated only at the end.
     */
    private void finish() throws IOException {
        int step = run.step();
        if ((alignment != null || run.evalInterval() > 0) && lastEvalStep != step) {
            evaluate(step);
        }
        String checkpointId = step != lastCheckpointStep ? checkpoint(step)
                : x.checkpoints.latest(jobId).map(Checkpoint::id).orElseThrow();
        String modelId = producesOwnModel() ? job.model() : Ids.newId("model_");
        Path exportDir = workDir.resolve("export");
        run.exportModel(exportDir);
        String modelPrefix = x.models.objectPrefix(modelId);
        x.artifacts.upload(exportDir, modelPrefix);
        Artifacts.deleteTree(exportDir);
        boolean trained = unaccruedSteps > 0;
        Spend.Accrual accrual = accrue();
        if (trained) {
            recordCost(step, accrual);
        }
        x.spend.succeeded(jobId);
        List<JobSucceeded.Companion> companions = run.companions().stream()
                .map(c -> new JobSucceeded.Companion(c.suffix(), c.family(), c.subdir(), c.parameters())).toList();
        // The models module registers (or marks ready) the model and its companions in this transaction.
        x.publisher.publishEvent(new JobSucceeded(jobId, job.teamId(), job.model(), modelId, modelPrefix,
                alignment == null ? null : resultFamily(), job.suffix(), checkpointId, companions));
        x.jobs.setCurrentStep(jobId, step, launch);
        x.jobs.markSucceeded(jobId, modelId, launch);
        x.metrics.finished(jobId);
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("step", step);
        data.put("model", modelId);
        data.put("checkpoint", checkpointId);
        data.put("spend", accrual.spend());
        data.put("device_seconds", accrual.deviceSeconds());
        data.put("currency", accrual.currency());
        x.events.info(jobId, "job.succeeded", "Job succeeded after " + step + " steps; model " + modelId + " is ready.", data);
    }

    /** The family of an alignment job's models: {@link AlignmentMethod#produces()}. */
    private PolicyFamily resultFamily() {
        return alignment.produces();
    }

    /** Pretraining jobs produce the model they were created for; alignment jobs register a new one. */
    private boolean producesOwnModel() {
        return job.model().equals(job.resultModel());
    }

    /**
     * Applies the launch's outcome once its worker step has ended and been saved, so a job is never seen
     * {@code paused}, {@code cancelled} or {@code failed} while its step still runs. A launch whose job moved on
     * (fenced) changes nothing.
     */
    void settle(StepExecution execution) {
        try {
            if (execution.getStatus() == BatchStatus.FAILED || execution.getStatus() == BatchStatus.UNKNOWN) {
                fail.fail(jobId, launch, execution.getFailureExceptions().stream().findFirst()
                        .orElse(new IllegalStateException("step execution " + execution.getId() + " failed: "
                                + execution.getExitStatus().getExitDescription())));
            } else if (stoppedAs != null) {
                x.tx.executeWithoutResult(s -> applyStop());
            } else if (x.jobs.runsUnder(jobId, launch)) {
                fail.fail(jobId, launch, new IllegalStateException("training ended without an outcome (step status "
                        + execution.getStatus() + ")"));
            }
        } finally {
            close();
        }
    }

    private void applyStop() {
        if (stoppedAs == JobStatus.QUEUED) {
            // Stopped for a shutdown: honour a pause or cancel requested since the last control check.
            JobControl control = x.jobs.control(jobId);
            if (control == JobControl.CANCEL) {
                stoppedAs = JobStatus.CANCELLED;
            } else if (control == JobControl.PAUSE) {
                stoppedAs = JobStatus.PAUSED;
            }
        }
        if (!x.jobs.transitionLaunch(jobId, launch, stoppedAs)) {
            return;
        }
        Map<String, Object> data = new LinkedHashMap<>(Map.of("step", stoppedAtStep));
        x.spend.job(jobId).ifPresent(s -> {
            data.put("spend", s.spend());
            data.put("device_seconds", s.deviceSeconds());
            data.put("currency", x.spend.pricing().currency());
        });
        if (stoppedAs == JobStatus.PAUSED) {
            data.put("reason", pauseReason);
        }
        if (stoppedAs == JobStatus.CANCELLED) {
            x.metrics.finished(jobId);
            x.publisher.publishEvent(new JobCancelled(jobId, job.teamId(), job.model(), job.resultModel()));
            x.events.info(jobId, "job.cancelled", "Job cancelled at step " + stoppedAtStep + ".", data);
        } else if (stoppedAs == JobStatus.PAUSED) {
            x.publisher.publishEvent(new JobPaused(jobId, job.teamId(), job.model(), stoppedAtStep, pauseReason));
            x.events.info(jobId, "job.paused", "Job paused at step " + stoppedAtStep + (JobPaused.REQUESTED.equals(
                    pauseReason) ? "." : " (" + pauseReason + ")."), data);
        } else {
            x.events.info(jobId, "job.requeued", "The service is shutting down; the job will continue from step "
                    + stoppedAtStep + ".", data);
        }
    }

    void close() {
        try {
            if (run != null) {
                run.close();
                run = null;
            }
        } finally {
            Artifacts.deleteTree(workDir);
        }
    }
}
