package dev.tropism.serving;

import static dev.tropism.serving.ServingFixtures.BLOCK_SIZE;
import static dev.tropism.serving.ServingFixtures.error;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.engine.serve.Generator;
import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import dev.tropism.support.TropismTestClient.Team;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * Serving under tight limits: one sequence per forward and two waiting (backpressure), and a memory
 * budget that holds a single model (eviction while a request runs).
 */
@TropismIntegrationTest
@TestPropertySource(properties = {"tropism.jobs.poll-interval=50ms", "tropism.serving.max-batch=1",
        "tropism.serving.queue-capacity=2", "tropism.serving.memory-budget=1B"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ServingLimitsTest {

    @Autowired TropismTestClient api;
    @Autowired ServedModels served;

    Team team;
    String a;
    String b;

    @BeforeAll
    void pretrain() throws Exception {
        team = api.newTeam("limits");
        String corpus = ServingFixtures.corpus(team);
        a = ServingFixtures.pretrain(team, corpus, "a", 1).get("id").asString();
        b = ServingFixtures.pretrain(team, corpus, "b", 2).get("id").asString();
    }

    /** Three long greedy generations of model {@code a}, run one after another (max-batch 1). */
    private CompletableFuture<ApiResponse> longRequest() {
        Map<String, Object> body = Map.of("model", a, "prompt", "1", "max_tokens", BLOCK_SIZE - 3, "temperature", 0,
                "n", 3);
        return CompletableFuture.supplyAsync(() -> team.calls().post("/v1/completions", body));
    }

    private void await(Predicate<Generator.Stats> condition) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (served.stats(a).filter(condition).isEmpty()) {
            assertThat(System.nanoTime()).as("generator of %s: %s", a, served.stats(a)).isLessThan(deadline);
            Thread.sleep(2);
        }
    }

    @Test
    void fullQueueAnswers429WithRetryAfter() throws Exception {
        // The queue is full only while the first of the three generations runs (a few ms on this tiny model). A request
        // that reaches the generator after it finished finds room, so it is sent again on a fresh full queue; every
        // answer must be that 429 or, having found room, a 200.
        ApiResponse refused = null;
        for (int attempt = 0; attempt < 5 && refused == null; attempt++) {
            CompletableFuture<ApiResponse> running = longRequest();
            await(s -> s.running() == 1 && s.queued() == 2);
            ApiResponse answer = team.calls().post("/v1/completions", Map.of("model", a, "prompt", "2", "max_tokens", 2));
            assertThat(answer.status()).as(answer.toString()).isIn(200, 429);
            assertThat(running.get().status()).isEqualTo(200);
            refused = answer.status() == 429 ? answer : null;
        }
        assertThat(refused).as("a full queue refused one of 5 requests").isNotNull();
        JsonNode e = error(refused, 429);
        assertThat(e.get("code").asString()).isEqualTo("queue_full");
        assertThat(Long.parseLong(refused.headers().getFirst("Retry-After"))).isPositive();
    }

    @Test
    void evictionUnderTheBudgetWaitsForTheRequestInFlight() throws Exception {
        CompletableFuture<ApiResponse> running = longRequest();
        await(s -> s.running() == 1);
        long loads = served.loads();
        ApiResponse other = team.calls().post("/v1/completions", Map.of("model", b, "prompt", "2", "max_tokens", 2));
        assertThat(other.status()).as(other.toString()).isEqualTo(200);
        assertThat(served.cached()).as("a is evicted for b: the budget holds one model").containsExactly(b);
        assertThat(running).as("the request on a still runs").isNotDone();
        ApiResponse done = running.get();
        assertThat(done.status()).as(done.toString()).isEqualTo(200);
        for (JsonNode c : done.json().get("choices")) {
            assertThat(c.get("finish_reason").asString()).isEqualTo("length");
            assertThat(c.get("text").asString()).isEqualTo(done.json().get("choices").get(0).get("text").asString());
        }
        // a loads again on its next request, and b leaves in turn
        assertThat(team.calls().post("/v1/completions", Map.of("model", a, "prompt", "3", "max_tokens", 2)).status())
                .isEqualTo(200);
        assertThat(served.loads()).isEqualTo(loads + 2);
        assertThat(served.cached()).containsExactly(a);
    }
}
