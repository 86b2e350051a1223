package dev.tropism.jobs;

import dev.tropism.storage.Db;
import dev.tropism.web.Ids;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import tools.jackson.databind.json.JsonMapper;

/** The {@code job_events} log: what happened to a job, in order. */
@Repository
public class JobEvents {

    private static final Logger log = LoggerFactory.getLogger(JobEvents.class);

    private final JdbcClient jdbc;
    private final JsonMapper json;

    public JobEvents(JdbcClient jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    public void info(String jobId, String type, String message, Map<String, ?> data) {
        publish(jobId, "info", type, message, data);
    }

    public void publish(String jobId, String level, String type, String message, Map<String, ?> data) {
        log.info("{} {} {}", jobId, type, message);
        jdbc.sql("INSERT INTO job_events (id, job_id, created_at, level, type, message, data) VALUES (?, ?, ?, ?, ?, ?, ?)")
                .params(Ids.newId("evt_"), jobId, Db.now(), level, type, message,
                        data == null ? null : json.writeValueAsString(data))
                .update();
    }

    /** Events after {@code afterSeq} (0 for all), oldest first, at most {@code limit}. */
    public List<JobEvent> after(String jobId, long afterSeq, int limit) {
        return jdbc.sql("SELECT seq, id, job_id, created_at, level, type, message, data FROM job_events"
                        + " WHERE job_id = ? AND seq > ? ORDER BY seq LIMIT ?")
                .params(jobId, afterSeq, limit).query(JobEvents::map).list();
    }

    /** The newest event of {@code type} of this job, if any. */
    public java.util.Optional<JobEvent> latest(String jobId, String type) {
        return jdbc.sql("SELECT seq, id, job_id, created_at, level, type, message, data FROM job_events"
                        + " WHERE job_id = ? AND type = ? ORDER BY seq DESC LIMIT 1")
                .params(jobId, type).query(JobEvents::map).optional();
    }

    /** The sequence number of an event id of this job, for paging. */
    public java.util.Optional<Long> seqOf(String jobId, String eventId) {
        return jdbc.sql("SELECT seq FROM job_events WHERE job_id = ? AND id = ?").params(jobId, eventId)
                .query(Long.class).optional();
    }

    private static JobEvent map(ResultSet rs, int row) throws SQLException {
        return new JobEvent(rs.getLong("seq"), rs.getString("id"), rs.getString("job_id"), Db.instant(rs, "created_at"),
                rs.getString("level"), rs.getString("type"), rs.getString("message"), rs.getString("data"));
    }
}
