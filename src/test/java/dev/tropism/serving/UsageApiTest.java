package dev.tropism.serving;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import dev.tropism.support.TropismTestClient.Team;
import dev.tropism.usage.UsageStore;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.HttpURLConnection;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * {@code GET /v1/usage} on PostgreSQL: counts after real requests (streamed and cancelled too), team
 * isolation, concurrent additions, bad parameters.
 */
@TropismIntegrationTest
@TestPropertySource(properties = {"tropism.jobs.poll-interval=50ms", "tropism.serving.max-n=8"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class UsageApiTest {

    @Autowired TropismTestClient api;
    @Autowired UsageStore store;

    Team team;
    Team other;
    String model;
    String checkpoint;

    @BeforeAll
    void pretrain() throws Exception {
        team = api.newTeam("usage");
        other = api.newTeam("usage-other");
        JsonNode m = ServingFixtures.pretrain(team, ServingFixtures.corpus(team), "tiny-usage", 5);
        model = m.get("id").asString();
        checkpoint = m.get("checkpoint").asString();
    }

    @Test
    void countsRequestsAndTokensPerDayAndModel() throws Exception {
        String today = LocalDate.now(ZoneOffset.UTC).toString();
        long prompt = 0;
        long completion = 0;
        for (int i = 0; i < 3; i++) {
            ApiResponse r = team.calls().post("/v1/completions", Map.of("model", i == 2 ? checkpoint : model,
                    "prompt", "1+" + i + "=", "max_tokens", 4, "seed", i));
            assertThat(r.status()).as(r.toString()).isEqualTo(200);
            prompt += r.json().get("usage").get("prompt_tokens").asLong();
            completion += r.json().get("usage").get("completion_tokens").asLong();
        }
        ApiResponse chat = team.calls().post("/v1/chat/completions", Map.of("model", model, "messages",
                List.of(Map.of("role", "user", "content", "2+2")), "max_tokens", 3, "n", 2, "seed", 1));
        assertThat(chat.status()).as(chat.toString()).isEqualTo(200);
        prompt += chat.json().get("usage").get("prompt_tokens").asLong();
        completion += chat.json().get("usage").get("completion_tokens").asLong();
        ServingFixtures.Stream s = ServingFixtures.stream(api, team.key(), "/v1/completions", Map.of("model", model,
                "prompt", "3+", "max_tokens", 5, "stream", true, "stream_options", Map.of("include_usage", true),
                "seed", 3));
        JsonNode usage = s.chunks().get(s.chunks().size() - 1).get("usage");
        prompt += usage.get("prompt_tokens").asLong();
        completion += usage.get("completion_tokens").asLong();

        JsonNode row = awaitRow(team, "/v1/usage?from=" + today + "&to=" + today, 5);
        assertThat(row.get("date").asString()).isEqualTo(today);
        assertThat(row.get("model").asString()).isEqualTo(model);
        assertThat(row.get("prompt_tokens").asLong()).isEqualTo(prompt);
        assertThat(row.get("completion_tokens").asLong()).isEqualTo(completion);
        assertThat(row.get("images").asLong()).isZero();

        ApiResponse filtered = team.calls().get("/v1/usage?model=" + model);
        assertThat(filtered.json().get("object").asString()).isEqualTo("list");
        assertThat(filtered.json().get("data")).hasSize(1);
        assertThat(team.calls().get("/v1/usage?model=mdl_none").json().get("data")).isEmpty();
        assertThat(team.calls().get("/v1/usage?from=2000-01-01&to=2000-01-31").json().get("data")).isEmpty();

        // another team sees none of it
        ApiResponse theirs = other.calls().get("/v1/usage?from=" + today + "&to=" + today);
        assertThat(theirs.status()).isEqualTo(200);
        assertThat(theirs.json().get("data")).isEmpty();
    }

    /** Waits for the asynchronous record of {@code requests} requests, returns the team's only row. */
    private JsonNode awaitRow(Team t, String path, long requests) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            ApiResponse r = t.calls().get(path);
            assertThat(r.status()).as(r.toString()).isEqualTo(200);
            JsonNode data = r.json().get("data");
            if (data.size() == 1 && data.get(0).get("requests").asLong() >= requests) {
                assertThat(data.get(0).get("requests").asLong()).isEqualTo(requests);
                return data.get(0);
            }
            assertThat(System.nanoTime()).as("usage never reached %d requests: %s", requests, r).isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    @Test
    void cancelledStreamCountsTheTokensItProduced() throws Exception {
        Team t = api.newTeam("usage-cancel");
        String m = ServingFixtures.pretrain(t, ServingFixtures.corpus(t), "tiny-cancel", 11).get("id").asString();
        int full = ServingFixtures.BLOCK_SIZE - 3;
        Map<String, Object> req = new LinkedHashMap<>(Map.of("model", m, "prompt", "1", "max_tokens", full,
                "temperature", 0));
        ApiResponse whole = t.calls().post("/v1/completions", req);
        // greedy decoding of this barely trained model runs to max_tokens, long enough to outlast a disconnect
        assertThat(whole.json().get("choices").get(0).get("finish_reason").asString()).as(whole.toString())
                .isEqualTo("length");
        req.put("stream", true);
        HttpURLConnection c = ServingFixtures.open(api, t.key(), "/v1/completions", req);
        assertThat(c.getResponseCode()).isEqualTo(200);
        BufferedReader in = new BufferedReader(new InputStreamReader(c.getInputStream(),
                StandardCharsets.UTF_8));
        assertThat(in.readLine()).startsWith("data: ");
        c.disconnect(); // closes the socket mid-stream: the generation is cancelled

        JsonNode row = awaitRow(t, "/v1/usage?model=" + m, 2);
        assertThat(row.get("prompt_tokens").asLong()).isEqualTo(4); // BOS + "1", twice
        long cancelled = row.get("completion_tokens").asLong() - full;
        assertThat(cancelled).isBetween(1L, full - 1L);
    }

    @Test
    void concurrentAdditionsLoseNothing() throws Exception {
        String t = "team_concurrent_usage";
        LocalDate day = LocalDate.of(2026, 1, 2);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> fs = new ArrayList<>();
        for (int i = 0; i < 80; i++) {
            fs.add(pool.submit(() -> store.add(t, day, "mdl_x", 1, 3, 5, 0)));
        }
        for (Future<?> f : fs) {
            f.get();
        }
        pool.shutdown();
        UsageStore.UsageRow row = store.find(t, day, day, null).get(0);
        assertThat(row.requests()).isEqualTo(80);
        assertThat(row.promptTokens()).isEqualTo(240);
        assertThat(row.completionTokens()).isEqualTo(400);
    }

    @Test
    void badParametersAreProblemsWithPointers() {
        assertProblem("/v1/usage?from=2026-13-01", "/from");
        assertProblem("/v1/usage?to=yesterday", "/to");
        assertProblem("/v1/usage?from=2026-02-01&to=2026-01-01", "/from");
        assertProblem("/v1/usage?from=2020-01-01&to=2026-01-01", "/to");
        assertProblem("/v1/usage?model=", "/model");
        ApiResponse both = team.calls().get("/v1/usage?from=x&to=y");
        assertThat(both.json().get("errors")).hasSize(2);
        ApiResponse anon = api.anonymous().get("/v1/usage");
        assertThat(anon.status()).isEqualTo(401);
    }

    private void assertProblem(String path, String pointer) {
        ApiResponse r = team.calls().get(path);
        assertThat(r.status()).as(r.toString()).isEqualTo(400);
        assertThat(r.contentType().toString()).startsWith("application/problem+json");
        assertThat(r.json().get("code").asString()).isEqualTo("invalid_parameter");
        assertThat(r.json().get("errors").get(0).get("pointer").asString()).as(r.toString()).isEqualTo(pointer);
    }
}
