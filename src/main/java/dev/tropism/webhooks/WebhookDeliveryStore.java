package dev.tropism.webhooks;

import dev.tropism.storage.Db;
import dev.tropism.web.ApiException;
import dev.tropism.web.Ids;
import dev.tropism.web.PageParams;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * Rows of {@code webhook_deliveries} (the outbox) and {@code webhook_attempts}. Every change of a claimed row is
 * conditional on the claim, so a node whose lease lapsed cannot overwrite what the node that took over recorded.
 */
@Repository
class WebhookDeliveryStore {

    private static final String COLUMNS = "seq, id, endpoint_id, team_id, event_type, payload, status, attempts,"
            + " next_attempt_at, give_up_at, claimed_by, last_attempt_at, last_status_code, last_error, last_response_ms,"
            + " delivered_at, created_at";

    private final JdbcClient jdbc;

    WebhookDeliveryStore(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** A new pending delivery, due now; returns its id ({@code msg_…}, the {@code webhook-id}). */
    String insert(WebhookEndpoint endpoint, WebhookEventType type, String payload, Instant now, Instant giveUpAt) {
        String id = Ids.newId("msg_");
        jdbc.sql("INSERT INTO webhook_deliveries (id, endpoint_id, team_id, event_type, payload, status, attempts,"
                        + " next_attempt_at, give_up_at, created_at) VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)")
                .params(id, endpoint.id(), endpoint.teamId(), type.wire(), payload, Db.ts(now), Db.ts(giveUpAt),
                        Db.ts(now))
                .update();
        return id;
    }

    Optional<WebhookDelivery> find(String id) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM webhook_deliveries WHERE id = ?").param(id)
                .query(WebhookDeliveryStore::map).optional();
    }

    /** The endpoint's delivery; anything else is a 404. */
    WebhookDelivery get(String endpointId, String id) {
        return find(id).filter(d -> d.endpointId().equals(endpointId))
                .orElseThrow(() -> ApiException.notFound("webhook delivery", id));
    }

    /** The endpoint's deliveries, oldest first, optionally of one status; fetches {@link PageParams#fetchSize()}. */
    List<WebhookDelivery> list(String endpointId, WebhookDelivery.Status status, PageParams page) {
        long afterSeq = page.after() == null ? 0 : find(page.after()).filter(d -> d.endpointId().equals(endpointId))
                .map(WebhookDelivery::seq).orElseThrow(page::unknownCursor);
        String where = status == null ? "" : " AND status = '" + status.wire() + "'";
        return jdbc.sql("SELECT " + COLUMNS + " FROM webhook_deliveries WHERE endpoint_id = ? AND seq > ?" + where
                        + " ORDER BY seq LIMIT ?")
                .params(endpointId, afterSeq, page.fetchSize()).query(WebhookDeliveryStore::map).list();
    }

    /** The attempts of these deliveries, oldest first, by delivery id. */
    Map<String, List<WebhookDelivery.Attempt>> attempts(Collection<String> deliveryIds) {
        Map<String, List<WebhookDelivery.Attempt>> out = new LinkedHashMap<>();
        if (deliveryIds.isEmpty()) {
            return out;
        }
        String marks = String.join(", ", java.util.Collections.nCopies(deliveryIds.size(), "?"));
        jdbc.sql("SELECT delivery_id, attempt, attempted_at, status_code, error, response_ms, delivered"
                        + " FROM webhook_attempts WHERE delivery_id IN (" + marks + ") ORDER BY seq")
                .params(new ArrayList<Object>(deliveryIds))
                .query((rs, n) -> {
                    Integer code = rs.getObject("status_code") == null ? null : rs.getInt("status_code");
                    out.computeIfAbsent(rs.getString("delivery_id"), k -> new ArrayList<>()).add(
                            new WebhookDelivery.Attempt(rs.getInt("attempt"), Db.instant(rs, "attempted_at"), code,
                                    rs.getString("error"), rs.getLong("response_ms"), rs.getBoolean("delivered")));
                    return null;
                }).list();
        return out;
    }

