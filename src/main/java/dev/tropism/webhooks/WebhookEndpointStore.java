package dev.tropism.webhooks;

import dev.tropism.storage.Db;
import dev.tropism.web.ApiException;
import dev.tropism.web.PageParams;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/** Rows of {@code webhook_endpoints}. */
@Repository
class WebhookEndpointStore {

    private static final String COLUMNS = "seq, id, team_id, url, events, description, enabled, secret, previous_secret,"
            + " previous_secret_until, created_at, updated_at";
    private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {
    };

    private final JdbcClient jdbc;
    private final JsonMapper json;

    WebhookEndpointStore(JdbcClient jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    void insert(WebhookEndpoint e) {
        jdbc.sql("INSERT INTO webhook_endpoints (id, team_id, url, events, description, enabled, secret, created_at,"
                        + " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
                .params(e.id(), e.teamId(), e.url(), json.writeValueAsString(e.events()), e.description(), e.enabled(),
                        e.secret(), Db.ts(e.createdAt()), Db.ts(e.updatedAt()))
                .update();
    }

    Optional<WebhookEndpoint> find(String id) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM webhook_endpoints WHERE id = ?").param(id).query(this::map)
                .optional();
    }

    /**
     * The team's endpoint, its row locked until the transaction ends (so that two PATCHes cannot undo each other);
     * another team's or a missing one is a 404. Must run in a transaction.
     */
    WebhookEndpoint getForUpdate(String teamId, String id) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM webhook_endpoints WHERE id = ? FOR UPDATE").param(id)
                .query(this::map).optional().filter(e -> e.teamId().equals(teamId))
                .orElseThrow(() -> ApiException.notFound("webhook endpoint", id));
    }

    /** The team's endpoint; another team's or a missing one is a 404. */
    WebhookEndpoint get(String teamId, String id) {
        return find(id).filter(e -> e.teamId().equals(teamId))
                .orElseThrow(() -> ApiException.notFound("webhook endpoint", id));
    }

    /** Oldest first; fetches {@link PageParams#fetchSize()} rows. */
    List<WebhookEndpoint> list(String teamId, PageParams page) {
        long afterSeq = page.after() == null ? 0 : find(page.after()).filter(e -> e.teamId().equals(teamId))
                .map(WebhookEndpoint::seq).orElseThrow(page::unknownCursor);
        return jdbc.sql("SELECT " + COLUMNS + " FROM webhook_endpoints WHERE team_id = ? AND seq > ? ORDER BY seq LIMIT ?")
                .params(teamId, afterSeq, page.fetchSize()).query(this::map).list();
    }

    /** The team's enabled endpoints: those an event of the team may be delivered to. */
    List<WebhookEndpoint> enabled(String teamId) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM webhook_endpoints WHERE team_id = ? AND enabled = TRUE ORDER BY seq")
                .param(teamId).query(this::map).list();
    }

    void update(WebhookEndpoint e) {
        jdbc.sql("UPDATE webhook_endpoints SET url = ?, events = ?, description = ?, enabled = ?, updated_at = ?"
                        + " WHERE id = ?")
                .params(e.url(), json.writeValueAsString(e.events()), e.description(), e.enabled(),
                        Db.ts(e.updatedAt()), e.id())
                .update();
    }

    /** A new current secret; the current one becomes the previous one until {@code graceUntil}. */
    void rotate(String id, String sealedSecret, Instant graceUntil, Instant now) {
        jdbc.sql("UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_until = ?, secret = ?,"
                        + " updated_at = ? WHERE id = ?")
                .params(Db.ts(graceUntil), sealedSecret, Db.ts(now), id)
                .update();
    }

    /** Deletes the endpoint and, by cascade, its deliveries and their attempts. */
    boolean delete(String id) {
        return jdbc.sql("DELETE FROM webhook_endpoints WHERE id = ?").param(id).update() == 1;
    }

    private WebhookEndpoint map(ResultSet rs, int row) throws SQLException {
        return new WebhookEndpoint(rs.getLong("seq"), rs.getString("id"), rs.getString("team_id"), rs.getString("url"),
                json.readValue(rs.getString("events"), STRINGS), rs.getString("description"), rs.getBoolean("enabled"),
                rs.getString("secret"), rs.getString("previous_secret"), Db.instant(rs, "previous_secret_until"),
                Db.instant(rs, "created_at"), Db.instant(rs, "updated_at"));
    }
}
