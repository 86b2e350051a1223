package dev.tropism.jobs;

import static dev.tropism.jobs.FlowApiFixtures.awaitModelReady;
import static dev.tropism.jobs.FlowApiFixtures.awaitSucceeded;
import static dev.tropism.jobs.FlowApiFixtures.metrics;
import static dev.tropism.jobs.FlowApiFixtures.pointers;
import static dev.tropism.jobs.FlowApiFixtures.stepsOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import dev.tropism.support.TropismTestClient.Team;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Methods {@code dpo} and {@code online_dpo} through the REST API with the real engine: a tiny base model that answers
 * the prompts "a=".."h=" with "x", "y" or "z" alike, a DPO job on an uploaded preference set (x over y and z) with
 * held-out pairs and checkpoints, an online DPO job scored by an exact-match reward spec, and each method's validation.
 */
@TropismIntegrationTest
// RewardModelJobTest's properties: one application context (and database) serves both classes
@TestPropertySource(properties = {"tropism.jobs.checkpoint-interval=20", "tropism.jobs.poll-interval=50ms",
        "tropism.reward-models.cache-size=1"})
class DpoJobsTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int PROMPTS = 8;

    /** One team and base model for the class's tests (pretraining is its slowest part). */
    private static Team team;
    private static String base;

    @Autowired TropismTestClient api;

    @BeforeEach
    void pretrainOnce() throws InterruptedException {
        if (base == null) {
            team = api.newTeam("dpo");
            base = pretrainBase(team);
        }
    }

    @Test
    void dpoAndOnlineDpoJobsTrainAndLogTheirMetrics() throws Exception {
        StringBuilder pairs = new StringBuilder();
        StringBuilder prompts = new StringBuilder();
        for (int p = 0; p < PROMPTS; p++) {
            String prompt = (char) ('a' + p) + "=";
            for (String rejected : List.of("y", "z")) {
                pairs.append(JSON.writeValueAsString(Map.of("prompt", prompt, "chosen", "x", "rejected", rejected)))
                        .append('\n');
            }
            prompts.append(JSON.writeValueAsString(Map.of("prompt", prompt, "answer", "x"))).append('\n');
        }
        String preferences = upload(team, pairs.toString(), "preferences");
        String promptSet = upload(team, prompts.toString(), "prompts");

        Map<String, Object> hp = new LinkedHashMap<>();
        hp.put("max_steps", 12);
        hp.put("batch_size", 16);
        hp.put("learning_rate", 3e-3);
        hp.put("eval_interval", 6);
        ApiResponse submitted = submit(Map.of("model", base, "dataset", preferences, "eval_dataset", preferences,
                "seed", 3, "suffix", "dpo", "method", Map.of("type", "dpo", "dpo", hp)));
        assertThat(submitted.status()).as(submitted.toString()).isEqualTo(201);
        String job = submitted.json().get("id").asString();
        JsonNode done = awaitSucceeded(team.calls(), job);
        assertThat(done.get("current_step").asInt()).isEqualTo(12);

        JsonNode metrics = metrics(team.calls(), job);
        for (String name : List.of("train/loss", "train/rewards/chosen", "train/rewards/rejected",
                "train/rewards/margins", "train/rewards/accuracies", "train/grad_norm", "train/lr")) {
            assertThat(stepsOf(metrics.get(name))).as(name + " in " + metrics.propertyNames()).hasSize(12);
        }
        for (String name : List.of("eval/loss", "eval/rewards/accuracies", "eval/rewards/margins")) {
            assertThat(stepsOf(metrics.get(name))).as(name).containsExactly(0, 6, 12);
        }
        JsonNode accuracies = metrics.get("eval/rewards/accuracies");
        JsonNode evalLoss = metrics.get("eval/loss");
        assertThat(evalLoss.get(0).get("value").asDouble()).as("π_θ = π_ref").isCloseTo(Math.log(2), offset(1e-5));
        assertThat(accuracies.get(2).get("value").asDouble()).as("eval accuracies %s", accuracies).isEqualTo(1.0);
        assertThat(evalLoss.get(2).get("value").asDouble()).as("eval loss %s", evalLoss).isLessThan(0.5);
        JsonNode checkpoints = team.calls().get("/v1/jobs/" + job + "/checkpoints").json().get("data");
        assertThat(stepsOf(checkpoints)).containsExactly(12);
        assertThat(done.get("result_model").asString()).startsWith("model_");

        // online DPO on the prompts with an exact-match reward
        String exact = exactMatchSpec(team);
        Map<String, Object> online = new LinkedHashMap<>();
        online.put("max_steps", 4);
        online.put("prompts_per_step", 4);
        online.put("max_completion_length", 3);
        online.put("eval_interval", 2);
        ApiResponse onlineJob = submit(Map.of("model", base, "dataset", promptSet, "eval_dataset", promptSet,
                "reward_spec", exact, "seed", 4, "method", Map.of("type", "online_dpo", "online_dpo", online)));
        assertThat(onlineJob.status()).as(onlineJob.toString()).isEqualTo(201);
        String onlineId = onlineJob.json().get("id").asString();
        awaitSucceeded(team.calls(), onlineId);
        JsonNode onlineMetrics = metrics(team.calls(), onlineId);
        for (String name : List.of("train/loss", "train/reward/mean", "train/reward/exact/mean",
                "train/frac_reward_zero_std", "train/completion_length/mean")) {
            assertThat(stepsOf(onlineMetrics.get(name))).as(name + " in " + onlineMetrics.propertyNames()).hasSize(4);
        }
        assertThat(onlineMetrics.has("train/rewards/margins")).as("%s", onlineMetrics.propertyNames()).isTrue();
        assertThat(stepsOf(onlineMetrics.get("eval/accuracy"))).containsExactly(0, 2, 4);
    }

    @Test
    void invalidDpoJobsAreProblemsWithPointers() throws Exception {
        String prompts = upload(team, "{\"prompt\":\"a=\",\"answer\":\"x\"}\n", "prompts");
        String prefs = upload(team, "{\"prompt\":\"a=\",\"chosen\":\"x\",\"rejected\":\"y\"}\n", "preferences");
        String exact = exactMatchSpec(team);
        Map<String, Object> shortOnline = Map.of("max_completion_length", 3);

        // dpo reads preferences, not prompts
        assertThat(pointers(submit(Map.of("model", base, "dataset", prompts, "method", Map.of("type", "dpo")))))
                .containsExactly("/dataset");
        // dpo has no reward spec
        assertThat(pointers(submit(Map.of("model", base, "dataset", prefs, "reward_spec", exact,
                "method", Map.of("type", "dpo"))))).containsExactly("/reward_spec");
        // online_dpo needs one
        assertThat(pointers(submit(Map.of("model", base, "dataset", prompts,
                "method", Map.of("type", "online_dpo", "online_dpo", shortOnline))))).containsExactly("/reward_spec");
        // an unknown loss, label smoothing for a loss without it, lengths past the block size (8)
        ApiResponse badLoss = submit(Map.of("model", base, "dataset", prefs,
                "method", Map.of("type", "dpo", "dpo", Map.of("loss_type", "kto"))));
        assertThat(pointers(badLoss)).containsExactly("/method/dpo/loss_type");
        assertThat(badLoss.text()).contains("sigmoid, ipo, hinge, robust");
        assertThat(pointers(submit(Map.of("model", base, "dataset", prefs,
                "method", Map.of("type", "dpo", "dpo", Map.of("loss_type", "ipo", "label_smoothing", 0.1))))))
                .containsExactly("/method/dpo/label_smoothing");
        assertThat(pointers(submit(Map.of("model", base, "dataset", prefs,
                "method", Map.of("type", "dpo", "dpo", Map.of("max_length", 9))))))
                .containsExactly("/method/dpo/max_length");
        assertThat(pointers(submit(Map.of("model", base, "dataset", prompts, "reward_spec", exact,
                "method", Map.of("type", "online_dpo", "online_dpo", Map.of("max_completion_length", 7))))))
                .containsExactly("/method/online_dpo/max_completion_length");
    }

    private static ApiResponse submit(Map<String, Object> body) {
        return team.calls().post("/v1/jobs", body);
    }

    private static String exactMatchSpec(Team team) {
        ApiResponse spec = team.calls().post("/v1/reward-specs", Map.of("name", "exact", "grader", Map.of(
                "type", "string_check", "name", "exact", "input", "{{sample.output_text}}",
                "reference", "{{item.answer}}", "operation", "eq")));
        assertThat(spec.status()).as(spec.toString()).isEqualTo(201);
        return spec.json().get("id").asString();
    }

    /** A tiny base model (block_size 8) that answers "a=".."h=" with "x", "y" or "z" alike. */
    private static String pretrainBase(Team team) throws InterruptedException {
        StringBuilder corpus = new StringBuilder();
        for (int rep = 0; rep < 4; rep++) {
            for (int p = 0; p < PROMPTS; p++) {
                for (String answer : List.of("x", "y", "z")) {
                    String line = (char) ('a' + p) + "=" + answer;
                    corpus.append(JSON.writeValueAsString(Map.of("text", line))).append('\n');
                }
            }
        }
        String dataset = upload(team, corpus.toString(), "corpus");
        Map<String, Object> hp = new HashMap<>(Map.of("n_layer", 2, "n_embd", 32, "n_head", 4, "block_size", 8,
                "max_steps", 40, "batch_size", 32, "learning_rate", 3e-3, "warmup_steps", 5, "eval_interval", 0));
        ApiResponse created = team.calls().post("/v1/models", Map.of("name", "xyz", "recipe", "tiny-gpt",
                "dataset", dataset, "hyperparameters", hp, "seed", 5));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String id = created.json().get("id").asString();
        awaitModelReady(team.calls(), id);
        return id;
    }

    private static String upload(Team team, String content, String purpose) {
        ApiResponse r = team.calls().upload("/v1/datasets", purpose + ".jsonl",
                content.getBytes(StandardCharsets.UTF_8), Map.of("purpose", purpose));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.json().get("id").asString();
    }
}
