package dev.tropism.rewards;

import dev.tropism.storage.Db;
import dev.tropism.web.PageParams;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.springframework.jdbc.core.RowCallbackHandler;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** Rows of {@code reward_aliases} and the append-only {@code reward_alias_moves}. */
@Repository
class RewardAliasStore {

    /** An alias as stored. */
    record Alias(String teamId, String name, String targetId, RewardAliases.Kind kind, Instant createdAt,
            Instant updatedAt, String updatedBy, String evaluationId) {
    }

    /** One history row: {@code targetId} null for a deletion, {@code previousId} null for a creation. */
    record Move(String targetId, String previousId, Instant movedAt, String movedBy, String evaluationId,
            String suiteId) {
    }

    private static final String COLUMNS = "team_id, name, target_id, kind, created_at, updated_at, updated_by,"
            + " evaluation_id";

    private final JdbcClient jdbc;

    RewardAliasStore(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    Optional<Alias> find(String teamId, String name) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM reward_aliases WHERE team_id = ? AND name = ?")
                .params(teamId, name).query(RewardAliasStore::map).optional();
    }

    /** The row, locked until the transaction ends (a concurrent move waits here). */
    Optional<Alias> lock(String teamId, String name) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM reward_aliases WHERE team_id = ? AND name = ? FOR UPDATE")
                .params(teamId, name).query(RewardAliasStore::map).optional();
    }

    /**
     * Inserts {@code a} unless the team has an alias of that name (committed, or being inserted by a transaction that
     * then commits: PostgreSQL waits for it). Whether it inserted.
     */
    boolean insertIfAbsent(Alias a) {
        return jdbc.sql("INSERT INTO reward_aliases (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                        + " ON CONFLICT DO NOTHING")
                .params(a.teamId(), a.name(), a.targetId(), a.kind().wireName(), Db.ts(a.createdAt()),
                        Db.ts(a.updatedAt()), a.updatedBy(), a.evaluationId())
                .update() == 1;
    }

    void update(Alias a) {
        jdbc.sql("UPDATE reward_aliases SET target_id = ?, kind = ?, updated_at = ?, updated_by = ?, evaluation_id = ?"
                        + " WHERE team_id = ? AND name = ?")
                .params(a.targetId(), a.kind().wireName(), Db.ts(a.updatedAt()), a.updatedBy(), a.evaluationId(),
                        a.teamId(), a.name())
                .update();
    }

    void delete(String teamId, String name) {
        jdbc.sql("DELETE FROM reward_aliases WHERE team_id = ? AND name = ?").params(teamId, name).update();
    }

    void recordMove(String teamId, String name, Move m) {
        jdbc.sql("INSERT INTO reward_alias_moves (team_id, alias_name, target_id, previous_id, moved_at, moved_by,"
                        + " evaluation_id, suite_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
                .params(teamId, name, m.targetId(), m.previousId(), Db.ts(m.movedAt()), m.movedBy(), m.evaluationId(),
                        m.suiteId())
                .update();
    }

    /** The alias's history, newest first, at most {@code limit} rows. */
    List<Move> history(String teamId, String name, int limit) {
        return jdbc.sql("SELECT target_id, previous_id, moved_at, moved_by, evaluation_id, suite_id"
                        + " FROM reward_alias_moves WHERE team_id = ? AND alias_name = ? ORDER BY seq DESC LIMIT ?")
                .params(teamId, name, limit)
                .query((rs, n) -> new Move(rs.getString("target_id"), rs.getString("previous_id"),
                        Db.instant(rs, "moved_at"), rs.getString("moved_by"), rs.getString("evaluation_id"),
                        rs.getString("suite_id")))
                .list();
    }

    /** Oldest first, then by name; fetches {@link PageParams#fetchSize()} rows; {@code after} is an alias name. */
    List<Alias> page(String teamId, PageParams page) {
        if (page.after() == null) {
            return jdbc.sql("SELECT " + COLUMNS + " FROM reward_aliases WHERE team_id = ? ORDER BY created_at, name"
                            + " LIMIT ?")
                    .params(teamId, page.fetchSize()).query(RewardAliasStore::map).list();
        }
        Alias after = find(teamId, page.after()).orElseThrow(page::unknownCursor);
        return jdbc.sql("SELECT " + COLUMNS + " FROM reward_aliases WHERE team_id = ?"
                        + " AND (created_at > ? OR (created_at = ? AND name > ?)) ORDER BY created_at, name LIMIT ?")
                .params(teamId, Db.ts(after.createdAt()), Db.ts(after.createdAt()), after.name(), page.fetchSize())
                .query(RewardAliasStore::map).list();
    }

    /** The names of the team's aliases that point at each of {@code targetIds} (absent: none), sorted by name. */
    Map<String, List<String>> namesByTarget(String teamId, Collection<String> targetIds) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (targetIds.isEmpty()) {
            return out;
        }
        String marks = String.join(", ", Collections.nCopies(targetIds.size(), "?"));
        List<Object> params = new ArrayList<>();
        params.add(teamId);
        params.addAll(targetIds);
        jdbc.sql("SELECT target_id, name FROM reward_aliases WHERE team_id = ? AND target_id IN (" + marks + ")"
                        + " ORDER BY name")
                .params(params)
                .query((RowCallbackHandler) rs -> {
                    out.computeIfAbsent(rs.getString("target_id"), k -> new ArrayList<>()).add(rs.getString("name"));
                });
        return out;
    }

    private static Alias map(ResultSet rs, int row) throws SQLException {
        return new Alias(rs.getString("team_id"), rs.getString("name"), rs.getString("target_id"),
                RewardAliases.Kind.valueOf(rs.getString("kind").toUpperCase(Locale.ROOT)),
                Db.instant(rs, "created_at"), Db.instant(rs, "updated_at"), rs.getString("updated_by"),
                rs.getString("evaluation_id"));
    }
}
