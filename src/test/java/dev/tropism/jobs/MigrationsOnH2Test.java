package dev.tropism.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.List;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

/** Every migration also runs on H2 in PostgreSQL mode, the embedded default. */
class MigrationsOnH2Test {

    @Test
    void migrationsRunOnH2InPostgresMode() throws Exception {
        String url = "jdbc:h2:mem:" + UUID.randomUUID() + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;DB_CLOSE_DELAY=-1";
        var result = Flyway.configure().dataSource(url, "sa", "").load().migrate();
        assertThat(result.success).isTrue();
        try (Connection c = DriverManager.getConnection(url, "sa", "")) {
            c.createStatement().execute("INSERT INTO job_metrics (job_id, step, name, \"value\") VALUES ('job_1', 1, 'train/loss', 0.5)");
            for (int i = 0; i < 2; i++) { // the usage upsert of UsageStore
                c.createStatement().execute("INSERT INTO usage_daily (team_id, usage_date, model, requests, prompt_tokens,"
                        + " completion_tokens, images) VALUES ('team_1', DATE '2026-01-02', 'm', 0, 0, 0, 0)"
                        + " ON CONFLICT DO NOTHING");
                c.createStatement().execute("UPDATE usage_daily SET requests = requests + 1, prompt_tokens = prompt_tokens"
                        + " + 3 WHERE team_id = 'team_1' AND usage_date = DATE '2026-01-02' AND model = 'm'");
            }
            try (ResultSet rs = c.createStatement().executeQuery("SELECT requests, prompt_tokens FROM usage_daily")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getLong(1)).isEqualTo(2);
                assertThat(rs.getLong(2)).isEqualTo(6);
            }
            try (ResultSet rs = c.createStatement().executeQuery("SELECT NEXT VALUE FOR batch_job_execution_seq")) {
                assertThat(rs.next()).isTrue();
            }
            try (ResultSet rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM batch_job_instance")) {
                rs.next();
                assertThat(rs.getInt(1)).isZero();
            }
            // The dispatcher's claim (JobStore.lockDispatch and lockQueued) and the registry's clock.
            c.setAutoCommit(false);
            try (ResultSet rs = c.createStatement().executeQuery("SELECT id FROM dispatch_lock WHERE id = 1 FOR UPDATE")) {
                assertThat(rs.next()).isTrue();
            }
            try (ResultSet rs = c.createStatement().executeQuery("SELECT id FROM jobs WHERE status = 'queued'"
                    + " ORDER BY seq LIMIT 100 FOR UPDATE SKIP LOCKED")) {
                assertThat(rs.next()).isFalse();
            }
            // The webhook dispatcher's claim (WebhookDeliveryStore.claimDue).
            try (ResultSet rs = c.createStatement().executeQuery("SELECT id FROM webhook_deliveries WHERE status = 'pending'"
                    + " AND next_attempt_at <= CURRENT_TIMESTAMP ORDER BY next_attempt_at LIMIT 8 FOR UPDATE SKIP LOCKED")) {
                assertThat(rs.next()).isFalse();
            }
            try (ResultSet rs = c.createStatement().executeQuery("SELECT CURRENT_TIMESTAMP AS db_now FROM nodes")) {
                assertThat(rs.next()).isFalse();
            }
            // Stored bytes of a team (ModelStore.storedBytes): only models that own their prefix count.
            c.createStatement().execute("INSERT INTO models (id, team_id, name, family, status, object_prefix, created_at,"
                    + " size_bytes) VALUES ('model_a', 'team_1', 'a', 'language-model', 'ready', 'models/model_a/',"
                    + " CURRENT_TIMESTAMP, 40), ('model_b', 'team_1', 'a@5', 'language-model', 'ready',"
                    + " 'jobs/job_1/checkpoints/ckpt_1/model/', CURRENT_TIMESTAMP, 7)");
            try (ResultSet rs = c.createStatement().executeQuery("SELECT COALESCE(SUM(size_bytes), 0) FROM models"
                    + " WHERE team_id = 'team_1' AND object_prefix = CONCAT('models/', id, '/')"
                    + " AND status NOT IN ('failed', 'deleted')")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getLong(1)).isEqualTo(40);
            }
            // Checkpoint retention: the lock of a checkpoint's own models (ModelStore.lock), and the lookups of the
            // modules that may still use them (EvalSuiteStore, EvaluationStore and DryRunStore.usingModel).
            try (ResultSet rs = c.createStatement().executeQuery("SELECT id FROM models WHERE id IN ('model_b', 'model_a')"
                    + " ORDER BY id FOR UPDATE")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("model_a");
                assertThat(rs.next()).isTrue();
            }
            for (String lookup : List.of(
                    "SELECT id, name, version, policy, baseline FROM eval_suites WHERE policy IN ('model_b')"
                            + " OR baseline IN ('model_b') ORDER BY seq LIMIT 1",
                    "SELECT id, status, candidate_id, baseline_id FROM evaluations WHERE status IN ('queued', 'running')"
                            + " AND (candidate_id IN ('model_b') OR baseline_id IN ('model_b')) ORDER BY seq LIMIT 1",
                    "SELECT id, status, model FROM dry_runs WHERE model IN ('model_b') AND status IN ('queued', 'running')"
                            + " ORDER BY seq LIMIT 1")) {
                try (ResultSet rs = c.createStatement().executeQuery(lookup)) {
                    assertThat(rs.next()).as(lookup).isFalse();
                }
            }
            // The quotas' team lock (TeamQuotaStore.lockTeam).
            try (ResultSet rs = c.createStatement().executeQuery("SELECT id FROM teams WHERE id = 'team_1' FOR UPDATE")) {
                assertThat(rs.next()).isFalse();
            }
            c.commit();
        }
    }
}