    /**
     * Claims up to {@code limit} due pending deliveries for {@code node}, oldest due first: locks them
     * {@code FOR UPDATE SKIP LOCKED} (rows another node is claiming are skipped, not waited for) and moves their
     * {@code next_attempt_at} to {@code leaseUntil}, so that no other node takes them until the lease lapses. Call in
     * a transaction; the claim holds once it commits.
     */
    List<WebhookDelivery> claimDue(String node, Instant now, Instant leaseUntil, int limit) {
        List<String> ids = jdbc.sql("SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ?"
                        + " ORDER BY next_attempt_at LIMIT ? FOR UPDATE SKIP LOCKED")
                .params(Db.ts(now), limit).query(String.class).list();
        List<WebhookDelivery> claimed = new ArrayList<>();
        for (String id : ids) {
            jdbc.sql("UPDATE webhook_deliveries SET claimed_by = ?, next_attempt_at = ? WHERE id = ?")
                    .params(node, Db.ts(leaseUntil), id).update();
            find(id).ifPresent(claimed::add);
        }
        return claimed;
    }

    /**
     * Records an attempt of a delivery claimed by {@code node}: the attempt row, and the delivery's new state
     * ({@code status}, due again at {@code nextAttemptAt} when still pending). False, recording nothing, when the
     * claim is no longer this node's (its lease lapsed and another node took the delivery, or it was deleted).
     */
    boolean recordAttempt(WebhookDelivery d, String node, WebhookDelivery.Attempt attempt,
            WebhookDelivery.Status status, Instant nextAttemptAt) {
        int updated = jdbc.sql("UPDATE webhook_deliveries SET attempts = attempts + 1, status = ?, next_attempt_at = ?,"
                        + " claimed_by = NULL, last_attempt_at = ?, last_status_code = ?, last_error = ?,"
                        + " last_response_ms = ?, delivered_at = ? WHERE id = ? AND claimed_by = ? AND status = 'pending'")
                .params(status.wire(), Db.ts(nextAttemptAt), Db.ts(attempt.attemptedAt()), attempt.statusCode(),
                        attempt.error(), attempt.responseMs(), attempt.delivered() ? Db.ts(attempt.attemptedAt()) : null,
                        d.id(), node)
                .update();
        if (updated == 0) {
            return false;
        }
        jdbc.sql("INSERT INTO webhook_attempts (delivery_id, attempt, attempted_at, status_code, error, response_ms,"
                        + " delivered) VALUES (?, ?, ?, ?, ?, ?, ?)")
                .params(d.id(), attempt.attempt(), Db.ts(attempt.attemptedAt()), attempt.statusCode(), attempt.error(),
                        attempt.responseMs(), attempt.delivered())
                .update();
        return true;
    }

    /**
     * Makes a delivery due now (a redelivery). One still pending keeps its retry window; a delivered or failed one
     * gets this one attempt ({@code give_up_at} = now). False when an attempt of it is in flight (claimed, lease not
     * lapsed).
     */
    boolean redeliver(String id, Instant now) {
        return jdbc.sql("UPDATE webhook_deliveries SET give_up_at = CASE WHEN status = 'pending' THEN give_up_at"
                        + " ELSE ? END, status = 'pending', next_attempt_at = ?, claimed_by = NULL"
                        + " WHERE id = ? AND (claimed_by IS NULL OR next_attempt_at <= ?)")
                .params(Db.ts(now), Db.ts(now), id, Db.ts(now)).update() == 1;
    }

    private static WebhookDelivery map(ResultSet rs, int row) throws SQLException {
        return new WebhookDelivery(rs.getLong("seq"), rs.getString("id"), rs.getString("endpoint_id"),
                rs.getString("team_id"), rs.getString("event_type"), rs.getString("payload"),
                WebhookDelivery.Status.of(rs.getString("status")), rs.getInt("attempts"),
                Db.instant(rs, "next_attempt_at"), Db.instant(rs, "give_up_at"), rs.getString("claimed_by"),
                Db.instant(rs, "last_attempt_at"),
                rs.getObject("last_status_code") == null ? null : rs.getInt("last_status_code"),
                rs.getString("last_error"), Db.nullableLong(rs, "last_response_ms"), Db.instant(rs, "delivered_at"),
                Db.instant(rs, "created_at"));
    }
}
