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

    private static final String COLUMNS = "id, job_id, step, created_at, metrics, object_prefix";

    private final JdbcClient jdbc;

    public Checkpoints(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    public void insert(Checkpoint c) {
        jdbc.sql("INSERT INTO checkpoints (id, job_id, step, created_at, metrics, object_prefix) VALUES (?, ?, ?, ?, ?, ?)")
                .params(c.id(), c.jobId(), c.step(), Db.ts(c.createdAt()), c.metrics(), c.objectPrefix()).update();
    }

    public Optional<Checkpoint> latest(String jobId) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM checkpoints WHERE job_id = ? ORDER BY step DESC LIMIT 1")
                .param(jobId).query(Checkpoints::map).optional();
    }

    public List<Checkpoint> list(String jobId) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM checkpoints WHERE job_id = ? ORDER BY step").param(jobId)
                .query(Checkpoints::map).list();
    }

    private static Checkpoint map(ResultSet rs, int row) throws SQLException {
        return new Checkpoint(rs.getString("id"), rs.getString("job_id"), rs.getInt("step"),
                Db.instant(rs, "created_at"), rs.getString("metrics"), rs.getString("object_prefix"));
    }
}
