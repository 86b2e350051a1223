package dev.tropism.jobs;

import dev.tropism.web.Ids;
import dev.tropism.workers.NodeRegistry;
import dev.tropism.workers.WorkerNode;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.ExitStatus;
import org.springframework.batch.core.job.Job;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.builder.JobBuilder;
import org.springframework.batch.core.job.parameters.JobParameters;
import org.springframework.batch.core.job.parameters.JobParametersBuilder;
import org.springframework.batch.core.listener.JobExecutionListener;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.integration.remote.RemoteStep;
import org.springframework.context.SmartLifecycle;
import org.springframework.integration.core.MessagingTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

/**
 * The persistent queue and its dispatcher. On nodes that dispatch ({@code tropism.role=all|api}) it polls, every
 * {@code tropism.jobs.poll-interval}:
 * <ol>
 *   <li>sweeps: nodes silent for longer than their {@code lost-after} are marked lost, and the jobs they were
 *       training go back to the queue (or fail, after {@code tropism.jobs.max-attempts} lost workers since their
 *       last checkpoint), to continue from their last checkpoint elsewhere;</li>
 *   <li>assigns queued jobs, oldest first, to live workers whose labels match the job's {@code resources} and that
 *       have a free slot (their {@code tropism.jobs.max-concurrent}); a job that cannot be placed records why in its
 *       {@code wait_reason}. Assignment runs under the database's dispatch lock with the queued rows locked
 *       {@code FOR UPDATE SKIP LOCKED}, so several API instances can share one database without filling a slot twice
 *       or launching a job twice;</li>
 *   <li>launches each assigned job as the Spring Batch job {@code training} whose manager step, a {@link RemoteStep},
 *       sends the step request to the chosen worker ({@link StepTransport}) and polls the shared job repository until
 *       the worker's {@code train} step ends. The worker settles the job's outcome itself.</li>
 * </ol>
 * On nodes that train ({@code all|worker}) it also starts and drains this node's {@link JobExecutor}.
 */
