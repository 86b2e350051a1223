package dev.tropism.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.support.TcpProxy;
import dev.tropism.support.TestDatabaseInitializer;
import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import java.time.Duration;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.test.context.TestPropertySource;

/** The database goes away and comes back while the application runs: fast 503s, then service again. */
@TropismIntegrationTest
@TestPropertySource(properties = TestDatabaseInitializer.DATABASE_PROXY_PROPERTY + "=true")
class DatabaseOutageTest {

    /** Hikari's connection-timeout is 3 s; allow for a slow machine, but not for a hang. */
    private static final Duration FAST = Duration.ofSeconds(10);

    @Autowired
    TropismTestClient api;

    @Autowired
    TcpProxy database;

    @AfterEach
    void restore() {
        database.restore();
    }

    @Test
    void answers503WhileTheDatabaseIsCutAndRecoversWithoutRestart() {
        TropismTestClient.Team team = api.newTeam("outage");
        assertThat(team.calls().get("/v1/datasets").status()).isEqualTo(200);

        database.cut();

        // First on the pooled connection that just broke (the query fails, then so does the rollback),
        // then with no connection to be had (Hikari's connection-timeout).
        assertDatabaseUnavailable(() -> team.calls().get("/v1/datasets"));
        assertDatabaseUnavailable(() -> team.calls().get("/v1/datasets"));
        assertDatabaseUnavailable(() -> api.admin().post("/v1/teams", Map.of("name", "during-outage")));

        database.restore();

        // Hikari retries connecting with a backoff of up to 5 s, so the first call may still wait for it.
        ApiResponse again = untilNot503(() -> team.calls().get("/v1/datasets"), Duration.ofSeconds(30));
        assertThat(again.status()).as("%s", again).isEqualTo(200);
        assertThat(api.admin().post("/v1/teams", Map.of("name", "after-outage")).status()).isEqualTo(201);
    }

    private static ApiResponse untilNot503(Supplier<ApiResponse> call, Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            ApiResponse r = call.get();
            if (r.status() != 503 || System.nanoTime() > deadline) {
                return r;
            }
            assertThat(r.json().get("code").asString()).isEqualTo("database_unavailable");
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return r;
            }
        }
    }

    private static void assertDatabaseUnavailable(Supplier<ApiResponse> call) {
        long start = System.nanoTime();
        ApiResponse r = call.get();
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(r.status()).as("%s", r).isEqualTo(503);
        assertThat(r.contentType().isCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)).as("%s", r.contentType()).isTrue();
        assertThat(r.json().get("code").asString()).isEqualTo("database_unavailable");
        assertThat(took).as("answered in %s", took).isLessThan(FAST);
    }
}
