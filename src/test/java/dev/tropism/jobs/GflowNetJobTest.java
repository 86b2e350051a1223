package dev.tropism.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import dev.tropism.support.TropismTestClient.Team;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * A {@code gflownet} job through the REST API on the real engine: a tiny pretrained base, an exact-match reward,
 * trajectory balance with replay, held-out evaluation and checkpoints; and a bad {@code loss_type} is a 422 at its
 * pointer. (The same properties as {@link RealEngineEndToEndTest}, so that both share one application context.)
 */
@TropismIntegrationTest
@TestPropertySource(properties = {"tropism.jobs.checkpoint-interval=2", "tropism.jobs.poll-interval=50ms",
        "tropism.jobs.max-concurrent=1"})
class GflowNetJobTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    @Autowired TropismTestClient api;

    @Test
    void gflownetJobTrainsAndLogsItsMetrics() throws Exception {
        Team team = api.newTeam("gfn");
        ApiResponse sets = team.calls().post("/v1/datasets/generate", Map.of("generator", "arithmetic", "digits", 1,
                "corpus_size", 60, "train_prompts", 16, "eval_prompts", 8));
        assertThat(sets.status()).as(sets.toString()).isEqualTo(201);
        JsonNode data = sets.json().get("data");
        String corpus = data.get(0).get("id").asString();
        String train = data.get(1).get("id").asString();
        String eval = data.get(2).get("id").asString();

        Map<String, Object> hp = new LinkedHashMap<>();
        hp.put("n_layer", 1);
        hp.put("n_embd", 32);
        hp.put("n_head", 2);
        hp.put("block_size", 12);
        hp.put("max_steps", 20);
        hp.put("batch_size", 16);
        ApiResponse created = team.calls().post("/v1/models", Map.of("name", "tiny", "recipe", "tiny-gpt",
                "dataset", corpus, "hyperparameters", hp));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String base = created.json().get("id").asString();
        awaitStatus(team, created.json().get("job").asString(), "succeeded");

        ApiResponse spec = team.calls().post("/v1/reward-specs", Map.of("name", "exact-answer", "grader", Map.of(
                "type", "string_check", "name", "exact", "input", "{{sample.output_text}}",
                "reference", "{{item.answer}}", "operation", "eq")));
        assertThat(spec.status()).as(spec.toString()).isEqualTo(201);
        String rewardSpec = spec.json().get("id").asString();

        // A bad loss_type (and a replay ratio out of range) are 422s at their pointers.
        ApiResponse bad = team.calls().post("/v1/jobs", body(base, train, eval, rewardSpec,
                Map.of("loss_type", "detailed_balance", "replay_ratio", 2)));
        assertThat(bad.status()).as(bad.toString()).isEqualTo(422);
        assertThat(bad.contentType().toString()).startsWith("application/problem+json");
        List<String> pointers = new ArrayList<>();
        bad.json().path("errors").forEach(e -> pointers.add(e.get("pointer").asString()));
        assertThat(pointers).as(bad.toString()).containsExactlyInAnyOrder("/method/gflownet/loss_type",
                "/method/gflownet/replay_ratio");
        assertThat(bad.toString()).contains("trajectory_balance, subtb");

        Map<String, Object> gfn = new LinkedHashMap<>();
        gfn.put("max_steps", 4);
        gfn.put("prompts_per_step", 4);
        gfn.put("num_generations", 4);
        gfn.put("max_completion_length", 3);
        gfn.put("eval_interval", 2);
        gfn.put("eval_limit", 8);
        gfn.put("eval_samples_per_prompt", 4);
        gfn.put("loss_type", "subtb");
        gfn.put("replay_ratio", 0.5);
        ApiResponse submitted = team.calls().post("/v1/jobs", body(base, train, eval, rewardSpec, gfn));
        assertThat(submitted.status()).as(submitted.toString()).isEqualTo(201);
        String job = submitted.json().get("id").asString();
        JsonNode done = awaitStatus(team, job, "succeeded");
        assertThat(done.get("current_step").asInt()).isEqualTo(4);

        JsonNode all = team.calls().get("/v1/jobs/" + job + "/metrics").json().get("metrics");
        for (String name : List.of("train/loss", "train/log_z/mean", "train/distinct_correct", "train/replay_fraction",
                "train/reward/mean", "train/reward/exact/mean", "train/completion_length/mean", "train/grad_norm",
                "train/lr", "perf/reward_seconds")) {
            assertThat(all.has(name)).as("metric %s in %s", name, all.propertyNames()).isTrue();
            assertThat(stepsOf(all.get(name))).as(name).containsExactly(1, 2, 3, 4);
        }
        for (String name : List.of("eval/accuracy", "eval/reward/mean", "eval/distinct_correct")) {
            assertThat(all.has(name)).as("metric %s in %s", name, all.propertyNames()).isTrue();
            assertThat(stepsOf(all.get(name))).as(name).containsExactly(0, 2, 4);
        }
        all.get("eval/distinct_correct").forEach(p -> assertThat(p.get("value").asDouble()).isBetween(0.0, 4.0));
        all.get("train/replay_fraction").forEach(p -> assertThat(p.get("value").asDouble()).isBetween(0.0, 0.5));
        JsonNode ckpts = team.calls().get("/v1/jobs/" + job + "/checkpoints").json().get("data");
        assertThat(stepsOf(ckpts)).containsExactly(2, 4);
        assertThat(done.get("result_model").asString()).isNotBlank();
    }

    private static Map<String, Object> body(String model, String dataset, String evalDataset, String rewardSpec,
            Map<String, Object> gflownet) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("model", model);
        body.put("dataset", dataset);
        body.put("eval_dataset", evalDataset);
        body.put("reward_spec", rewardSpec);
        body.put("method", Map.of("type", "gflownet", "gflownet", gflownet));
        body.put("seed", 7);
        return body;
    }

    private static JsonNode awaitStatus(Team team, String id, String status) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (true) {
            ApiResponse r = team.calls().get("/v1/jobs/" + id);
            assertThat(r.status()).as(r.toString()).isEqualTo(200);
            String now = r.json().get("status").asString();
            if (now.equals(status)) {
                return r.json();
            }
            assertThat(now).as("job %s: %s", id, r).isNotIn("failed", "cancelled", "succeeded");
            assertThat(System.nanoTime()).as("job %s never became %s: %s", id, status, r).isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    private static List<Integer> stepsOf(JsonNode series) {
        List<Integer> out = new ArrayList<>();
        series.forEach(p -> out.add(p.get("step").asInt()));
        return out;
    }
}
