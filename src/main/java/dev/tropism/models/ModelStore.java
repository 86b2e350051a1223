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
            + " object_prefix, parameters, created_at, size_bytes";

    private final JdbcClient jdbc;

    public ModelStore(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    public void insert(ModelRecord m) {
        jdbc.sql("INSERT INTO models (id, team_id, name, family, recipe, status, parent, job, checkpoint, object_prefix,"
                        + " parameters, created_at, size_bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
                .params(m.id(), m.teamId(), m.name(), m.family().wireName(), m.recipe(), m.status().wire(), m.parent(), m.job(),
                        m.checkpoint(), m.objectPrefix(), m.parameters(), Db.ts(m.createdAt()), m.sizeBytes())
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

    public void setSize(String id, long sizeBytes) {
        jdbc.sql("UPDATE models SET size_bytes = ? WHERE id = ?").params(sizeBytes, id).update();
    }

    /**
     * Bytes the team's models store: those that own their prefix ({@code models/<id>/}: uploaded, imported, pretrained
     * or a job's result, companions included), neither failed (their objects were removed) nor deleted. A checkpoint's
     * model is counted with its checkpoint.
     */
    public long storedBytes(String teamId) {
        return jdbc.sql("SELECT COALESCE(SUM(size_bytes), 0) FROM models WHERE team_id = ?"
                        + " AND object_prefix = CONCAT('models/', id, '/') AND status NOT IN ('failed', 'deleted')")
                .param(teamId).query(Long.class).single();
    }

    /** The models of checkpoint {@code checkpointId}, of its job's team (its own, result models, twins). */
    public List<ModelRecord> byCheckpoint(String checkpointId) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM models WHERE checkpoint = ? ORDER BY seq").param(checkpointId)
                .query(ModelStore::map).list();
    }

    /** Models (not deleted) trained from one of {@code parents}, oldest first. */
    public List<ModelRecord> children(List<String> parents) {
        if (parents.isEmpty()) {
            return List.of();
        }
        return jdbc.sql("SELECT " + COLUMNS + " FROM models WHERE parent IN (:parents) AND status <> 'deleted'"
                        + " ORDER BY seq").param("parents", parents).query(ModelStore::map).list();
    }

    /** Locks the rows of {@code ids} until the transaction ends (in id order, so two lockers cannot deadlock); the ids found. */
    public List<String> lock(List<String> ids) {
        if (ids.isEmpty()) {
            return List.of();
        }
        return jdbc.sql("SELECT id FROM models WHERE id IN (:ids) ORDER BY id FOR UPDATE").param("ids", ids)
                .query(String.class).list();
    }

    public void markDeleted(List<String> ids) {
        if (!ids.isEmpty()) {
            jdbc.sql("UPDATE models SET status = 'deleted' WHERE id IN (:ids)").param("ids", ids).update();
        }
    }

    private static ModelRecord map(ResultSet rs, int row) throws SQLException {
        return new ModelRecord(rs.getLong("seq"), rs.getString("id"), rs.getString("team_id"), rs.getString("name"),
                PolicyFamily.ofWire(rs.getString("family")), rs.getString("recipe"), ModelStatus.of(rs.getString("status")),
                rs.getString("parent"), rs.getString("job"), rs.getString("checkpoint"), rs.getString("object_prefix"),
                Db.nullableLong(rs, "parameters"), Db.instant(rs, "created_at"), Db.nullableLong(rs, "size_bytes"));
    }
}