@Component
public class JobQueue implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(JobQueue.class);
    /** Queued jobs considered per dispatch. */
    private static final int DISPATCH_BATCH = 100;
    /** How long a manager waits for its worker to settle a launch whose step has ended. */
    private static final Duration SETTLE_GRACE = Duration.ofSeconds(30);

    private final JobStore jobs;
    private final JobEvents events;
    private final JobExecutor executor;
    private final JobsProperties properties;
    private final DispatchProperties dispatch;
    private final NodeRegistry registry;
    private final StepTransport transport;
    private final TransactionTemplate tx;
    private final JsonMapper json;
    private final DispatchMetrics metrics;
    private ScheduledExecutorService scheduler;
    private ExecutorService managers;
    private volatile boolean running;
    private volatile boolean started;
    /** Launches ({@code job/execution}) missing from their live worker's heartbeats, since when (nanoTime). */
    private final Map<String, Long> missingSince = new java.util.concurrent.ConcurrentHashMap<>();
    /** When the last sweep ran (nanoTime); 0 before the first. */
    private long lastSweep;
    /** No node is taken for lost before this time (nanoTime): the sweeps were interrupted. */
    private long graceUntil = System.nanoTime();
    /** No dispatch before this time (nanoTime): the transport failed. */
    private volatile long pausedUntil;

    public JobQueue(JobStore jobs, JobEvents events, JobExecutor executor, JobsProperties properties,
            DispatchProperties dispatch, NodeRegistry registry, StepTransport transport,
            PlatformTransactionManager transactionManager, JsonMapper json, DispatchMetrics metrics) {
        this.metrics = metrics;
        this.tx = new TransactionTemplate(transactionManager);
        this.json = json;
        this.jobs = jobs;
        this.events = events;
        this.executor = executor;
        this.properties = properties;
        this.dispatch = dispatch;
        this.registry = registry;
        this.transport = transport;
    }

    @Override
    public void start() {
        started = true;
        if (registry.role().trains()) {
            executor.start();
        }
        if (registry.role().dispatches()) {
            scheduler = Executors.newSingleThreadScheduledExecutor(daemon("job-queue"));
            managers = Executors.newCachedThreadPool(daemon("job-manager-"));
            running = true;
            log.info("dispatching jobs over the {} transport", transport.kind());
            scheduler.scheduleWithFixedDelay(this::dispatchSafely, 0, properties.pollInterval().toMillis(),
                    TimeUnit.MILLISECONDS);
        }
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
        if (System.nanoTime() - pausedUntil < 0) {
            return;
        }
        List<Assignment> assignments = tx.execute(s -> assign());
        for (Assignment a : assignments) {
            try {
                managers.execute(() -> launch(a));
            } catch (RejectedExecutionException e) {
                // Stopping: the job stays assigned to a live worker without a launch; give it back.
                requeue(a.jobId(), null, "The dispatcher stopped before launching the job.");
            }
        }
    }

    /** A queued job placed on a worker, to be launched. */
    private record Assignment(String jobId, String workerId, String workerName) {
    }

    /** Assigns queued jobs to matching live workers with free slots, in one transaction under the dispatch lock. */
    private List<Assignment> assign() {
        jobs.lockDispatch();
        List<JobRecord> queued = jobs.lockQueued(DISPATCH_BATCH);
        if (queued.isEmpty()) {
            return List.of();
        }
        List<WorkerNode> live = registry.liveWorkers().stream()
                // The local transport reaches this process only.
                .filter(w -> !transport.kind().equals("local") || w.id().equals(registry.nodeId())).toList();
        Map<String, Integer> used = jobs.runningPerWorker();
        Map<String, Integer> free = new HashMap<>();
        for (WorkerNode w : live) {
            free.put(w.id(), w.capacity() - used.getOrDefault(w.id(), 0));
        }
        List<Assignment> assigned = new ArrayList<>();
        for (JobRecord job : queued) {
            JobResources resources = JobResources.of(job.resources(), json);
            Optional<WorkerNode> worker = live.stream()
                    .filter(w -> free.get(w.id()) > 0 && resources.matches(w.labels()))
                    .max(Comparator.<WorkerNode>comparingInt(w -> free.get(w.id())).thenComparing(WorkerNode::id));
            if (worker.isEmpty()) {
                jobs.setWaitReason(job.id(), resources.waitReason(live, free));
                continue;
            }
            WorkerNode w = worker.get();
            if (jobs.assign(job.id(), w.id(), registry.nodeId())) {
                free.merge(w.id(), -1, Integer::sum);
                events.info(job.id(), "job.dispatched", "Dispatched to worker " + w.name() + ".",
                        Map.of("worker", w.id(), "worker_name", w.name(), "device", w.labels().device(),
                                "pool", w.labels().pool()));
                assigned.add(new Assignment(job.id(), w.id(), w.name()));
            }
        }
        return assigned;
    }

    /**
     * The manager of one launch: runs the batch job {@code training} whose {@link RemoteStep} sends the step request
     * to the worker and waits for its step to end, then checks that the worker settled the job.
     */
    private void launch(Assignment a) {
        RemoteStep step = new RemoteStep("dispatch", TrainingTasklet.STEP, executor.batchRepository,
                new MessagingTemplate(transport.channelTo(a.workerId())));
        step.setPollInterval(properties.pollInterval().toMillis());
        Job job = new JobBuilder("training", executor.batchRepository)
                .listener(new JobExecutionListener() {
                    @Override
                    public void beforeJob(JobExecution execution) {
                        // The fence: from now on only this launch may write to the job.
                        if (!jobs.bindLaunch(a.jobId(), a.workerId(), execution.getId())) {
                            throw new IllegalStateException("job " + a.jobId() + " moved on before its launch");
                        }
                    }
                })
                .start(step).build();
        JobParameters parameters = new JobParametersBuilder().addString("job_id", a.jobId())
                .addString("launch", Ids.newId("launch_")).addString("worker", a.workerId()).toJobParameters();
        JobExecution execution;
        try {
            execution = executor.jobOperator.start(job, parameters);
        } catch (Exception | LinkageError e) {
            log.warn("could not launch job {} on worker {}", a.jobId(), a.workerName(), e);
            dispatchFailed(a, null, e);
            return;
        }
        afterLaunch(a, execution);
    }

    /** Once the manager's batch job has ended: a failed send requeues the job; an unsettled launch is taken back. */
    private void afterLaunch(Assignment a, JobExecution execution) {
        long launch = execution.getId();
        StepExecution workerStep = workerStep(launch);
        if (workerStep == null && !jobs.runsUnder(a.jobId(), launch)) {
            return; // the job moved on (cancelled, or taken back) before its request was sent
        }
        if (workerStep == null || workerStep.getStatus() == BatchStatus.STARTING
                && execution.getStatus() != BatchStatus.COMPLETED) {
            // The request never reached the worker (the broker refused or did not confirm it).
            Throwable cause = execution.getAllFailureExceptions().stream().findFirst().orElse(null);
            markEnded(workerStep, "the step request was not delivered");
            dispatchFailed(a, launch, cause);
            return;
        }
        if (workerStep.getStatus().isRunning()) {
            // This manager stopped polling (a database blip) while the worker trains: the worker still settles the
            // job, and the sweep takes it back if the worker dies.
            log.warn("manager of job {} stopped before its worker step ended ({})", a.jobId(), execution.getStatus());
            return;
        }
        long deadline = System.nanoTime() + SETTLE_GRACE.toNanos();
        while (jobs.runsUnder(a.jobId(), launch) && System.nanoTime() < deadline && running) {
            sleep(properties.pollInterval());
        }
        if (jobs.runsUnder(a.jobId(), launch)) {
            requeueLost(jobs.require(a.jobId()), "Worker " + a.workerName() + " ended the launch without settling it"
                    + " (step " + workerStep.getStatus() + ").");
        }
    }

    private void dispatchFailed(Assignment a, Long launch, Throwable cause) {
        metrics.dispatchFailed();
        pausedUntil = System.nanoTime() + dispatch.retryAfter().toNanos();
        String reason = "Dispatch to worker " + a.workerName() + " failed ("
                + (cause == null ? "unknown error" : rootMessage(cause)) + "); retrying in "
                + dispatch.retryAfter().toSeconds() + " s.";
        if (requeue(a.jobId(), launch, reason)) {
            events.publish(a.jobId(), "warning", "job.dispatch_failed", reason, Map.of("worker", a.workerId()));
        }
    }

    /** Gives a running job back to the queue without counting an attempt (it never ran). */
    private boolean requeue(String jobId, Long launch, String reason) {
        return Boolean.TRUE.equals(tx.execute(s -> {
            JobRecord job = jobs.require(jobId);
            if (job.status() != JobStatus.RUNNING || launch != null && !launch.equals(job.batchJobExecutionId())) {
                return false;
            }
            JobStatus to = job.control() == JobControl.CANCEL ? JobStatus.CANCELLED
                    : job.control() == JobControl.PAUSE ? JobStatus.PAUSED : JobStatus.QUEUED;
            if (jobs.requeueLost(jobId, job.batchJobExecutionId(), to, to == JobStatus.QUEUED ? reason : null, 0) == null) {
                return false;
            }
            if (to == JobStatus.CANCELLED) {
                executor.publisher.publishEvent(new JobCancelled(jobId, job.teamId(), job.model(), job.resultModel()));
                events.info(jobId, "job.cancelled", "Job cancelled before it started training.", null);
            } else if (to == JobStatus.PAUSED) {
                executor.publisher.publishEvent(new JobPaused(jobId, job.teamId(), job.model(), job.currentStep(),
                        JobPaused.REQUESTED));
                events.info(jobId, "job.paused", "Job paused before it started training.", Map.of("step", job.currentStep()));
            }
            return true;
        }));
    }

    /**
     * Takes back every job left {@code running} on a node that is gone: marks silent nodes lost, then requeues their
     * jobs (or cancels, pauses or fails them, see {@link #requeueLost}).
     */
    public synchronized void recoverInterrupted() {
        long now = System.nanoTime();
        boolean blind = lastSweep != 0 && now - lastSweep > registry.properties().lostAfter().toNanos();
        lastSweep = now;
        if (blind) {
            // This dispatcher could not sweep for longer than a node may stay silent (the database was down): the
            // nodes could not heartbeat either. Give them one more lost-after to show they are alive.
            log.warn("no sweep for over {}: taking no node for lost until they have had time to heartbeat",
                    registry.properties().lostAfter());
            graceUntil = now + registry.properties().lostAfter().toNanos();
        }
        if (now - graceUntil < 0) {
            return;
        }
        registry.markLost();
        List<WorkerNode> nodes = registry.nodes(); // one read of the node table per sweep
        metrics.observe(NodeRegistry.trainers(nodes));
        Set<String> live = NodeRegistry.liveIds(nodes);
        Map<String, WorkerNode> byId = new HashMap<>();
        nodes.forEach(n -> byId.put(n.id(), n));
        Set<String> stillMissing = new java.util.HashSet<>();
        for (JobRecord job : jobs.running()) {
            if (job.workerId() != null && live.contains(job.workerId())) {
                WorkerNode worker = byId.get(job.workerId());
                if (orphaned(job, worker.runningJobs(), now, stillMissing)) {
                    requeueLost(job, "Worker " + worker.name() + " does not run"
                            + " the job's launch (its step request was lost, or the launch ended without settling the"
                            + " job).");
                }
                continue;
            }
            WorkerNode gone = job.workerId() == null ? null : byId.get(job.workerId());
            String node = job.workerId() == null ? "its worker"
                    : gone == null ? "worker " + job.workerId() : "worker " + gone.name() + " (" + gone.state() + ")";
            try {
                requeueLost(job, "Lost " + node + " at step " + job.currentStep() + ".");
            } catch (RuntimeException e) {
                log.error("could not recover job {} from {}; retrying at the next sweep", job.id(), node, e);
            }
        }
        missingSince.keySet().retainAll(stillMissing); // launches that ended or showed up are forgotten
    }

    /**
     * Whether a job that runs, per its row, on a live worker, has been missing from that worker's heartbeats for two
     * lost-after periods: its step request was lost (a broker that lost its data) or its launch ended without
     * settling it (the database was down when it tried). Remembers when each launch was first seen missing.
     */
    private boolean orphaned(JobRecord job, List<String> reportedJobs, long now, Set<String> stillMissing) {
        if (job.batchJobExecutionId() == null) {
            return false; // assigned, not launched yet
        }
        String key = job.id() + "/" + job.batchJobExecutionId();
        if (reportedJobs.contains(job.id())) {
            missingSince.remove(key);
            return false;
        }
        long since = missingSince.computeIfAbsent(key, k -> now);
        stillMissing.add(key);
        return now - since > 2 * registry.properties().lostAfter().toNanos();
    }

    /**
     * Takes back a running job whose launch is lost: it resumes from its last checkpoint ({@code queued}), or ends as
     * requested while it ran ({@code cancelled}, {@code paused}), or fails ({@code worker_lost}) when this is the
     * {@code tropism.jobs.max-attempts}-th lost launch since its last checkpoint. Its launch's batch execution is
     * marked failed.
     */
    private void requeueLost(JobRecord job, String what) {
        String id = job.id();
        boolean cancel = job.control() == JobControl.CANCEL;
        boolean pause = job.control() == JobControl.PAUSE;
        int attempt = job.attempts() + 1;
        boolean exhausted = !cancel && !pause && attempt >= properties.maxAttempts();
        JobStatus to = cancel ? JobStatus.CANCELLED : pause ? JobStatus.PAUSED : JobStatus.QUEUED;
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("step", job.currentStep());
        data.put("attempt", attempt);
        if (job.workerId() != null) {
            data.put("worker", job.workerId());
        }
        metrics.recovered();
        if (exhausted) {
            String message = what + " That is " + attempt + " lost launches since the job's last checkpoint"
                    + " (tropism.jobs.max-attempts=" + properties.maxAttempts() + "): the job fails rather than kill"
                    + " another worker. Its checkpoints and metrics are kept.";
            executor.fail(id, job.batchJobExecutionId(),
                    new WorkerLostException(message));
            endLaunch(job);
            return;
        }
        boolean moved = Boolean.TRUE.equals(tx.execute(s -> {
            if (jobs.requeueLost(id, job.batchJobExecutionId(), to, to == JobStatus.QUEUED ? what
                    + " Resuming from the last checkpoint." : null, 1) == null) {
                return false;
            }
            if (cancel) {
                executor.publisher.publishEvent(new JobCancelled(id, job.teamId(), job.model(), job.resultModel()));
            } else if (pause) {
                executor.publisher.publishEvent(new JobPaused(id, job.teamId(), job.model(), job.currentStep(),
                        JobPaused.REQUESTED));
            }
            events.publish(id, "warning", cancel ? "job.cancelled" : pause ? "job.paused" : "job.recovered",
                    cancel ? what + " The job was being cancelled; it is cancelled."
                            : pause ? what + " The job was being paused; it is paused and resumes from its last"
                                    + " checkpoint."
                            : what + " The job resumes from its last checkpoint on a live worker (attempt " + attempt
                                    + " of " + properties.maxAttempts() + ").",
                    data);
            return true;
        }));
        if (moved) {
            if (cancel) {
                executor.metrics.finished(id);
            }
            log.warn("recovered job {} at step {} as {}: {}", id, job.currentStep(), to.wire(), what);
            endLaunch(job);
        }
    }

    /**
     * Marks a lost launch's batch execution ended: only its worker step when its manager is alive (the manager then
     * ends its job execution itself), the whole job execution when the manager's node is gone too.
     */
    private void endLaunch(JobRecord job) {
        if (job.batchJobExecutionId() == null) {
            return;
        }
        try {
            JobExecution execution = executor.batchRepository.getJobExecution(job.batchJobExecutionId());
            if (execution == null || !execution.isRunning()) {
                return;
            }
            boolean managerAlive = job.dispatcherId() != null && registry.liveIds().contains(job.dispatcherId());
            if (managerAlive) {
                markEnded(workerStep(execution.getId()), "worker lost");
            } else {
                executor.jobOperator.recover(execution);
            }
        } catch (RuntimeException e) {
            log.warn("could not mark the batch execution {} of job {} failed", job.batchJobExecutionId(), job.id(), e);
        }
    }

    /** Marks a worker step that will never end by itself failed, so its manager's poll ends. */
    private void markEnded(StepExecution workerStep, String why) {
        if (workerStep == null || !workerStep.getStatus().isRunning()) {
            return;
        }
        workerStep.setStatus(BatchStatus.FAILED);
        workerStep.setExitStatus(ExitStatus.FAILED.addExitDescription(why));
        workerStep.setEndTime(LocalDateTime.now());
        executor.batchRepository.update(workerStep);
    }

    /** The worker step ({@code train}) of a launch, fresh from the repository. */
    private StepExecution workerStep(long launch) {
        JobExecution execution = executor.batchRepository.getJobExecution(launch);
        return execution == null ? null : execution.getStepExecutions().stream()
                .filter(s -> s.getStepName().equals(TrainingTasklet.STEP)).findFirst().orElse(null);
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void stop() {
        running = false;
        started = false;
        if (scheduler != null) {
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
        }
        if (registry.role().trains()) {
            executor.drain(Duration.ofSeconds(60));
        }
        if (managers != null) {
            // Managers of this node's own launches see their steps end within a poll; remote launches go on
            // without them (their workers settle the jobs).
            managers.shutdown();
            try {
                managers.awaitTermination(properties.pollInterval().toMillis() * 4 + 1000, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public boolean isRunning() {
        return started;
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
