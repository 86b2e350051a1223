package dev.tropism.evaluations;

import dev.tropism.storage.Db;
import dev.tropism.web.Ids;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import tools.jackson.databind.json.JsonMapper;

/** The {@code evaluation_events} log: what happened to an evaluation, in order. */
@Repository
class EvaluationEvents {

    private static final Logger log = LoggerFactory.getLogger(EvaluationEvents.class);

    /** One entry of an evaluation's event log; {@code data} is a JSON object (as text) or null. */
    record Event(String id, Instant createdAt, String level, String type, String message,
            @com.fasterxml.jackson.annotation.JsonRawValue String data) {
    }

    private final JdbcClient jdbc;
    private final JsonMapper json;

    EvaluationEvents(JdbcClient jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    void publish(String evaluationId, String level, String type, String message, Map<String, ?> data) {
        log.info("{} {} {}", evaluationId, type, message);
        jdbc.sql("INSERT INTO evaluation_events (id, evaluation_id, created_at, level, type, message, data)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?)")
                .params(Ids.newId("evt_"), evaluationId, Db.now(), level, type, message,
                        data == null ? null : json.writeValueAsString(data))
                .update();
    }

    void info(String evaluationId, String type, String message, Map<String, ?> data) {
        publish(evaluationId, "info", type, message, data);
    }

    /** Every event of the evaluation, oldest first (an evaluation has a handful). */
    List<Event> of(String evaluationId) {
        return jdbc.sql("SELECT id, created_at, level, type, message, data FROM evaluation_events"
                        + " WHERE evaluation_id = ? ORDER BY seq")
                .param(evaluationId)
                .query((rs, row) -> new Event(rs.getString("id"), Db.instant(rs, "created_at"), rs.getString("level"),
                        rs.getString("type"), rs.getString("message"), rs.getString("data")))
                .list();
    }
}
