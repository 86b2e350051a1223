package dev.tropism.evaluations;

import dev.tropism.rewards.RewardAliases;
import dev.tropism.storage.Db;
import dev.tropism.web.ApiException;
import dev.tropism.web.PageParams;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * Rows of {@code evaluations}. Every change of a running evaluation is conditional on the instance that claimed it
 * ({@code claimed_by}), so an instance that lost its claim (its heartbeat went stale and another took over) cannot
 * write over the new run.
 */
@Repository
class EvaluationStore {

    private static final String COLUMNS = "seq, id, team_id, suite_id, candidate_ref, candidate_kind, candidate_id,"
            + " candidate_alias, baseline_ref, baseline_kind, baseline_id, baseline_alias, status, verdict,"
            + " failed_thresholds, phase, progress_done, progress_total, cancel_requested, claimed_by, heartbeat_at,"
            + " attempts, error_code, error_message, report, created_at, started_at, finished_at";

    private final JdbcClient jdbc;

    EvaluationStore(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * The oldest queued or running evaluation whose candidate or baseline is one of {@code modelIds}, as
     * {@code "evaluation <id> (queued) of <model> as its candidate|baseline"}.
     */
    Optional<String> usingModel(Collection<String> modelIds) {
        if (modelIds.isEmpty()) {
            return Optional.empty();
        }
        return jdbc.sql("SELECT id, status, candidate_id, baseline_id FROM evaluations WHERE status IN ('queued', 'running')"
                        + " AND (candidate_id IN (:ids) OR baseline_id IN (:ids)) ORDER BY seq LIMIT 1")
                .param("ids", modelIds)
                .query((rs, n) -> {
                    String candidate = rs.getString("candidate_id");
                    boolean asCandidate = modelIds.contains(candidate);
                    return "evaluation " + rs.getString("id") + " (" + rs.getString("status") + ") uses model "
                            + (asCandidate ? candidate : rs.getString("baseline_id")) + " as its "
                            + (asCandidate ? "candidate" : "baseline");
                })
                .optional();
    }

    void insert(Evaluation e) {
        RewardRefs.Ref c = e.candidate();
        RewardRefs.Ref b = e.baseline();
        jdbc.sql("INSERT INTO evaluations (id, team_id, suite_id, candidate_ref, candidate_kind, candidate_id,"
                        + " candidate_alias, baseline_ref, baseline_kind, baseline_id, baseline_alias, status, phase,"
                        + " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
                .params(e.id(), e.teamId(), e.suiteId(), c.ref(), c.kindWire(), c.id(), c.alias(),
                        b == null ? null : b.ref(), b == null ? null : b.kindWire(), b == null ? null : b.id(),
                        b == null ? null : b.alias(), e.status().wire(), e.phase(), Db.ts(e.createdAt()))
                .update();
    }

    Optional<Evaluation> find(String id) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM evaluations WHERE id = ?").param(id).query(EvaluationStore::map)
                .optional();
    }

    Evaluation require(String id) {
        return find(id).orElseThrow(() -> new IllegalStateException("evaluation " + id + " vanished"));
    }

    /** The team's evaluation; anything else is a 404. */
    Evaluation get(String teamId, String id) {
        return find(id).filter(e -> e.teamId().equals(teamId)).orElseThrow(() -> ApiException.notFound("evaluation", id));
    }

    /** Newest first, optionally of one suite and in one status; fetches {@link PageParams#fetchSize()} rows. */
    List<Evaluation> list(String teamId, String suiteId, EvaluationStatus status, PageParams page) {
        long beforeSeq = page.after() == null ? Long.MAX_VALUE : find(page.after()).filter(e -> e.teamId().equals(teamId))
                .map(Evaluation::seq).orElseThrow(page::unknownCursor);
        StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM evaluations WHERE team_id = ? AND seq < ?");
        List<Object> params = new ArrayList<>(List.of(teamId, beforeSeq));
        if (suiteId != null) {
            sql.append(" AND suite_id = ?");
            params.add(suiteId);
        }
        if (status != null) {
            sql.append(" AND status = ?");
            params.add(status.wire());
        }
        sql.append(" ORDER BY seq DESC LIMIT ?");
        params.add(page.fetchSize());
        return jdbc.sql(sql.toString()).params(params).query(EvaluationStore::map).list();
    }

    /**
     * The oldest queued evaluation, moved to {@code running} for {@code nodeId}; empty when none is queued. Rows another
     * instance is claiming are skipped, not waited for. Must run in a transaction.
     */
    Optional<Evaluation> claimNext(String nodeId) {
        Optional<String> id = jdbc.sql("SELECT id FROM evaluations WHERE status = 'queued' ORDER BY seq LIMIT 1"
                + " FOR UPDATE SKIP LOCKED").query(String.class).optional();
        if (id.isEmpty()) {
            return Optional.empty();
        }
        jdbc.sql("UPDATE evaluations SET status = 'running', claimed_by = ?, heartbeat_at = ?,"
                        + " started_at = COALESCE(started_at, ?), phase = 'starting' WHERE id = ? AND status = 'queued'")
                .params(nodeId, Db.now(), Db.now(), id.get()).update();
        return find(id.get());
    }

    /** Refreshes the claim; false when this node no longer holds it. */
    boolean heartbeat(String id, String nodeId) {
        return jdbc.sql("UPDATE evaluations SET heartbeat_at = ? WHERE id = ? AND status = 'running' AND claimed_by = ?")
                .params(Db.now(), id, nodeId).update() == 1;
    }

    /** Whether a cancel was asked for this running evaluation. */
    boolean cancelRequested(String id) {
        return jdbc.sql("SELECT cancel_requested FROM evaluations WHERE id = ?").param(id).query(Boolean.class)
                .optional().orElse(true);
    }

    /** Records progress (and refreshes the claim); false when this node no longer holds it. */
    boolean progress(String id, String nodeId, String phase, int done, int total) {
        return jdbc.sql("UPDATE evaluations SET phase = ?, progress_done = ?, progress_total = ?, heartbeat_at = ?"
                        + " WHERE id = ? AND status = 'running' AND claimed_by = ?")
                .params(phase, done, total, Db.now(), id, nodeId).update() == 1;
    }

    /**
     * running (held by {@code nodeId}, no cancel asked) → completed with its verdict and report; false when not held
     * or when a cancel was asked meanwhile (a cancel that was answered 200 always ends the evaluation cancelled).
     */
    boolean complete(String id, String nodeId, String verdict, String failedThresholds, String report) {
        return jdbc.sql("UPDATE evaluations SET status = 'completed', verdict = ?, failed_thresholds = ?, report = ?,"
                        + " phase = 'done', finished_at = ? WHERE id = ? AND status = 'running' AND claimed_by = ?"
                        + " AND cancel_requested = FALSE")
                .params(verdict, failedThresholds, report, Db.now(), id, nodeId).update() == 1;
    }

    /** running (held by {@code nodeId}) → failed or cancelled; false when not held. */
    boolean end(String id, String nodeId, EvaluationStatus status, String code, String message) {
        return jdbc.sql("UPDATE evaluations SET status = ?, error_code = ?, error_message = ?, finished_at = ?"
                        + " WHERE id = ? AND status = 'running' AND claimed_by = ?")
                .params(status.wire(), code, message, Db.now(), id, nodeId).update() == 1;
    }

    /** queued → cancelled; false when it was not queued. */
    boolean cancelQueued(String id) {
        return jdbc.sql("UPDATE evaluations SET status = 'cancelled', error_code = 'cancelled',"
                        + " error_message = 'cancelled before it started', finished_at = ? WHERE id = ? AND status = 'queued'")
                .params(Db.now(), id).update() == 1;
    }

    /** Asks a running evaluation to stop; false when it is not running. */
    boolean requestCancel(String id) {
        return jdbc.sql("UPDATE evaluations SET cancel_requested = TRUE WHERE id = ? AND status = 'running'").param(id)
                .update() == 1;
    }

    /** Running evaluations whose claim was last refreshed before {@code cutoff}. */
    List<Evaluation> stale(Instant cutoff) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM evaluations WHERE status = 'running' AND heartbeat_at < ?")
                .param(Db.ts(cutoff)).query(EvaluationStore::map).list();
    }

