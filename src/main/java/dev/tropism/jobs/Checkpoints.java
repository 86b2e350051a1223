package dev.tropism.jobs;

import dev.tropism.storage.Db;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** Rows of {@code checkpoints}. */
@Repository
public class Checkpoints {

    private static final String COLUMNS = "id, job_id, step, created_at, metrics, object_prefix, size_bytes";

    private final JdbcClient jdbc;

    public Checkpoints(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    public void insert(Checkpoint c) {
        jdbc.sql("INSERT INTO checkpoints (id, job_id, step, created_at, metrics, object_prefix, size_bytes)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?)")
                .params(c.id(), c.jobId(), c.step(), Db.ts(c.createdAt()), c.metrics(), c.objectPrefix(), c.sizeBytes())
                .update();
    }

    public Optional<Checkpoint> latest(String jobId) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM checkpoints WHERE job_id = ? ORDER BY step DESC LIMIT 1")
                .param(jobId).query(Checkpoints::map).optional();
    }

    public List<Checkpoint> list(String jobId) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM checkpoints WHERE job_id = ? ORDER BY step").param(jobId)
                .query(Checkpoints::map).list();
    }

    /** Deletes one checkpoint's row; false when it was already gone. */
    boolean delete(String id) {
        return jdbc.sql("DELETE FROM checkpoints WHERE id = ?").param(id).update() == 1;
    }

    /** Bytes the checkpoints of the team's jobs store (those saved before sizes were recorded count 0). */
    long storedBytes(String teamId) {
        return jdbc.sql("SELECT COALESCE(SUM(c.size_bytes), 0) FROM checkpoints c JOIN jobs j ON j.id = c.job_id"
                + " WHERE j.team_id = ?").param(teamId).query(Long.class).single();
    }

    private static Checkpoint map(ResultSet rs, int row) throws SQLException {
        return new Checkpoint(rs.getString("id"), rs.getString("job_id"), rs.getInt("step"),
                Db.instant(rs, "created_at"), rs.getString("metrics"), rs.getString("object_prefix"),
                Db.nullableLong(rs, "size_bytes"));
    }
}
