package dev.tropism.jobs;

import dev.tropism.storage.Db;
import dev.tropism.web.ApiException;
import dev.tropism.web.PageParams;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** Rows of {@code jobs}. Every status change is a conditional update, so concurrent requests cannot race. */
@Repository
public class JobStore {

    private static final String COLUMNS = "seq, id, team_id, status, control, model, dataset, eval_dataset, reward_spec,"
            + " method, seed, suffix, metadata, error_code, error_message, result_model, current_step, total_steps,"
            + " created_at, started_at, finished_at, batch_job_execution_id, eval_reward_spec, reward_options, debug,"
            + " resources, worker_id, dispatcher_id, wait_reason, attempts, reward_spec_alias, eval_reward_spec_alias,"
            + " retention";

    private final JdbcClient jdbc;

    public JobStore(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    public void insert(JobRecord j) {
        jdbc.sql("INSERT INTO jobs (id, team_id, status, model, dataset, eval_dataset, reward_spec, method, seed, suffix,"
                        + " metadata, result_model, current_step, total_steps, created_at, eval_reward_spec, reward_options,"
                        + " debug, resources, reward_spec_alias, eval_reward_spec_alias, retention)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
                .params(j.id(), j.teamId(), j.status().wire(), j.model(), j.dataset(), j.evalDataset(), j.rewardSpec(),
                        j.method(), j.seed(), j.suffix(), j.metadata(), j.resultModel(), j.currentStep(),
                        j.totalSteps(), Db.ts(j.createdAt()), j.evalRewardSpec(), j.rewardOptions(),
                        j.debug(), j.resources(), j.rewardSpecAlias(), j.evalRewardSpecAlias(), j.retention())
                .update();
    }

    public Optional<JobRecord> find(String id) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM jobs WHERE id = ?").param(id).query(JobStore::map).optional();
    }

    public JobRecord require(String id) {
        return find(id).orElseThrow(() -> new IllegalStateException("job " + id + " vanished"));
    }

    /** The team's job; a missing or other team's id is a 404. */
    public JobRecord get(String teamId, String id) {
        return find(id).filter(j -> j.teamId().equals(teamId)).orElseThrow(() -> ApiException.notFound("job", id));
    }

    /** Oldest first, optionally of one status; fetches {@link PageParams#fetchSize()} rows. */
    public List<JobRecord> list(String teamId, JobStatus status, PageParams page) {
        long afterSeq = page.after() == null ? 0 : find(page.after()).filter(j -> j.teamId().equals(teamId))
                .map(JobRecord::seq).orElseThrow(page::unknownCursor);
        String filter = status == null ? "" : " AND status = '" + status.wire() + "'";
        return jdbc.sql("SELECT " + COLUMNS + " FROM jobs WHERE team_id = ? AND seq > ?" + filter
                        + " ORDER BY seq LIMIT ?")
                .params(teamId, afterSeq, page.fetchSize()).query(JobStore::map).list();
    }

    /** Ids of jobs in {@code status}, oldest first. */
    public List<String> idsIn(JobStatus status) {
        return jdbc.sql("SELECT id FROM jobs WHERE status = ? ORDER BY seq").param(status.wire()).query(String.class).list();
    }

    public int count(JobStatus status) {
        return jdbc.sql("SELECT COUNT(*) FROM jobs WHERE status = ?").param(status.wire()).query(Integer.class).single();
    }

    public boolean datasetInUse(String datasetId) {
        return jdbc.sql("SELECT COUNT(*) FROM jobs WHERE (dataset = ? OR eval_dataset = ?)"
                        + " AND status NOT IN ('succeeded', 'failed', 'cancelled')")
                .params(datasetId, datasetId).query(Integer.class).single() > 0;
    }

    /** A job (of any status) whose base {@code model} is one of {@code modelIds}, if any: it references their files. */
    Optional<String> trainingFrom(List<String> modelIds) {
        if (modelIds.isEmpty()) {
            return Optional.empty();
        }
        return jdbc.sql("SELECT id FROM jobs WHERE model IN (:models) ORDER BY seq LIMIT 1").param("models", modelIds)
                .query(String.class).optional();
    }

    /** The team's jobs in flight: validating, queued or running (what its concurrent-jobs quota counts). */
    long inFlight(String teamId) {
        return jdbc.sql("SELECT COUNT(*) FROM jobs WHERE team_id = ? AND status IN ('validating', 'queued', 'running')")
                .param(teamId).query(Long.class).single();
    }

    /** Moves the job from {@code from} to {@code to} (clearing any control request); false if it was not in {@code from}. */
    public boolean transition(String id, JobStatus from, JobStatus to) {
        String finished = to.terminal() ? ", finished_at = ?" : "";
        var spec = jdbc.sql("UPDATE jobs SET status = ?, control = NULL" + finished + " WHERE id = ? AND status = ?")
                .param(to.wire());
        if (to.terminal()) {
            spec = spec.param(Db.now());
        }
        return spec.param(id).param(from.wire()).update() == 1;
    }

    /**
     * Records a control request for a running job; false if it is not running, or if it is a pause
     * and a cancel is already pending (a cancel is never overwritten).
     */
    public boolean requestControl(String id, JobControl control) {
        String keepCancel = control == JobControl.CANCEL ? "" : " AND (control IS NULL OR control <> 'cancel')";
        return jdbc.sql("UPDATE jobs SET control = ? WHERE id = ? AND status = 'running'" + keepCancel)
                .params(control.wire(), id).update() == 1;
    }

    /**
     * The pending control request of a job, read at the start of each step of the launch {@code batchExecutionId};
     * throws {@link LaunchFencedException} if the job no longer runs under that launch, so that a launch that woke up
     * after its job moved on stops before it computes.
     */
    JobControl launchControl(String id, long batchExecutionId) {
        var row = jdbc.sql("SELECT control FROM jobs WHERE id = ? AND status = 'running' AND batch_job_execution_id = ?")
                .params(id, batchExecutionId).query((rs, n) -> java.util.Optional.ofNullable(rs.getString(1)))
                .optional();
        if (row.isEmpty()) {
            throw new LaunchFencedException(id, batchExecutionId);
        }
        return JobControl.of(row.get().orElse(null));
    }

    public JobControl control(String id) {
        return JobControl.of(jdbc.sql("SELECT control FROM jobs WHERE id = ?").param(id).query(String.class).optional()
                .orElse(null));
    }

    /** Records the launch's total steps and start time; fenced like {@link #setCurrentStep}. */
    void markStarted(String id, long batchExecutionId, int totalSteps) {
        fenced(id, batchExecutionId, jdbc.sql("UPDATE jobs SET total_steps = ?, started_at = COALESCE(started_at, ?)"
                        + " WHERE id = ? AND status = 'running' AND batch_job_execution_id = ?")
                .params(totalSteps, Db.now(), id, batchExecutionId).update());
    }

    /**
     * Records the step the launch {@code batchExecutionId} has reached. Fenced: if the job no longer runs under that
     * launch, throws {@link LaunchFencedException}, rolling back the step's transaction.
     */
    void setCurrentStep(String id, int step, long batchExecutionId) {
        fenced(id, batchExecutionId, jdbc.sql("UPDATE jobs SET current_step = ? WHERE id = ? AND status = 'running'"
                        + " AND batch_job_execution_id = ?")
                .params(step, id, batchExecutionId).update());
    }

    /** Marks the launch's job succeeded; fenced like {@link #setCurrentStep}. */
    void markSucceeded(String id, String resultModel, long batchExecutionId) {
        fenced(id, batchExecutionId, jdbc.sql("UPDATE jobs SET status = 'succeeded', control = NULL, result_model = ?,"
                        + " finished_at = ?, wait_reason = NULL WHERE id = ? AND status = 'running'"
                        + " AND batch_job_execution_id = ?")
                .params(resultModel, Db.now(), id, batchExecutionId).update());
    }

    /** Moves the launch's running job to {@code to}; false if the job no longer runs under that launch. */
    boolean transitionLaunch(String id, long batchExecutionId, JobStatus to) {
        String finished = to.terminal() ? ", finished_at = ?" : "";
        var spec = jdbc.sql("UPDATE jobs SET status = ?, control = NULL" + finished
                + " WHERE id = ? AND status = 'running' AND batch_job_execution_id = ?").param(to.wire());
        if (to.terminal()) {
            spec = spec.param(Db.now());
        }
        return spec.param(id).param(batchExecutionId).update() == 1;
    }

    /**
     * Fails a job that is not already terminal; false if it was. With a launch, only while the job still runs under
     * it (a fenced launch fails nothing).
     */
    public boolean markFailed(String id, String code, String message, Long batchExecutionId) {
        String launch = batchExecutionId == null ? "" : " AND status = 'running' AND batch_job_execution_id = ?";
        var spec = jdbc.sql("UPDATE jobs SET status = 'failed', control = NULL, error_code = ?, error_message = ?,"
                        + " finished_at = ? WHERE id = ? AND status NOT IN ('succeeded', 'failed', 'cancelled')" + launch)
                .params(code, message, Db.now(), id);
        if (batchExecutionId != null) {
            spec = spec.param(batchExecutionId);
        }
        return spec.update() == 1;
    }

    private static void fenced(String id, long batchExecutionId, int updated) {
        if (updated != 1) {
            throw new LaunchFencedException(id, batchExecutionId);
        }
    }

    /**
     * Takes the dispatch lock until the transaction ends: one dispatcher at a time assigns workers' slots, so two API
     * instances never fill the same slot twice. Must run in a transaction.
     */
    void lockDispatch() {
        jdbc.sql("SELECT id FROM dispatch_lock WHERE id = 1 FOR UPDATE").query(Integer.class).single();
    }

    /**
     * Queued jobs, oldest first, locked for this transaction; rows another transaction holds (a cancel in flight)
     * are skipped, not waited for.
     */
    List<JobRecord> lockQueued(int limit) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM jobs WHERE status = 'queued' ORDER BY seq LIMIT ?"
                        + " FOR UPDATE SKIP LOCKED")
                .param(limit).query(JobStore::map).list();
    }

    /** Running jobs per worker node id. */
    Map<String, Integer> runningPerWorker() {
        Map<String, Integer> counts = new HashMap<>();
        jdbc.sql("SELECT worker_id, COUNT(*) FROM jobs WHERE status = 'running' AND worker_id IS NOT NULL"
                        + " GROUP BY worker_id")
                .query((rs, row) -> counts.put(rs.getString(1), rs.getInt(2))).list();
        return counts;
    }

    /** Running jobs, oldest first. */
    List<JobRecord> running() {
        return jdbc.sql("SELECT " + COLUMNS + " FROM jobs WHERE status = 'running' ORDER BY seq")
                .query(JobStore::map).list();
    }

    /** Moves a queued job to {@code running} on {@code workerId}, launched by {@code dispatcherId}; false if it was not queued. */
    boolean assign(String id, String workerId, String dispatcherId) {
        return jdbc.sql("UPDATE jobs SET status = 'running', control = NULL, worker_id = ?, dispatcher_id = ?,"
                        + " wait_reason = NULL, batch_job_execution_id = NULL WHERE id = ? AND status = 'queued'")
                .params(workerId, dispatcherId, id).update() == 1;
    }

    /** Records why a queued job waits (written only when it changed). */
    void setWaitReason(String id, String reason) {
        jdbc.sql("UPDATE jobs SET wait_reason = ? WHERE id = ? AND status = 'queued'"
                        + " AND (wait_reason IS NULL OR wait_reason <> ?)")
                .params(reason, id, reason).update();
    }

    /**
     * Binds the batch execution of a launch to its job, which must still be running on {@code workerId}: the fence
     * every later write of that launch is checked against. False if the job moved on.
     */
    boolean bindLaunch(String id, String workerId, long batchExecutionId) {
        return jdbc.sql("UPDATE jobs SET batch_job_execution_id = ? WHERE id = ? AND status = 'running'"
                        + " AND worker_id = ?")
                .params(batchExecutionId, id, workerId).update() == 1;
    }

    /** Whether the job is running, on {@code workerId}, under the batch execution {@code batchExecutionId}. */
    boolean isLaunch(String id, String workerId, long batchExecutionId) {
        return jdbc.sql("SELECT COUNT(*) FROM jobs WHERE id = ? AND status = 'running' AND worker_id = ?"
                        + " AND batch_job_execution_id = ?")
                .params(id, workerId, batchExecutionId).query(Integer.class).single() == 1;
    }

    /** Whether the job is running under the batch execution {@code batchExecutionId}. */
    boolean runsUnder(String id, long batchExecutionId) {
        return jdbc.sql("SELECT COUNT(*) FROM jobs WHERE id = ? AND status = 'running' AND batch_job_execution_id = ?")
                .params(id, batchExecutionId).query(Integer.class).single() == 1;
    }

    /**
     * Moves a running job whose launch {@code batchExecutionId} was lost (or never started) to {@code to}, adding
     * {@code attempts} to its lost-launch count; null if it was not running under that launch.
     */
    JobStatus requeueLost(String id, Long batchExecutionId, JobStatus to, String waitReason, int attempts) {
        String launch = batchExecutionId == null ? "batch_job_execution_id IS NULL" : "batch_job_execution_id = ?";
        var spec = jdbc.sql("UPDATE jobs SET status = ?, control = NULL, attempts = attempts + " + attempts
                        + ", wait_reason = ?"
                        + (to.terminal() ? ", finished_at = ?" : "") + " WHERE id = ? AND status = 'running' AND "
                        + launch)
                .param(to.wire()).param(waitReason);
        if (to.terminal()) {
            spec = spec.param(Db.now());
        }
        spec = spec.param(id);
        if (batchExecutionId != null) {
            spec = spec.param(batchExecutionId);
        }
        return spec.update() == 1 ? to : null;
    }

    /** A new checkpoint is progress: the lost-worker attempts count again from zero. */
    void resetAttempts(String id) {
        jdbc.sql("UPDATE jobs SET attempts = 0 WHERE id = ? AND attempts <> 0").param(id).update();
    }

    private static JobRecord map(ResultSet rs, int row) throws SQLException {
        int total = rs.getInt("total_steps");
        Integer totalSteps = rs.wasNull() ? null : total;
        return new JobRecord(rs.getLong("seq"), rs.getString("id"), rs.getString("team_id"),
                JobStatus.of(rs.getString("status")), JobControl.of(rs.getString("control")), rs.getString("model"),
                rs.getString("dataset"), rs.getString("eval_dataset"), rs.getString("reward_spec"),
                rs.getString("method"), rs.getLong("seed"), rs.getString("suffix"), rs.getString("metadata"),
                rs.getString("error_code"), rs.getString("error_message"), rs.getString("result_model"),
                rs.getInt("current_step"), totalSteps, Db.instant(rs, "created_at"), Db.instant(rs, "started_at"),
                Db.instant(rs, "finished_at"), Db.nullableLong(rs, "batch_job_execution_id"),
                rs.getString("eval_reward_spec"), rs.getString("reward_options"), rs.getString("debug"),
                rs.getString("resources"), rs.getString("worker_id"), rs.getString("dispatcher_id"),
                rs.getString("wait_reason"), rs.getInt("attempts"), rs.getString("reward_spec_alias"),
                rs.getString("eval_reward_spec_alias"), rs.getString("retention"));
    }
}
