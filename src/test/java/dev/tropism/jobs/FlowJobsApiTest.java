package dev.tropism.jobs;

import static dev.tropism.jobs.FlowApiFixtures.awaitSucceeded;
import static dev.tropism.jobs.FlowApiFixtures.detailAt;
import static dev.tropism.jobs.FlowApiFixtures.metrics;
import static dev.tropism.jobs.FlowApiFixtures.pointers;
import static dev.tropism.jobs.FlowApiFixtures.prompts;
import static dev.tropism.jobs.FlowApiFixtures.sampleSteps;
import static dev.tropism.jobs.FlowApiFixtures.stepsOf;
import static dev.tropism.jobs.FlowApiFixtures.submitFlow;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import dev.tropism.support.TropismTestClient.Calls;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * The seven flow alignment methods through {@code POST /v1/jobs} on the real engine and PostgreSQL, from the
 * shared {@code tiny-flow} model: a Flow-GRPO job with a gold reward and the hacking monitor runs to its aligned
 * model, checkpoint models and sample gallery; every other method runs too; bad inputs answer 422 at their
 * pointers, all at once.
 */
@TropismIntegrationTest
@TestPropertySource(properties = {"tropism.jobs.checkpoint-interval=2", "tropism.jobs.poll-interval=50ms",
        "tropism.jobs.max-concurrent=1"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FlowJobsApiTest {

    @Autowired TropismTestClient api;

    Calls calls;
    String base;
    String train;
    String reward;

    @BeforeAll
    void setUp() throws InterruptedException {
        FlowApiFixtures.Base fixture = FlowApiFixtures.base(api);
        calls = fixture.team().calls();
        base = fixture.id();
        train = prompts(calls, "sneaker", "bag", "sneaker", "trouser");
        reward = FlowApiFixtures.sneakerReward(calls, "is_sneaker");
    }

    @Test
    void flowGrpoAlignsWithAGalleryAGoldRewardAndCheckpointModels() throws InterruptedException {
        String eval = prompts(calls, "sneaker", "coat");
        String gold = FlowApiFixtures.sneakerReward(calls, "gold_sneaker");
        ApiResponse r = submitFlow(calls, base, "flow_grpo", Map.of(), train, reward, Map.of("eval_dataset", eval,
                "eval_reward_spec", gold, "suffix", "grpo", "reward_options",
                Map.of("hacking_monitor", Map.of("window", 4, "kl_bound", 1000.0))));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        String job = r.json().get("id").asString();
        JsonNode done = awaitSucceeded(calls, job);

        JsonNode all = metrics(calls, job);
        for (String name : List.of("train/reward/mean", "train/kl", "train/diversity", "train/reward/is_sneaker/mean")) {
            assertThat(all.has(name)).as("%s in %s", name, all.propertyNames()).isTrue();
            assertThat(stepsOf(all.get(name))).as(name).containsExactly(1, 2);
        }
        assertThat(stepsOf(all.get("eval/gold/mean"))).containsExactly(0, 1, 2);
        assertThat(sampleSteps(calls, job)).containsExactly(0, 1, 2);

        String aligned = done.get("result_model").asString();
        Map<String, JsonNode> models = FlowApiFixtures.modelsOfJob(calls, job);
        assertThat(models.keySet()).containsExactly("shoes:grpo", "shoes:grpo@2");
        for (JsonNode m : models.values()) {
            assertThat(m.get("family").asString()).isEqualTo("flow-matching");
            assertThat(m.get("recipe").asString()).isEqualTo("tiny-flow");
            assertThat(m.get("parent").asString()).isEqualTo(base);
        }
        assertThat(models.get("shoes:grpo").get("id").asString()).isEqualTo(aligned);

        // A checkpoint model keeps its model.json under the checkpoint's prefix: its classes are still checked.
        String atStep2 = models.get("shoes:grpo@2").get("id").asString();
        assertThat(models.get("shoes:grpo@2").get("object_prefix").asString()).contains("/checkpoints/");
        ApiResponse unknown = submitFlow(calls, atStep2, "flow_grpo", Map.of(), prompts(calls, "unicorn"), reward,
                Map.of());
        assertThat(pointers(unknown)).containsExactly("/dataset");
        assertThat(detailAt(unknown, "/dataset")).contains("line(s) 1", "sneaker");
    }

    @Test
    void everyOtherFlowMethodIsAcceptedAndRuns() throws InterruptedException {
        Map<String, Map<String, Object>> methods = new LinkedHashMap<>();
        methods.put("dense_grpo", Map.of("calibration_rounds", 1));
        methods.put("tempflow_grpo", Map.of("branch_steps", 1));
        methods.put("tp_grpo", Map.of());
        methods.put("grpo_guard", Map.of());
        methods.put("flow_dpo", Map.of("timesteps_per_pair", 1, "dpo_beta", 100.0));
        methods.put("flow_rwr", Map.of("timesteps_per_sample", 1, "temperature", 0.5));
        Map<String, String> jobs = new LinkedHashMap<>();
        methods.forEach((type, extra) -> {
            // A flow job's gold reward needs no eval_dataset: it scores every step's samples and the
            // evaluations of the training prompts.
            Map<String, Object> fields = type.equals("grpo_guard") ? Map.of("suffix", type, "eval_reward_spec", reward)
                    : Map.of("suffix", type);
            ApiResponse r = submitFlow(calls, base, type, extra, train, reward, fields);
            assertThat(r.status()).as(type + ": " + r).isEqualTo(201);
            assertThat(r.json().get("method").get("type").asString()).isEqualTo(type);
            jobs.put(type, r.json().get("id").asString());
        });
        for (Map.Entry<String, String> e : jobs.entrySet()) {
            JsonNode done = awaitSucceeded(calls, e.getValue());
            assertThat(calls.get("/v1/models/" + done.get("result_model").asString()).json().get("family").asString())
                    .as(e.getKey()).isEqualTo("flow-matching");
            JsonNode all = metrics(calls, e.getValue());
            assertThat(stepsOf(all.get("train/reward/mean"))).as(e.getKey()).containsExactly(1, 2);
            if (e.getKey().equals("grpo_guard")) {
                assertThat(stepsOf(all.get("train/gold/mean"))).containsExactly(1, 2);
                assertThat(stepsOf(all.get("eval/gold/mean"))).containsExactly(0, 1, 2);
                assertThat(all.has("train/ratio/step0/mean")).as("GRPO-Guard's per-step ratio").isTrue();
            }
        }
    }

    @Test
    void badHyperparametersAndOptionsAreReportedAtOnce() {
        ApiResponse r = submitFlow(calls, base, "flow_grpo", Map.of("noise_level", 0.0, "sample_steps", 1,
                "num_generations", 1, "branch_steps", 2), train, null, Map.of("reward_options",
                Map.of("normalization", "batch")));
        assertThat(pointers(r)).containsExactlyInAnyOrder("/method/flow_grpo/noise_level",
                "/method/flow_grpo/sample_steps", "/method/flow_grpo/num_generations", "/method/flow_grpo/branch_steps",
                "/reward_spec", "/reward_options/normalization");
        assertThat(detailAt(r, "/method/flow_grpo/noise_level")).contains("got 0.0");
        assertThat(detailAt(r, "/method/flow_grpo/branch_steps")).contains("known:", "noise_level")
                .doesNotContain("branch_steps,");

        ApiResponse dense = submitFlow(calls, base, "dense_grpo", Map.of("epsilon2", 2.0, "foo", 1), train, reward,
                Map.of());
        assertThat(pointers(dense)).containsExactlyInAnyOrder("/method/dense_grpo/epsilon2", "/method/dense_grpo/foo");
        assertThat(detailAt(dense, "/method/dense_grpo/foo")).contains("calibration_rounds", "sample_steps");

        ApiResponse monitor = submitFlow(calls, base, "flow_rwr", Map.of("eval_interval", 0), train, reward, Map.of(
                "eval_dataset", train, "eval_reward_spec", reward, "reward_options",
                Map.of("hacking_monitor", Map.of("window", 4))));
        assertThat(pointers(monitor)).containsExactly("/method/flow_rwr/eval_interval");
    }

    @Test
    void methodAndModelFamiliesMustMatch() throws InterruptedException {
        String corpus = calls.post("/v1/datasets/generate", Map.of("generator", "arithmetic", "digits", 1,
                "corpus_size", 20, "train_prompts", 10, "eval_prompts", 10)).json().get("data").get(0).get("id").asString();
        ApiResponse lm = calls.post("/v1/models", Map.of("name", "words", "recipe", "tiny-gpt", "dataset", corpus,
                "hyperparameters", Map.of("n_layer", 1, "n_embd", 16, "n_head", 2, "block_size", 12, "max_steps", 2,
                        "batch_size", 4, "eval_interval", 0)));
        assertThat(lm.status()).as(lm.toString()).isEqualTo(201);
        String words = lm.json().get("id").asString();
        String lmJob = lm.json().get("job").asString();

        ApiResponse flowOnLm = submitFlow(calls, words, "flow_grpo", Map.of(), train, reward, Map.of());
        assertThat(pointers(flowOnLm)).contains("/model");
        assertThat(flowOnLm.json().get("errors").toString()).contains("flow-matching", "language-model");

        ApiResponse grpoOnFlow = calls.post("/v1/jobs", Map.of("model", base, "dataset", train, "reward_spec", reward,
                "method", Map.of("type", "grpo", "grpo", Map.of("max_steps", 1))));
        assertThat(pointers(grpoOnFlow)).containsExactly("/model");
        assertThat(detailAt(grpoOnFlow, "/model")).contains("grpo", "language-model", "flow-matching");

        String preferences = uploadPreferences();
        ApiResponse rmOnFlow = calls.post("/v1/jobs", Map.of("model", base, "dataset", preferences,
                "method", Map.of("type", "reward_model", "reward_model", Map.of("max_steps", 1))));
        assertThat(pointers(rmOnFlow)).containsExactly("/model");

        JsonNode classifier = FlowApiFixtures.modelsOfJob(calls, FlowApiFixtures.base(api).model().get("job").asString())
                .get("shoes/gold-classifier");
        ApiResponse flowOnClassifier = submitFlow(calls, classifier.get("id").asString(), "tp_grpo", Map.of(), train,
                reward, Map.of());
        assertThat(pointers(flowOnClassifier)).containsExactly("/model");
        assertThat(detailAt(flowOnClassifier, "/model")).contains("flow-matching", "image-classifier");

        // Language-model jobs draw no images: an empty gallery, not an error.
        awaitSucceeded(calls, lmJob);
        assertThat(sampleSteps(calls, lmJob)).isEmpty();
    }

    @Test
    void everyPromptMustNameAClassOfTheModel() {
        String bad = prompts(calls, "sneaker", "unicorn", "bag", "dragon");
        ApiResponse r = submitFlow(calls, base, "flow_grpo", Map.of(), bad, reward, Map.of("eval_dataset", bad));
        assertThat(pointers(r)).containsExactlyInAnyOrder("/dataset", "/eval_dataset");
        assertThat(detailAt(r, "/dataset")).contains("line(s) 2, 4", "t-shirt", "ankle boot");
        assertThat(detailAt(r, "/eval_dataset")).contains("line(s) 2, 4");
    }

    @Test
    void textCompletionsOfAFlowModelAreACleanBadRequest() {
        Map<String, Map<String, Object>> requests = Map.of("/v1/completions", Map.of("model", base, "prompt", "sneaker"),
                "/v1/chat/completions", Map.of("model", base, "messages", List.of(Map.of("role", "user", "content", "x"))));
        for (Map.Entry<String, Map<String, Object>> e : requests.entrySet()) {
            String path = e.getKey();
            ApiResponse r = calls.post(path, e.getValue());
            assertThat(r.status()).as(path + ": " + r).isEqualTo(400);
            assertThat(r.json().get("error").get("message").asString()).contains("flow-matching");
        }
    }

    private String uploadPreferences() {
        String line = "{\"prompt\":\"a\",\"chosen\":\"b\",\"rejected\":\"c\"}\n";
        ApiResponse r = calls.upload("/v1/datasets", "prefs.jsonl", line.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                Map.of("purpose", "preferences"));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.json().get("id").asString();
    }
}
