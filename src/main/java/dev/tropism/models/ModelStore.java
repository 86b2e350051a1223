package dev.tropism.models;

import dev.tropism.engine.PolicyFamily;
import dev.tropism.storage.Db;
import dev.tropism.web.ApiException;
import dev.tropism.web.PageParams;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** Rows of {@code models}. */
@Repository
public class ModelStore {

    private static final String COLUMNS = "seq, id, team_id, name, family, recipe, status, parent, job, checkpoint,"
            + " object_prefix, parameters, created_at";

    private final JdbcClient jdbc;

    public ModelStore(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    public void insert(ModelRecord m) {
        jdbc.sql("INSERT INTO models (id, team_id, name, family, recipe, status, parent, job, checkpoint, object_prefix,"
                        + " parameters, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
                .params(m.id(), m.teamId(), m.name(), m.family().wireName(), m.recipe(), m.status().wire(), m.parent(), m.job(),
                        m.checkpoint(), m.objectPrefix(), m.parameters(), Db.ts(m.createdAt()))
                .update();
    }

    public Optional<ModelRecord> find(String id) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM models WHERE id = ?").param(id).query(ModelStore::map).optional();
    }

    /** The team's model; a missing or other team's id is a 404. */
    public ModelRecord get(String teamId, String id) {
        return find(id).filter(m -> m.teamId().equals(teamId)).orElseThrow(() -> ApiException.notFound("model", id));
    }

    /**
     * The team's model exported from checkpoint {@code checkpointId} (the oldest, when both an aligned
     * model and its {@code @step} twin share the final checkpoint: they hold the same weights).
     */
    public Optional<ModelRecord> findByCheckpoint(String teamId, String checkpointId) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM models WHERE team_id = ? AND checkpoint = ? ORDER BY seq LIMIT 1")
                .params(teamId, checkpointId).query(ModelStore::map).optional();
    }

    /** Oldest first; fetches {@link PageParams#fetchSize()} rows. */
    public List<ModelRecord> list(String teamId, PageParams page) {
        long afterSeq = page.after() == null ? 0 : find(page.after()).filter(m -> m.teamId().equals(teamId))
                .map(ModelRecord::seq).orElseThrow(page::unknownCursor);
        return jdbc.sql("SELECT " + COLUMNS + " FROM models WHERE team_id = ? AND seq > ? ORDER BY seq LIMIT ?")
                .params(teamId, afterSeq, page.fetchSize()).query(ModelStore::map).list();
    }

    public void markReady(String id, String checkpointId) {
        jdbc.sql("UPDATE models SET status = 'ready', checkpoint = ? WHERE id = ?").params(checkpointId, id).update();
    }

    /** A model still being produced (trained or imported) becomes failed; a ready one stays ready. */
    public void markFailed(String id) {
        jdbc.sql("UPDATE models SET status = 'failed' WHERE id = ? AND status IN ('training', 'importing')").param(id)
                .update();
    }

    private static ModelRecord map(ResultSet rs, int row) throws SQLException {
        return new ModelRecord(rs.getLong("seq"), rs.getString("id"), rs.getString("team_id"), rs.getString("name"),
                PolicyFamily.ofWire(rs.getString("family")), rs.getString("recipe"), ModelStatus.of(rs.getString("status")),
                rs.getString("parent"), rs.getString("job"), rs.getString("checkpoint"), rs.getString("object_prefix"),
                Db.nullableLong(rs, "parameters"), Db.instant(rs, "created_at"));
    }
}