    /**
     * A running evaluation back to queued; false when someone else moved it.
     *
     * @param countAttempt whether this is a takeover from a dead instance (counted in {@code attempts}) rather than a
     *     clean shutdown's hand-back
     */
    boolean requeue(String id, String claimedBy, boolean countAttempt) {
        return jdbc.sql("UPDATE evaluations SET status = 'queued', claimed_by = NULL, phase = 'queued',"
                        + " progress_done = 0, progress_total = 0, attempts = attempts + " + (countAttempt ? 1 : 0)
                        + " WHERE id = ? AND status = 'running' AND claimed_by = ?")
                .params(id, claimedBy).update() == 1;
    }

    /**
     * The newest completed evaluation of {@code candidateId} on {@code suiteId} against the suite's own baseline
     * ({@code suiteBaseline}, null for none): one whose caller chose another baseline does not count for a gate.
     */
    Optional<Evaluation> newestCompleted(String teamId, String suiteId, String candidateId, String suiteBaseline) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM evaluations WHERE team_id = ? AND suite_id = ? AND candidate_id = ?"
                        + " AND status = 'completed' AND " + (suiteBaseline == null ? "baseline_ref IS NULL"
                                : "baseline_ref = ?") + " ORDER BY seq DESC LIMIT 1")
                .params(suiteBaseline == null ? new Object[] {teamId, suiteId, candidateId}
                        : new Object[] {teamId, suiteId, candidateId, suiteBaseline})
                .query(EvaluationStore::map).optional();
    }

    private static RewardRefs.Ref ref(ResultSet rs, String prefix) throws SQLException {
        String kind = rs.getString(prefix + "_kind");
        return kind == null ? null : new RewardRefs.Ref(rs.getString(prefix + "_ref"),
                RewardAliases.Kind.valueOf(kind.toUpperCase(java.util.Locale.ROOT)), rs.getString(prefix + "_id"),
                rs.getString(prefix + "_alias"));
    }

    private static Evaluation map(ResultSet rs, int row) throws SQLException {
        return new Evaluation(rs.getLong("seq"), rs.getString("id"), rs.getString("team_id"), rs.getString("suite_id"),
                ref(rs, "candidate"), ref(rs, "baseline"), EvaluationStatus.of(rs.getString("status")),
                rs.getString("verdict"), rs.getString("failed_thresholds"), rs.getString("phase"),
                rs.getInt("progress_done"), rs.getInt("progress_total"), rs.getBoolean("cancel_requested"),
                rs.getString("claimed_by"), Db.instant(rs, "heartbeat_at"), rs.getInt("attempts"),
                rs.getString("error_code"), rs.getString("error_message"), rs.getString("report"),
                Db.instant(rs, "created_at"), Db.instant(rs, "started_at"), Db.instant(rs, "finished_at"));
    }
}
