package dev.tropism.audit;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/** Rows of {@code audit_events}: appended, never changed (PostgreSQL refuses it, see V16_1). */
@Repository
class AuditStore {

    /** A row to append. */
    record Append(Instant at, String teamId, String keyId, String method, String path, String resourceType,
            String resourceId, Integer status, AuditOutcome outcome, String remoteAddr, String action,
            Map<String, Object> detail) {
    }

    /**
     * A page of rows, newest first.
     *
     * @param teamId only this team's rows; null for every team's (and the rows of no team)
     * @param after only rows older than this row id; null for the newest
     */
    record Query(String teamId, String resourceId, Instant from, Instant to, String action, int fetchSize, Long after) {
    }

    private static final TypeReference<Map<String, Object>> DETAIL = new TypeReference<>() {
    };

    private final JdbcClient jdbc;
    private final JsonMapper json;

    AuditStore(JdbcClient jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    void append(Append e) {
        jdbc.sql("INSERT INTO audit_events (at, team_id, key_id, method, path, resource_type, resource_id, status,"
                        + " outcome, remote_addr, action, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
                .params(Timestamp.from(e.at()), e.teamId(), e.keyId(), e.method(), cut(e.path(), 2048),
                        e.resourceType(), cut(e.resourceId(), 201), e.status(), e.outcome().wire(),
                        cut(e.remoteAddr(), 64), cut(e.action(), 300),
                        e.detail() == null || e.detail().isEmpty() ? null : json.writeValueAsString(e.detail()))
                .update();
    }

    List<AuditEvent> find(Query q) {
        StringBuilder sql = new StringBuilder("SELECT id, at, team_id, key_id, method, path, resource_type, resource_id,"
                + " status, outcome, remote_addr, action, detail FROM audit_events WHERE 1 = 1");
        List<Object> params = new ArrayList<>();
        condition(sql, params, " AND team_id = ?", q.teamId());
        condition(sql, params, " AND resource_id = ?", q.resourceId());
        condition(sql, params, " AND at >= ?", q.from() == null ? null : Timestamp.from(q.from()));
        condition(sql, params, " AND at < ?", q.to() == null ? null : Timestamp.from(q.to()));
        condition(sql, params, " AND action = ?", q.action());
        condition(sql, params, " AND id < ?", q.after());
        sql.append(" ORDER BY id DESC LIMIT ").append(q.fetchSize());
        return jdbc.sql(sql.toString()).params(params).query((rs, i) -> {
            Integer status = rs.getObject("status", Integer.class);
            String detail = rs.getString("detail");
            return new AuditEvent(rs.getLong("id"), rs.getTimestamp("at").toInstant(), rs.getString("team_id"),
                    rs.getString("key_id"), rs.getString("method"), rs.getString("path"), rs.getString("resource_type"),
                    rs.getString("resource_id"), status, rs.getString("outcome"),
                    rs.getString("remote_addr"), rs.getString("action"),
                    detail == null ? null : json.readValue(detail, DETAIL));
        }).list();
    }

    private static void condition(StringBuilder sql, List<Object> params, String clause, Object value) {
        if (value != null) {
            sql.append(clause);
            params.add(value);
        }
    }

    private static String cut(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max);
    }
}
