package dev.tropism.quotas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.support.StaticListableBeanFactory;
import org.springframework.util.unit.DataSize;

/** {@link Quotas}: the operator's row over the configured defaults, and usage summed over every {@link QuotaUsage}. */
class QuotasTest {

    /** Rows in memory instead of {@code team_quotas}. */
    static final class Rows extends TeamQuotaStore {

        final Map<String, Row> rows = new HashMap<>();

        Rows() {
            super(null);
        }

        @Override
        Optional<Row> find(String teamId) {
            return Optional.ofNullable(rows.get(teamId));
        }

        @Override
        boolean lockTeam(String teamId) {
            return true;
        }
    }

    /** A module holding {@code bytes} and running {@code jobs} for every team. */
    record Holding(long bytes, long jobs) implements QuotaUsage {

        @Override
        public long storedBytes(String teamId) {
            return bytes;
        }

        @Override
        public long concurrentJobs(String teamId) {
            return jobs;
        }
    }

    private static Quotas quotas(Rows rows, QuotaProperties defaults, QuotaUsage... usages) {
        StaticListableBeanFactory beans = new StaticListableBeanFactory();
        for (int i = 0; i < usages.length; i++) {
            beans.addBean("usage" + i, usages[i]);
        }
        return new Quotas(rows, defaults, beans.getBeanProvider(QuotaUsage.class));
    }

    @Test
    void usageIsSummedOverEveryModule() {
        Quotas q = quotas(new Rows(), new QuotaProperties(null, null), new Holding(100, 1), new Holding(23, 0),
                teamId -> 7);
        assertThat(q.used("team_1", Quota.STORED_BYTES)).isEqualTo(130);
        assertThat(q.used("team_1", Quota.CONCURRENT_JOBS)).isEqualTo(1);
        // Unlimited by default: nothing is refused.
        q.requireStorage("team_1");
        q.requireJobSlot("team_1");
    }

    @Test
    void defaultsApplyUntilAnOperatorSetsTheTeamsRow() {
        Rows rows = new Rows();
        Quotas q = quotas(rows, new QuotaProperties(2L, DataSize.ofBytes(130)), new Holding(130, 2));
        assertThat(q.limit("team_1", Quota.CONCURRENT_JOBS)).isEqualTo(2);
        assertThatThrownBy(() -> q.requireJobSlot("team_1")).isInstanceOfSatisfying(QuotaExceededException.class, e -> {
            assertThat(e.quota()).isEqualTo(Quota.CONCURRENT_JOBS);
            assertThat(e.limit()).isEqualTo(2);
            assertThat(e.used()).isEqualTo(2);
        });
        // At the byte quota is refused (130 of 130), as is above it.
        assertThatThrownBy(() -> q.requireStorage("team_1")).isInstanceOfSatisfying(QuotaExceededException.class,
                e -> assertThat(e.getMessage()).contains("130 bytes", "max_stored_bytes"));

        // The team's row wins, null included (unlimited).
        rows.rows.put("team_1", new TeamQuotaStore.Row(3L, null));
        q.requireJobSlot("team_1");
        q.requireStorage("team_1");
        assertThat(q.limit("team_1", Quota.STORED_BYTES)).isNull();
        assertThat(q.limit("team_2", Quota.STORED_BYTES)).isEqualTo(130);
    }

    @Test
    void negativeDefaultsStopStartup() {
        assertThatThrownBy(() -> new QuotaProperties(-1L, null)).hasMessageContaining("max-concurrent-jobs");
        assertThatThrownBy(() -> new QuotaProperties(null, DataSize.ofBytes(-1))).hasMessageContaining("max-stored-bytes");
    }
}
