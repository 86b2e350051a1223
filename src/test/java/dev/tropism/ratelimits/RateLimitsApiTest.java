package dev.tropism.ratelimits;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import dev.tropism.teams.RequiresScope;
import dev.tropism.teams.Scope;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.TestPropertySource;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Per-key token buckets of 10 that (practically) never refill in a test: 1 token per 1,000 s. This context also runs
 * behind a trusted proxy ({@code server.forward-headers-strategy=native}; 127.0.0.1 is an internal proxy by default),
 * for the audit log's client address.
 */
@TropismIntegrationTest
@TestPropertySource(properties = {"tropism.rate-limits.api.capacity=10", "tropism.rate-limits.api.refill-per-second=0.001",
        "tropism.rate-limits.serving.capacity=10", "tropism.rate-limits.serving.refill-per-second=0.001",
        "server.forward-headers-strategy=native"})
@Import(RateLimitsApiTest.Probes.class)
class RateLimitsApiTest {

    static final int CLIENTS = 32;
    static final int CAPACITY = 10;

    /** An inference route and an async (two-dispatch) route, only in this test's context. */
    @RestController
    static class Probes {

        @PostMapping("/v1/test-inference")
        @RequiresScope(Scope.INFERENCE)
        Map<String, Object> infer() {
            return Map.of("id", "gen_test");
        }

        @GetMapping("/v1/test-async")
        @RequiresScope(Scope.JOBS_READ)
        Callable<Map<String, Object>> async() {
            return () -> Map.of("ok", true);
        }

        @PostMapping("/v1/test-async")
        @RequiresScope(Scope.JOBS_WRITE)
        Callable<Map<String, Object>> asyncCreate() {
            return () -> Map.of("id", "thing_async");
        }
    }

    @Autowired
    TropismTestClient api;

    @Autowired
    DataSource dataSource;

    @Autowired
    JdbcClient jdbc;

