package dev.tropism.dryruns;

import dev.tropism.engine.lm.DryRunConfig;
import dev.tropism.storage.Db;
import dev.tropism.web.ApiException;
import dev.tropism.web.PageParams;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** Rows of {@code dry_runs}. Status changes are conditional updates, so a late writer cannot undo a final state. */
@Repository
class DryRunStore {

    private static final String COLUMNS = "seq, id, team_id, reward_spec, model, dataset, samples_per_prompt,"
            + " prompt_limit, max_new_tokens, temperature, top_p, seed, status, error_code, error_message, report,"
            + " created_at, started_at, finished_at";
    private static final String UNFINISHED = "('queued', 'running')";

    private final JdbcClient jdbc;

    DryRunStore(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** The oldest queued or running dry-run on one of {@code modelIds}, as {@code "dry-run <id> (running) samples <model>"}. */
    Optional<String> usingModel(Collection<String> modelIds) {
        if (modelIds.isEmpty()) {
            return Optional.empty();
        }
        return jdbc.sql("SELECT id, status, model FROM dry_runs WHERE model IN (:ids) AND status IN " + UNFINISHED
                        + " ORDER BY seq LIMIT 1")
                .param("ids", modelIds)
                .query((rs, n) -> "dry-run " + rs.getString("id") + " (" + rs.getString("status") + ") samples model "
                        + rs.getString("model"))
                .optional();
    }

    void insert(DryRunRecord r) {
        DryRunConfig c = r.config();
        jdbc.sql("INSERT INTO dry_runs (id, team_id, reward_spec, model, dataset, samples_per_prompt, prompt_limit,"
                        + " max_new_tokens, temperature, top_p, seed, status, created_at)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
                .params(r.id(), r.teamId(), r.rewardSpec(), r.model(), r.dataset(), c.samplesPerPrompt(), c.limit(),
                        c.maxNewTokens(), c.temperature(), c.topP(), c.seed(), r.status().wire(), Db.ts(r.createdAt()))
                .update();
    }

    Optional<DryRunRecord> find(String id) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM dry_runs WHERE id = ?").param(id).query(DryRunStore::map).optional();
    }

    DryRunRecord require(String id) {
        return find(id).orElseThrow(() -> new IllegalStateException("dry-run " + id + " vanished"));
    }

    /** The team's dry-run of that spec; anything else is a 404. */
    DryRunRecord get(String teamId, String rewardSpec, String id) {
        return find(id).filter(r -> r.teamId().equals(teamId) && r.rewardSpec().equals(rewardSpec))
                .orElseThrow(() -> ApiException.notFound("dry-run", id));
    }

    /** Oldest first; fetches {@link PageParams#fetchSize()} rows. */
    List<DryRunRecord> list(String teamId, String rewardSpec, PageParams page) {
        long afterSeq = page.after() == null ? 0 : find(page.after())
                .filter(r -> r.teamId().equals(teamId) && r.rewardSpec().equals(rewardSpec))
                .map(DryRunRecord::seq).orElseThrow(page::unknownCursor);
        return jdbc.sql("SELECT " + COLUMNS + " FROM dry_runs WHERE team_id = ? AND reward_spec = ? AND seq > ?"
                        + " ORDER BY seq LIMIT ?")
                .params(teamId, rewardSpec, afterSeq, page.fetchSize()).query(DryRunStore::map).list();
    }

    /** queued → running; false if it was not queued. */
    boolean markRunning(String id) {
        return jdbc.sql("UPDATE dry_runs SET status = 'running', started_at = ? WHERE id = ? AND status = 'queued'")
                .params(Db.now(), id).update() == 1;
    }

    boolean markSucceeded(String id, String report) {
        return jdbc.sql("UPDATE dry_runs SET status = 'succeeded', report = ?, finished_at = ?"
                        + " WHERE id = ? AND status = 'running'")
                .params(report, Db.now(), id).update() == 1;
    }

    /** Fails a dry-run that is not finished; false if it was. */
    boolean markFailed(String id, String code, String message) {
        return jdbc.sql("UPDATE dry_runs SET status = 'failed', error_code = ?, error_message = ?, finished_at = ?"
                        + " WHERE id = ? AND status IN " + UNFINISHED)
                .params(code, message, Db.now(), id).update() == 1;
    }

    /** Fails every dry-run left queued or running (by a process that is gone); returns how many. */
    int failUnfinished(String code, String message) {
        return jdbc.sql("UPDATE dry_runs SET status = 'failed', error_code = ?, error_message = ?, finished_at = ?"
                        + " WHERE status IN " + UNFINISHED)
                .params(code, message, Db.now()).update();
    }

    boolean datasetInUse(String datasetId) {
        return jdbc.sql("SELECT COUNT(*) FROM dry_runs WHERE dataset = ? AND status IN " + UNFINISHED)
                .param(datasetId).query(Integer.class).single() > 0;
    }

    private static DryRunRecord map(ResultSet rs, int row) throws SQLException {
        DryRunConfig config = new DryRunConfig(rs.getInt("samples_per_prompt"), rs.getInt("prompt_limit"),
                rs.getInt("max_new_tokens"), rs.getDouble("temperature"), rs.getDouble("top_p"), rs.getLong("seed"));
        return new DryRunRecord(rs.getLong("seq"), rs.getString("id"), rs.getString("team_id"),
                rs.getString("reward_spec"), rs.getString("model"), rs.getString("dataset"), config,
                DryRunStatus.of(rs.getString("status")), rs.getString("error_code"), rs.getString("error_message"),
                rs.getString("report"), Db.instant(rs, "created_at"), Db.instant(rs, "started_at"),
                Db.instant(rs, "finished_at"));
    }
}
