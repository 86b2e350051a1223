package dev.tropism.serving;

import static dev.tropism.serving.ServingFixtures.BLOCK_SIZE;
import static dev.tropism.serving.ServingFixtures.error;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import dev.tropism.support.TropismTestClient.Team;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.HttpURLConnection;
import java.nio.charset.StandardCharsets;
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
 * The OpenAI-compatible endpoints on a real tiny model pretrained through the API, on PostgreSQL: wire
 * formats whole and streamed, checkpoint ids, team isolation, errors, seeds, and disconnects.
 */
@TropismIntegrationTest
@TestPropertySource(properties = {"tropism.jobs.poll-interval=50ms", "tropism.serving.max-n=8"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ServingApiTest {

    @Autowired TropismTestClient api;
    @Autowired MeterRegistry meters;

    Team team;
    Team other;
    String model;
    String checkpoint;

    @BeforeAll
    void pretrain() throws Exception {
        team = api.newTeam("serving");
        other = api.newTeam("other");
        JsonNode m = ServingFixtures.pretrain(team, ServingFixtures.corpus(team), "tiny", 11);
        model = m.get("id").asString();
        checkpoint = m.get("checkpoint").asString();
        assertThat(checkpoint).startsWith("ckpt_");
    }

    private Map<String, Object> body(Object... kv) {
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("model", model);
        for (int i = 0; i < kv.length; i += 2) {
            b.put((String) kv[i], kv[i + 1]);
        }
        return b;
    }

    @Test
    void completionWireFormat() {
        ApiResponse r = team.calls().post("/v1/completions", body("prompt", "1+2=", "max_tokens", 5, "seed", 7,
                "logprobs", 2));
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        JsonNode j = r.json();
        assertThat(j.get("id").asString()).startsWith("cmpl-");
        assertThat(j.get("object").asString()).isEqualTo("text_completion");
        assertThat(j.get("created").isIntegralNumber()).isTrue();
        assertThat(j.get("model").asString()).isEqualTo(model);
        JsonNode c = j.get("choices").get(0);
        assertThat(c.get("index").asInt()).isZero();
        assertThat(c.get("finish_reason").asString()).isIn("stop", "length");
        String text = c.get("text").asString();
        assertThat(text.length()).isLessThanOrEqualTo(5);
        JsonNode lp = c.get("logprobs");
        assertThat(lp.get("tokens")).hasSize(text.length());
        assertThat(lp.get("token_logprobs")).hasSize(text.length());
        assertThat(lp.get("text_offset")).hasSize(text.length());
        lp.get("top_logprobs").forEach(t -> assertThat(t.size()).isBetween(1, 2));
        JsonNode usage = j.get("usage");
        assertThat(usage.get("prompt_tokens").asInt()).isEqualTo(5); // BOS + 4 characters
        assertThat(usage.get("total_tokens").asInt())
                .isEqualTo(5 + usage.get("completion_tokens").asInt());
    }

    @Test
    void seedsReproduceAloneAndBatchedAndNChoicesUseConsecutiveSeeds() throws Exception {
        String alone = text(team.calls().post("/v1/completions", body("prompt", "3+4=", "max_tokens", 12, "seed", 42)), 0);
        assertThat(text(team.calls().post("/v1/completions", body("prompt", "3+4=", "max_tokens", 12, "seed", 42)), 0))
                .isEqualTo(alone);
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<ApiResponse>> batched = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                batched.add(pool.submit(() -> team.calls().post("/v1/completions",
                        body("prompt", "3+4=", "max_tokens", 12, "seed", 42))));
            }
            for (Future<ApiResponse> f : batched) {
                assertThat(text(f.get(), 0)).isEqualTo(alone);
            }
        } finally {
            pool.shutdownNow();
        }
        // n = 3 with two prompts: 6 choices, choice k sampled with seed + k
        ApiResponse n = team.calls().post("/v1/completions", body("prompt", List.of("3+4=", "5+1="), "n", 3,
                "max_tokens", 12, "seed", 40));
        assertThat(n.json().get("choices")).hasSize(6);
        assertThat(text(n, 2)).isEqualTo(alone); // prompt 0, sample 2: seed 40 + 2
        for (int k = 0; k < 6; k++) {
            assertThat(n.json().get("choices").get(k).get("index").asInt()).isEqualTo(k);
        }
        assertThat(n.json().get("usage").get("prompt_tokens").asInt()).isEqualTo(10);
    }

    private static String text(ApiResponse r, int choice) {
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return r.json().get("choices").get(choice).get("text").asString();
    }

    @Test
    void chatWireFormat() {
        ApiResponse r = team.calls().post("/v1/chat/completions", body("messages",
                List.of(Map.of("role", "system", "content", "add"), Map.of("role", "user", "content", "2+2")),
                "max_tokens", 6, "seed", 3, "logprobs", true, "top_logprobs", 1));
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        JsonNode j = r.json();
        assertThat(j.get("id").asString()).startsWith("chatcmpl-");
        assertThat(j.get("object").asString()).isEqualTo("chat.completion");
        JsonNode c = j.get("choices").get(0);
        assertThat(c.get("message").get("role").asString()).isEqualTo("assistant");
        String content = c.get("message").get("content").asString();
        assertThat(c.get("logprobs").get("content")).hasSize(content.length());
        assertThat(c.get("finish_reason").asString()).isIn("stop", "length");
        // "system: add\nuser: 2+2\nassistant: " is 12 + 10 + 11 characters, plus BOS
        assertThat(j.get("usage").get("prompt_tokens").asInt()).isEqualTo(34);
    }

    @Test
    void completionStreamFramingMatchesTheWholeAnswer() throws Exception {
        Map<String, Object> req = body("prompt", "6+1=", "max_tokens", 10, "seed", 5);
        String whole = text(team.calls().post("/v1/completions", req), 0);
        req.put("stream", true);
        req.put("stream_options", Map.of("include_usage", true));
        ServingFixtures.Stream s = ServingFixtures.stream(api, team.key(), "/v1/completions", req);
        assertThat(s.status()).as(s.raw()).isEqualTo(200);
        assertThat(s.contentType()).startsWith("text/event-stream");
        assertThat(s.raw()).endsWith("data: [DONE]\n\n");
        assertThat(s.raw().split("\n\n")).allMatch(e -> e.startsWith("data: "));
        assertThat(s.data().get(s.data().size() - 1)).isEqualTo("[DONE]");
        List<JsonNode> chunks = s.chunks();
        StringBuilder text = new StringBuilder();
        String finish = null;
        for (JsonNode c : chunks) {
            assertThat(c.get("object").asString()).isEqualTo("text_completion");
            assertThat(c.get("id").asString()).isEqualTo(chunks.get(0).get("id").asString());
            if (!c.get("choices").isEmpty()) {
                text.append(c.get("choices").get(0).get("text").asString());
                if (!c.get("choices").get(0).get("finish_reason").isNull()) {
                    finish = c.get("choices").get(0).get("finish_reason").asString();
                }
            }
        }
        assertThat(text.toString()).isEqualTo(whole);
        assertThat(finish).isIn("stop", "length");
        JsonNode last = chunks.get(chunks.size() - 1);
        assertThat(last.get("choices")).isEmpty();
        assertThat(last.get("usage").get("prompt_tokens").asInt()).isEqualTo(5);
    }

    @Test
    void chatStreamSendsRoleThenDeltasThenFinish() throws Exception {
        ServingFixtures.Stream s = ServingFixtures.stream(api, team.key(), "/v1/chat/completions", body("messages",
                List.of(Map.of("role", "user", "content", "1+1")), "max_tokens", 8, "seed", 9, "stream", true));
        assertThat(s.status()).as(s.raw()).isEqualTo(200);
        assertThat(s.raw()).endsWith("data: [DONE]\n\n");
        List<JsonNode> chunks = s.chunks();
        assertThat(chunks).allMatch(c -> c.get("object").asString().equals("chat.completion.chunk"));
        assertThat(chunks.get(0).get("choices").get(0).get("delta").get("role").asString()).isEqualTo("assistant");
        JsonNode last = chunks.get(chunks.size() - 1).get("choices").get(0);
        assertThat(last.get("delta").isEmpty()).isTrue();
        assertThat(last.get("finish_reason").asString()).isIn("stop", "length");
    }

    @Test
    void checkpointIdsAreServedAndTeamsAreIsolated() {
        ApiResponse byCheckpoint = team.calls().post("/v1/completions", body("model", checkpoint, "prompt", "2+2=",
                "max_tokens", 4, "seed", 1));
        assertThat(byCheckpoint.status()).as(byCheckpoint.toString()).isEqualTo(200);
        assertThat(byCheckpoint.json().get("model").asString()).isEqualTo(checkpoint);
        assertThat(text(byCheckpoint, 0)).isEqualTo(text(team.calls().post("/v1/completions",
                body("prompt", "2+2=", "max_tokens", 4, "seed", 1)), 0));
        for (String id : List.of(model, checkpoint)) {
            JsonNode e = error(other.calls().post("/v1/completions", body("model", id, "prompt", "1")), 404);
            assertThat(e.get("code").asString()).isEqualTo("model_not_found");
            assertThat(e.get("param").asString()).isEqualTo("model");
            error(other.calls().post("/v1/chat/completions", body("model", id, "messages",
                    List.of(Map.of("role", "user", "content", "1")))), 404);
        }
    }

    @Test
    void errorsUseTheOpenAiShape() throws Exception {
        assertThat(error(team.calls().post("/v1/completions", body("model", "model_nope", "prompt", "1")), 404)
                .get("type").asString()).isEqualTo("invalid_request_error");
        assertThat(error(team.calls().post("/v1/completions", body("prompt", "1", "max_tokens", BLOCK_SIZE)), 400)
                .get("param").asString()).isEqualTo("max_tokens");
        assertThat(error(team.calls().post("/v1/completions", body("prompt", "1", "n", 9)), 400)
                .get("param").asString()).isEqualTo("n");
        assertThat(error(team.calls().post("/v1/completions", body("prompt", "1", "temperature", 2.5)), 400)
                .get("param").asString()).isEqualTo("temperature");
        assertThat(error(team.calls().post("/v1/completions", body("prompt", "1".repeat(BLOCK_SIZE))), 400)
                .get("param").asString()).isEqualTo("prompt");
        assertThat(error(team.calls().post("/v1/completions", body("prompt", "1", "top_p", 0)), 400)
                .get("param").asString()).isEqualTo("top_p");
        assertThat(error(team.calls().post("/v1/completions", body("prompt", "1", "stop", List.of("a", "b", "c", "d",
                "e"))), 400).get("param").asString()).isEqualTo("stop");
        assertThat(error(team.calls().post("/v1/completions", body("prompt", "1", "bogus", 1)), 400)
                .get("param").asString()).isEqualTo("bogus");
        assertThat(error(team.calls().post("/v1/completions", body("prompt", 12)), 400)
                .get("param").asString()).isEqualTo("prompt");
        assertThat(error(team.calls().post("/v1/completions", body("prompt", "1", "max_tokens", 1.5)), 400)
                .get("param").asString()).isEqualTo("max_tokens");
        assertThat(error(team.calls().post("/v1/chat/completions", body("messages", List.of(Map.of("role", "robot",
                "content", "x")))), 400).get("param").asString()).isEqualTo("messages[0].role");
        error(team.calls().post("/v1/completions", "{not json"), 400);
        error(team.calls().post("/v1/completions", "[]"), 400);
        error(team.calls().post("/v1/completions", Map.of("prompt", "1")), 400); // no model
        String huge = "{\"model\":\"" + model + "\",\"prompt\":\"" + "x".repeat(1_100_000) + "\"}";
        assertThat(error(team.calls().post("/v1/completions", huge), 413).get("code").asString())
                .isEqualTo("request_too_large");
        ServingFixtures.Stream badKey = ServingFixtures.stream(api, "tro_notakey", "/v1/completions", body("prompt", "1"));
        assertThat(badKey.status()).isEqualTo(401);
        JsonNode unauthorized = ServingFixtures.JSON.readTree(badKey.raw()).get("error");
        assertThat(unauthorized.get("code").asString()).isEqualTo("invalid_api_key");
        assertThat(unauthorized.get("type").asString()).isEqualTo("authentication_error");
        // the rest of the API keeps RFC 9457 problems
        ApiResponse problem = team.calls().get("/v1/models/model_nope");
        assertThat(problem.status()).isEqualTo(404);
        assertThat(problem.json().has("error")).isFalse();
        assertThat(problem.json().get("code").asString()).isEqualTo("not_found");
    }

    @Test
    void modelListIsAnOpenAiList() {
        JsonNode list = team.calls().get("/v1/models").json();
        assertThat(list.get("object").asString()).isEqualTo("list");
        JsonNode m = list.get("data").get(0);
        assertThat(m.get("id").asString()).isEqualTo(model);
        assertThat(m.get("object").asString()).isEqualTo("model");
        assertThat(m.get("created").isIntegralNumber()).isTrue();
        assertThat(m.get("created").asLong()).isGreaterThan(1_700_000_000L);
        assertThat(m.get("owned_by").asString()).isEqualTo(team.id());
    }

    @Test
    void disconnectCancelsGeneration() throws Exception {
        // Greedy decoding of this barely trained model runs to max_tokens (checked first), long enough that
        // the client is gone while it still generates.
        Map<String, Object> req = body("prompt", "1", "max_tokens", BLOCK_SIZE - 3, "temperature", 0);
        ApiResponse whole = team.calls().post("/v1/completions", req);
        assertThat(whole.json().get("choices").get(0).get("finish_reason").asString()).as(whole.toString())
                .isEqualTo("length");
        double before = cancelled();
        req.put("stream", true);
        HttpURLConnection c = ServingFixtures.open(api, team.key(), "/v1/completions", req);
        assertThat(c.getResponseCode()).isEqualTo(200);
        BufferedReader in = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.UTF_8));
        assertThat(in.readLine()).startsWith("data: ");
        c.disconnect(); // closes the socket mid-stream
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (cancelled() == before && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(cancelled()).isEqualTo(before + 1);
    }

    private double cancelled() {
        var c = meters.find(CompletionService.GENERATIONS_METRIC).tag("finish_reason", "cancelled").counter();
        return c == null ? 0 : c.count();
    }
}
