package dev.tropism.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.json.JsonMapper;

/**
 * The embedded default: the migrations with the vendor folder Spring Boot adds for H2 (which has none, so the
 * PostgreSQL-only trigger is left out) run on H2 in PostgreSQL mode, and the audit store's SQL works there.
 */
class AuditStoreOnH2Test {

    @Test
    void migratesAndAppendsAndFindsOnH2() {
        JdbcDataSource h2 = new JdbcDataSource();
        h2.setURL("jdbc:h2:mem:" + UUID.randomUUID()
                + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;DB_CLOSE_DELAY=-1");
        h2.setUser("sa");
        assertThat(Flyway.configure().dataSource(h2).locations("classpath:db/migration", "classpath:db/vendor/h2")
                .load().migrate().success).isTrue();

        AuditStore store = new AuditStore(JdbcClient.create(h2), JsonMapper.builder().build());
        Instant t0 = Instant.parse("2026-12-06T10:00:00Z");
        store.append(new AuditStore.Append(t0, "team_1", "key_1", "POST", "/v1/jobs", "jobs", "job_1", 201,
                AuditOutcome.SUCCEEDED, "127.0.0.1", "POST /v1/jobs", null));
        store.append(new AuditStore.Append(t0.plusSeconds(60), "team_1", "system", null, null, "checkpoints", "ckpt_1",
                null, AuditOutcome.SUCCEEDED, null, "checkpoint.deleted", Map.of("step", 3)));
        store.append(new AuditStore.Append(t0.plusSeconds(120), "team_2", "key_2", "DELETE", "/v1/jobs/job_2", "jobs",
                "job_2", 404, AuditOutcome.REJECTED, "127.0.0.1", "DELETE /v1/jobs/{id}", Map.of("code", "not_found")));

        var team1 = store.find(new AuditStore.Query("team_1", null, null, null, null, 10, null));
        assertThat(team1).extracting(AuditEvent::resourceId).containsExactly("ckpt_1", "job_1");
        assertThat(team1.get(0).status()).isNull();
        assertThat(team1.get(0).detail()).isEqualTo(Map.of("step", 3));
        assertThat(team1.get(1).status()).isEqualTo(201);
        assertThat(team1.get(1).at()).isEqualTo(t0);

        var window = store.find(new AuditStore.Query(null, null, t0.plusSeconds(60), t0.plusSeconds(120), null, 10, null));
        assertThat(window).extracting(AuditEvent::action).containsExactly("checkpoint.deleted");
        var older = store.find(new AuditStore.Query(null, null, null, null, null, 10, team1.get(0).id()));
        assertThat(older).extracting(AuditEvent::resourceId).containsExactly("job_1");
        assertThat(store.find(new AuditStore.Query(null, "job_2", null, null, "DELETE /v1/jobs/{id}", 10, null)))
                .singleElement().satisfies(e -> assertThat(e.outcome()).isEqualTo("rejected"));
    }
}
