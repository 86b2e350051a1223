package dev.tropism.billing;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * The spend statements on H2 in PostgreSQL mode, the embedded default: the ledger's upsert adds, and a month's
 * alert is recorded once (its second insert changes nothing and says so).
 */
class SpendOnH2Test {

    @Test
    void ledgerUpsertsAddAndAnAlertIsRecordedOncePerMonth() {
        JdbcDataSource h2 = new JdbcDataSource();
        h2.setURL("jdbc:h2:mem:" + UUID.randomUUID()
                + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;DB_CLOSE_DELAY=-1");
        h2.setUser("sa");
        assertThat(Flyway.configure().dataSource(h2).load().migrate().success).isTrue();
        SpendStore store = new SpendStore(JdbcClient.create(h2));
        LocalDate day = LocalDate.of(2026, 12, 6);
        store.add("team_1", day, "job_1", "model_1", "cpu", 1.5, new BigDecimal("0.000075"), 1);
        store.add("team_1", day, "job_1", "model_1", "cpu", 2.5, new BigDecimal("0.000125"), 1);
        Spend.JobSpend job = store.job("job_1").orElseThrow();
        assertThat(job.deviceSeconds()).isEqualTo(4.0);
        assertThat(job.spend()).isEqualByComparingTo("0.0002");
        assertThat(job.steps()).isEqualTo(2);
        assertThat(store.teamSpendSince("team_1", day.withDayOfMonth(1))).isEqualByComparingTo("0.0002");
        assertThat(store.teamSpendSince("team_2", day.withDayOfMonth(1))).isZero();
        assertThat(store.ledger("team_1", day, day, null)).singleElement()
                .satisfies(row -> assertThat(row.deviceSeconds()).isEqualTo(4.0));

        assertThat(store.recordAlert("team_1", "2026-12", "job_1", BigDecimal.ONE)).isTrue();
        assertThat(store.recordAlert("team_1", "2026-12", "job_2", BigDecimal.TEN)).isFalse();
        assertThat(store.alerted("team_1", "2026-12")).isTrue();
        assertThat(store.alerted("team_1", "2027-01")).isFalse();

        store.putBudget("team_1", new BigDecimal("5"), 0.5);
        store.putBudget("team_1", new BigDecimal("7"), null);
        assertThat(store.budget("team_1").orElseThrow()).isEqualTo(new SpendStore.BudgetRow(
                new BigDecimal("7.000000000"), null));
    }
}
