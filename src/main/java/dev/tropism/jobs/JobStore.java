package dev.tropism.jobs;

import dev.tropism.storage.Db;
import dev.tropism.web.ApiException;
import dev.tropism.web.PageParams;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** Rows of {@code jobs}. Every status change is a conditional update, so concurrent requests cannot race. */
@Repository
public class JobStore {

    private static final String COLUMNS = "seq, id, team_id, status, control, model, dataset, eval_dataset, reward_spec,"
            + " method, seed, suffix, metadata, error_code, error_message, result_model, current_step, total_steps,"
            + " created_at, started_at, finished_at, batch_job_execution_id, eval_reward_spec, reward_options, debug";

    private final JdbcClient jdbc;

    public JobStore(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    public void insert(JobRecord j) {
        jdbc.sql("INSERT INTO jobs (id, team_id, status, model, dataset, eval_dataset, reward_spec, method, seed, suffix,"
                        + " metadata, result_model, current_step, total_steps, created_at, eval_reward_spec, reward_options,"
                        + " debug) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
                .params(j.id(), j.teamId(), j.status().wire(), j.model(), j.dataset(), j.evalDataset(), j.rewardSpec(),
                        j.method(), j.seed(), j.suffix(), j.metadata(), j.resultModel(), j.currentStep(),
                        j.totalSteps(), Db.ts(j.createdAt()), j.evalRewardSpec(), j.rewardOptions(),
                        j.debug())
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

    public JobControl control(String id) {
        return JobControl.of(jdbc.sql("SELECT control FROM jobs WHERE id = ?").param(id).query(String.class).optional()
                .orElse(null));
    }

    public void markStarted(String id, long batchExecutionId, int totalSteps) {
        jdbc.sql("UPDATE jobs SET batch_job_execution_id = ?, total_steps = ?,"
                        + " started_at = COALESCE(started_at, ?) WHERE id = ?")
                .params(batchExecutionId, totalSteps, Db.now(), id).update();
    }

    public void setCurrentStep(String id, int step) {
        jdbc.sql("UPDATE jobs SET current_step = ? WHERE id = ?").params(step, id).update();
    }

    public void markSucceeded(String id, String resultModel) {
        jdbc.sql("UPDATE jobs SET status = 'succeeded', control = NULL, result_model = ?, finished_at = ?"
                        + " WHERE id = ? AND status = 'running'")
                .params(resultModel, Db.now(), id).update();
    }

    /** Fails a job that is not already terminal; false if it was. */
    public boolean markFailed(String id, String code, String message) {
        return jdbc.sql("UPDATE jobs SET status = 'failed', control = NULL, error_code = ?, error_message = ?,"
                        + " finished_at = ? WHERE id = ? AND status NOT IN ('succeeded', 'failed', 'cancelled')")
                .params(code, message, Db.now(), id).update() == 1;
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
                rs.getString("eval_reward_spec"), rs.getString("reward_options"), rs.getString("debug"));
    }
}
