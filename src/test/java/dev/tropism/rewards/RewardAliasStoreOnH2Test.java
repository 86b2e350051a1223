package dev.tropism.rewards;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.web.PageParams;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

/**
 * The alias store's statements on H2 in PostgreSQL mode, the embedded default database (the API tests run them on
 * PostgreSQL): the insert that does nothing on conflict, the row lock, history, paging and the names by target.
 */
class RewardAliasStoreOnH2Test {

    @Test
    void statementsRunOnH2() {
        String url = "jdbc:h2:mem:" + UUID.randomUUID()
                + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;DB_CLOSE_DELAY=-1";
        Flyway.configure().dataSource(url, "sa", "").load().migrate();
        RewardAliasStore store = new RewardAliasStore(JdbcClient.create(new DriverManagerDataSource(url, "sa", "")));
        Instant t0 = Instant.parse("2026-12-06T10:00:00Z");
        RewardAliasStore.Alias prod = new RewardAliasStore.Alias("team_1", "h@production", "rs_1",
                RewardAliases.Kind.REWARD_SPEC, t0, t0, "key_1", null);

        assertThat(store.insertIfAbsent(prod)).isTrue();
        assertThat(store.insertIfAbsent(prod)).isFalse();
        RewardAliasStore.Alias locked = store.lock("team_1", "h@production").orElseThrow();
        assertThat(locked).isEqualTo(prod);
        RewardAliasStore.Alias moved = new RewardAliasStore.Alias("team_1", "h@production", "model_1",
                RewardAliases.Kind.REWARD_MODEL, t0, t0.plusSeconds(1), "key_2", "eval_1");
        store.update(moved);
        assertThat(store.find("team_1", "h@production")).contains(moved);
        store.recordMove("team_1", "h@production", new RewardAliasStore.Move("rs_1", null, t0, "key_1", null, null));
        store.recordMove("team_1", "h@production", new RewardAliasStore.Move("model_1", "rs_1", t0.plusSeconds(1),
                "key_2", "eval_1", "suite_1"));
        assertThat(store.history("team_1", "h@production", 10)).extracting(RewardAliasStore.Move::targetId)
                .containsExactly("model_1", "rs_1");
        assertThat(store.history("team_1", "h@production", 1)).hasSize(1);

        store.insertIfAbsent(new RewardAliasStore.Alias("team_1", "b", "rs_1", RewardAliases.Kind.REWARD_SPEC,
                t0.plusSeconds(2), t0.plusSeconds(2), "key_1", null));
        store.insertIfAbsent(new RewardAliasStore.Alias("team_1", "a", "rs_1", RewardAliases.Kind.REWARD_SPEC,
                t0.plusSeconds(2), t0.plusSeconds(2), "key_1", null));
        store.insertIfAbsent(new RewardAliasStore.Alias("team_2", "c", "rs_1", RewardAliases.Kind.REWARD_SPEC,
                t0, t0, "key_3", null));
        // Oldest first, then by name; two rows per page plus one to tell that more exist.
        assertThat(store.page("team_1", new PageParams(2, null))).extracting(RewardAliasStore.Alias::name)
                .containsExactly("h@production", "a", "b");
        assertThat(store.page("team_1", new PageParams(2, "a"))).extracting(RewardAliasStore.Alias::name)
                .containsExactly("b");
        assertThat(store.namesByTarget("team_1", List.of("rs_1", "model_1", "rs_9")))
                .isEqualTo(Map.of("rs_1", List.of("a", "b"), "model_1", List.of("h@production")));

        store.delete("team_1", "a");
        assertThat(store.find("team_1", "a")).isEmpty();
        assertThat(store.find("team_2", "c")).isPresent();
    }
}