    @Test
    void thirtyTwoConcurrentClientsGetExactlyTheCapacityOfEachKey() throws Exception {
        TropismTestClient.Team a = api.newTeam("limited-a");
        TropismTestClient.Team b = api.newTeam("limited-b");
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<List<ApiResponse>>> futures = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            boolean aFirst = i % 2 == 0;
            futures.add(pool.submit(() -> {
                start.await();
                TropismTestClient.Calls first = aFirst ? a.calls() : b.calls();
                TropismTestClient.Calls second = aFirst ? b.calls() : a.calls();
                return List.of(first.get("/v1/datasets"), second.get("/v1/datasets"));
            }));
        }
        start.countDown();
        List<ApiResponse> responses = new ArrayList<>();
        for (Future<List<ApiResponse>> f : futures) {
            responses.addAll(f.get(120, TimeUnit.SECONDS));
        }
        pool.shutdown();
        // each client sent one request with each key: the answers of a key are those whose order matches its parity
        List<ApiResponse> ofA = new ArrayList<>();
        List<ApiResponse> ofB = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            boolean aFirst = i % 2 == 0;
            ofA.add(responses.get(2 * i + (aFirst ? 0 : 1)));
            ofB.add(responses.get(2 * i + (aFirst ? 1 : 0)));
        }
        for (List<ApiResponse> ofKey : List.of(ofA, ofB)) {
            List<ApiResponse> ok = ofKey.stream().filter(r -> r.status() == 200).toList();
            List<ApiResponse> limited = ofKey.stream().filter(r -> r.status() == 429).toList();
            assertThat(ok).hasSize(CAPACITY);
            assertThat(limited).hasSize(CLIENTS - CAPACITY);
            // every successful request took its own token: the remaining counts are 9, 8, ..., 0 in some order
            List<Integer> remaining = new ArrayList<>(ok.stream().map(r -> param(r, "r")).toList());
            Collections.sort(remaining);
            assertThat(remaining).isEqualTo(IntStream.range(0, CAPACITY).boxed().toList());
            for (ApiResponse r : ofKey) {
                assertThat(r.headers().getFirst("RateLimit-Policy")).isEqualTo("\"api\";q=10;w=10000");
                assertThat(r.headers().getFirst("RateLimit")).matches("\"api\";r=\\d+;t=\\d+");
            }
            for (ApiResponse r : limited) {
                assertThat(param(r, "r")).isZero();
                long retryAfter = Long.parseLong(r.headers().getFirst("Retry-After"));
                assertThat(retryAfter).isBetween(1L, 1000L); // one token back within 1 / 0.001 s
                assertThat(param(r, "t")).isGreaterThanOrEqualTo((int) retryAfter);
                assertThat(r.contentType().toString()).startsWith("application/problem+json");
                assertThat(r.json().get("code").asString()).isEqualTo("rate_limited");
                assertThat(r.json().get("status").asInt()).isEqualTo(429);
                assertThat(r.json().get("detail").asString()).contains("api").contains("retry in " + retryAfter + " s");
            }
        }
    }

    @Test
    void servingHasItsOwnBucketAndRefusedMutationsAreAudited() {
        TropismTestClient.Team team = api.newTeam("limited-serving");
        for (int i = 0; i < CAPACITY; i++) {
            assertThat(team.calls().get("/v1/datasets").status()).isEqualTo(200);
        }
        ApiResponse refused = team.calls().post("/v1/aliases/prod", Map.of("target", "rs_x"));
        assertThat(refused.status()).isEqualTo(429);

        ApiResponse served = team.calls().post("/v1/test-inference", "{}");
        assertThat(served.status()).isEqualTo(200);
        assertThat(served.headers().getFirst("RateLimit-Policy")).isEqualTo("\"serving\";q=10;w=10000");
        assertThat(served.headers().getFirst("RateLimit")).startsWith("\"serving\";r=9;");

        // the audit log has the refused call, and no inference call
        List<Map<String, Object>> rows = jdbc.sql("SELECT path, status, outcome, detail FROM audit_events WHERE key_id = ?")
                .param(team.keyId()).query().listOfRows();
        assertThat(rows).hasSize(1);
        assertThat(rows.get(0)).containsEntry("path", "/v1/aliases/prod").containsEntry("status", 429)
                .containsEntry("outcome", "rejected").containsEntry("detail", "{\"code\":\"rate_limited\"}");
    }

    @Test
    void anAsyncRequestIsCountedAndAuditedOnce() {
        TropismTestClient.Team team = api.newTeam("limited-async");
        for (int i = 0; i < CAPACITY - 1; i++) {
            ApiResponse r = team.calls().get("/v1/test-async");
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.json().get("ok").asBoolean()).isTrue();
            assertThat(param(r, "r")).isEqualTo(CAPACITY - 1 - i);
        }
        ApiResponse created = team.calls().post("/v1/test-async", "{}");
        assertThat(created.status()).isEqualTo(200);
        assertThat(param(created, "r")).isZero();
        assertThat(team.calls().get("/v1/test-async").status()).isEqualTo(429);

        List<Map<String, Object>> rows = jdbc.sql("SELECT action, status, resource_id FROM audit_events WHERE key_id = ?")
                .param(team.keyId()).query().listOfRows();
        assertThat(rows).containsExactly(Map.of("action", "POST /v1/test-async", "status", 200, "resource_id", "thing_async"));
    }

    @Test
    void behindATrustedProxyTheAuditLogHasTheForwardedClientAddress() {
        TropismTestClient.Team team = api.newTeam("proxied");
        assertThat(team.calls().withHeader("X-Forwarded-For", "203.0.113.7").post("/v1/test-async", "{}").status())
                .isEqualTo(200);
        assertThat(jdbc.sql("SELECT remote_addr FROM audit_events WHERE key_id = ?").param(team.keyId())
                .query(String.class).single()).isEqualTo("203.0.113.7");
    }

    @Test
    void theAdminKeyIsNotLimited() {
        for (int i = 0; i < CAPACITY + 5; i++) {
            ApiResponse r = api.admin().get("/v1/teams");
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.headers().getFirst("RateLimit")).isNull();
        }
    }

    @Test
    void thePostgreSQLStoreIsSharedByInstances() throws Exception {
        RateLimitProperties properties = new RateLimitProperties(true, RateLimitProperties.Store.POSTGRESQL,
                new RateLimitProperties.Policy(10L, 0.001), null);
        // two API instances: each its own limiter and store, on the same database
        List<RateLimiter> instances = List.of(new RateLimiter(properties, new BucketStore.Postgres(dataSource)),
                new RateLimiter(properties, new BucketStore.Postgres(dataSource)));
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<RateLimiter.Decision>> futures = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            RateLimiter instance = instances.get(i % 2);
            futures.add(pool.submit(() -> {
                start.await();
                return instance.consume(RatePolicy.API, "key_shared");
            }));
        }
        start.countDown();
        List<RateLimiter.Decision> decisions = new ArrayList<>();
        for (Future<RateLimiter.Decision> f : futures) {
            decisions.add(f.get(120, TimeUnit.SECONDS));
        }
        pool.shutdown();
        assertThat(decisions.stream().filter(RateLimiter.Decision::allowed)).hasSize(CAPACITY);
        assertThat(decisions.stream().filter(RateLimiter.Decision::allowed).map(RateLimiter.Decision::remaining).sorted())
                .containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L);
        assertThat(decisions.stream().filter(d -> !d.allowed()))
                .allSatisfy(d -> assertThat(d.retryAfterSeconds()).isBetween(1L, 1000L));
        assertThat(jdbc.sql("SELECT COUNT(*) FROM rate_limit_buckets").query(Long.class).single()).isEqualTo(1);
        // another key has its own row and a full bucket
        assertThat(instances.get(0).consume(RatePolicy.API, "key_other").remaining()).isEqualTo(9);
    }

    private static int param(ApiResponse r, String name) {
        for (String part : r.headers().getFirst("RateLimit").split(";")) {
            if (part.startsWith(name + "=")) {
                return Integer.parseInt(part.substring(name.length() + 1));
            }
        }
        throw new AssertionError("no " + name + " in " + r.headers().getFirst("RateLimit"));
    }
}
