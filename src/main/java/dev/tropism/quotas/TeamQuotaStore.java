package dev.tropism.quotas;

import dev.tropism.storage.Db;
import java.time.Instant;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** Rows of {@code team_quotas}: the limits an operator set for a team (a null column is unlimited). */
@Repository
class TeamQuotaStore {

    /** A team's row. */
    record Row(Long maxConcurrentJobs, Long maxStoredBytes) {

        Long limit(Quota quota) {
            return switch (quota) {
                case CONCURRENT_JOBS -> maxConcurrentJobs;
                case STORED_BYTES -> maxStoredBytes;
            };
        }
    }

    private final JdbcClient jdbc;

    TeamQuotaStore(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    Optional<Row> find(String teamId) {
        return jdbc.sql("SELECT max_concurrent_jobs, max_stored_bytes FROM team_quotas WHERE team_id = ?").param(teamId)
                .query((rs, n) -> new Row(Db.nullableLong(rs, "max_concurrent_jobs"), Db.nullableLong(rs, "max_stored_bytes")))
                .optional();
    }

    void put(String teamId, Row row) {
        int updated = jdbc.sql("UPDATE team_quotas SET max_concurrent_jobs = ?, max_stored_bytes = ?, updated_at = ?"
                        + " WHERE team_id = ?")
                .params(row.maxConcurrentJobs(), row.maxStoredBytes(), Db.ts(Instant.now()), teamId).update();
        if (updated == 0) {
            jdbc.sql("INSERT INTO team_quotas (team_id, max_concurrent_jobs, max_stored_bytes, updated_at)"
                            + " VALUES (?, ?, ?, ?)")
                    .params(teamId, row.maxConcurrentJobs(), row.maxStoredBytes(), Db.ts(Instant.now())).update();
        }
    }

    /**
     * Locks the team's row of {@code teams} until the transaction ends, so that two submissions of one team cannot
     * both pass the concurrent-jobs check; false when the team does not exist.
     */
    boolean lockTeam(String teamId) {
        return jdbc.sql("SELECT id FROM teams WHERE id = ? FOR UPDATE").param(teamId).query(String.class).optional()
                .isPresent();
    }

    boolean teamExists(String teamId) {
        return jdbc.sql("SELECT COUNT(*) FROM teams WHERE id = ?").param(teamId).query(Integer.class).single() > 0;
    }
}
