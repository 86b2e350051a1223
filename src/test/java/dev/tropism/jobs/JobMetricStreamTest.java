package dev.tropism.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.datasets.DatasetPurpose;
import dev.tropism.engine.PolicyFamily;
import dev.tropism.models.ModelRecord;
import dev.tropism.models.ModelStore;
import dev.tropism.storage.ObjectStore;
import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import dev.tropism.support.TropismTestClient.Team;
import dev.tropism.web.Ids;
import java.io.ByteArrayInputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Import;
import org.springframework.http.HttpMethod;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** {@code GET /v1/jobs/{id}/metrics} as server-sent events: every recorded value exactly once, then the end. */
@TropismIntegrationTest
@Import(JobsTestConfig.class)
@TestPropertySource(properties = {"tropism.jobs.poll-interval=50ms", "tropism.jobs.max-concurrent=1"})
class JobMetricStreamTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Autowired TropismTestClient api;
    @Autowired JobsTestConfig.FakeCatalog catalog;
    @Autowired ModelStore models;
    @Autowired ObjectStore objects;

    Team team;
    Map<String, Object> body;

    @BeforeEach
    void setUp() throws Exception {
        team = api.newTeam("metrics-stream");
        String model = Ids.newId("model_");
        models.insert(new ModelRecord(0, model, team.id(), "base", PolicyFamily.LANGUAGE_MODEL, "tiny-gpt", ModelRecord.READY, null,
                null, null, ModelRecord.prefixOf(model), 1000L, Instant.now()));
        objects.put(ModelRecord.prefixOf(model) + "config.json", new ByteArrayInputStream("{}".getBytes()));
        String prompts = catalog.addDataset(team.id(), DatasetPurpose.PROMPTS, List.of(Map.of("prompt", "1+1=", "answer", "2")));
        Map<String, Object> grpo = new HashMap<>(Map.of("max_steps", 8, "warmup_steps", 0, "eval_interval", 4));
        body = new HashMap<>(Map.of("model", model, "dataset", prompts, "reward_spec",
                catalog.addRewardSpec(team.id(), Set.of("answer")), "method", Map.of("type", "grpo", "grpo", grpo),
                "metadata", Map.of("step_millis", 40)));
    }

    @Test
    void streamsEveryStepWhileTheJobRunsAndEndsWithIt() {
        ApiResponse submitted = team.calls().post("/v1/jobs", body);
        assertThat(submitted.status()).as(submitted.toString()).isEqualTo(201);
        String id = submitted.json().get("id").asString();

        // Opened right away: most steps are recorded while the stream is open, so they come from polling.
        ApiResponse r = team.calls().withHeader("Accept", "text/event-stream")
                .exchange(HttpMethod.GET, "/v1/jobs/" + id + "/metrics", null, null);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        assertThat(r.contentType().toString()).startsWith("text/event-stream");

        // Merge the events by (name, step): each value must arrive exactly once.
        Map<String, TreeMap<Integer, Double>> streamed = new TreeMap<>();
        List<String> events = new ArrayList<>();
        for (String line : r.text().split("\n")) {
            if (line.startsWith("event:")) {
                events.add(line.substring("event:".length()));
            } else if (line.startsWith("data:")) {
                JsonNode e = JSON.readTree(line.substring("data:".length()));
                int step = e.get("step").asInt();
                for (Map.Entry<String, JsonNode> v : e.get("metrics").properties()) {
                    Double before = streamed.computeIfAbsent(v.getKey(), k -> new TreeMap<>()).put(step, v.getValue().asDouble());
                    assertThat(before).as("%s at step %d sent twice", v.getKey(), step).isNull();
                }
            }
        }
        assertThat(events).isNotEmpty().allMatch("metrics"::equals);

        // The stream ended because the job did, and it carried exactly what the JSON endpoint stores.
        assertThat(team.calls().get("/v1/jobs/" + id).json().get("status").asString()).isEqualTo("succeeded");
        JsonNode stored = team.calls().get("/v1/jobs/" + id + "/metrics").json().get("metrics");
        Map<String, TreeMap<Integer, Double>> expected = new TreeMap<>();
        for (Map.Entry<String, JsonNode> series : stored.properties()) {
            for (JsonNode p : series.getValue()) {
                expected.computeIfAbsent(series.getKey(), k -> new TreeMap<>()).put(p.get("step").asInt(), p.get("value").asDouble());
            }
        }
        assertThat(streamed).isEqualTo(expected);
        assertThat(streamed.get("train/loss").keySet()).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
        assertThat(streamed.get("eval/accuracy").keySet()).contains(4, 8);
    }

    @Test
    void anotherTeamsJobIsNotFoundAndAKeyIsRequired() {
        String id = team.calls().post("/v1/jobs", body).json().get("id").asString();
        Team other = api.newTeam("other");
        assertThat(other.calls().withHeader("Accept", "text/event-stream")
                .exchange(HttpMethod.GET, "/v1/jobs/" + id + "/metrics", null, null).status()).isEqualTo(404);
        assertThat(api.anonymous().withHeader("Accept", "text/event-stream")
                .exchange(HttpMethod.GET, "/v1/jobs/" + id + "/metrics", null, null).status()).isEqualTo(401);
    }
}
