package dev.tropism.jobs;

import static dev.tropism.jobs.FlowApiFixtures.awaitModelReady;
import static dev.tropism.jobs.FlowApiFixtures.awaitSucceeded;
import static dev.tropism.jobs.FlowApiFixtures.detailAt;
import static dev.tropism.jobs.FlowApiFixtures.pointers;
import static dev.tropism.jobs.FlowApiFixtures.stepsOf;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import dev.tropism.support.TropismTestClient.Calls;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * A {@code ppo} job through the REST API on the real engine: a tiny base pretrained on generated arithmetic, an
 * exact-match reward, PPO with mini-batches, held-out evaluation and checkpoints; and its out-of-range knobs as 422s at
 * their pointers.
 */
@TropismIntegrationTest
@TestPropertySource(properties = {"tropism.jobs.checkpoint-interval=2", "tropism.jobs.poll-interval=50ms",
        "tropism.jobs.max-concurrent=1"})
class PpoJobTest {

    @Autowired TropismTestClient api;

    @Test
    void ppoJobRunsWithItsMetricsAndCheckpoints() throws Exception {
        Calls calls = api.newTeam("ppo").calls();
        ApiResponse sets = calls.post("/v1/datasets/generate", Map.of("generator", "arithmetic", "digits", 1,
                "corpus_size", 60, "train_prompts", 16, "eval_prompts", 8));
        assertThat(sets.status()).as(sets.toString()).isEqualTo(201);
        JsonNode data = sets.json().get("data");
        String corpus = data.get(0).get("id").asString();
        String train = data.get(1).get("id").asString();
        String eval = data.get(2).get("id").asString();
        ApiResponse created = calls.post("/v1/models", Map.of("name", "tiny", "recipe", "tiny-gpt", "dataset", corpus,
                "hyperparameters", Map.of("n_layer", 1, "n_embd", 32, "n_head", 2, "block_size", 12, "max_steps", 30,
                        "batch_size", 16, "eval_interval", 10)));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String base = created.json().get("id").asString();
        awaitModelReady(calls, base);
        ApiResponse spec = calls.post("/v1/reward-specs", Map.of("name", "exact-answer", "grader", Map.of(
                "type", "string_check", "name", "exact", "input", "{{sample.output_text}}",
                "reference", "{{item.answer}}", "operation", "eq")));
        assertThat(spec.status()).as(spec.toString()).isEqualTo(201);
        String rewardSpec = spec.json().get("id").asString();

        // --- out-of-range knobs are 422s at their pointers, before anything runs ---
        ApiResponse bad = submit(calls, base, train, eval, rewardSpec, Map.of("cliprange", 1.5));
        assertThat(pointers(bad)).containsExactly("/method/ppo/cliprange");
        assertThat(detailAt(bad, "/method/ppo/cliprange")).contains("(0, 1)");
        ApiResponse uneven = submit(calls, base, train, eval, rewardSpec, Map.of("num_mini_batches", 3));
        assertThat(pointers(uneven)).containsExactly("/method/ppo/num_mini_batches");

        // --- a PPO job: 4 prompts × 2 samples, 2 epochs of 2 mini-batches, eval and checkpoints every 2 steps ---
        ApiResponse r = submit(calls, base, train, eval, rewardSpec, Map.of());
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        String job = r.json().get("id").asString();
        JsonNode done = awaitSucceeded(calls, job);
        assertThat(done.get("current_step").asInt()).isEqualTo(4);

        JsonNode metrics = calls.get("/v1/jobs/" + job + "/metrics").json().get("metrics");
        for (String name : List.of("train/loss", "train/policy_loss", "train/value_loss", "train/clip_ratio",
                "train/value_clip_ratio", "train/kl", "train/entropy", "train/value/mean", "train/advantage/mean",
                "train/reward/mean", "train/reward/exact/mean", "train/completion_length/mean", "train/grad_norm",
                "train/lr")) {
            assertThat(metrics.has(name)).as("metric %s in %s", name, metrics.propertyNames()).isTrue();
            assertThat(stepsOf(metrics.get(name))).as(name).containsExactly(1, 2, 3, 4);
        }
        assertThat(metrics.has("train/explained_variance")).isTrue();
        for (String name : List.of("eval/reward/mean", "eval/accuracy")) {
            assertThat(stepsOf(metrics.get(name))).as(name).containsExactly(0, 2, 4);
        }
        JsonNode checkpoints = calls.get("/v1/jobs/" + job + "/checkpoints").json().get("data");
        assertThat(stepsOf(checkpoints)).containsExactly(2, 4);
        assertThat(done.get("result_model").asString()).isNotBlank();
        assertThat(awaitModelReady(calls, done.get("result_model").asString()).get("parent").asString())
                .isEqualTo(base);
    }

    private static ApiResponse submit(Calls calls, String model, String dataset, String evalDataset, String rewardSpec,
            Map<String, Object> overrides) {
        Map<String, Object> ppo = new LinkedHashMap<>();
        ppo.put("max_steps", 4);
        ppo.put("prompts_per_step", 4);
        ppo.put("num_generations", 2);
        ppo.put("ppo_epochs", 2);
        ppo.put("num_mini_batches", 2);
        ppo.put("max_completion_length", 3);
        ppo.put("eval_interval", 2);
        ppo.put("eval_limit", 8);
        ppo.putAll(overrides);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("model", model);
        body.put("dataset", dataset);
        body.put("eval_dataset", evalDataset);
        body.put("reward_spec", rewardSpec);
        body.put("method", Map.of("type", "ppo", "ppo", ppo));
        body.put("seed", 7);
        return calls.post("/v1/jobs", body);
    }
}
