package dev.tropism.jobs;

import static dev.tropism.jobs.FlowApiFixtures.awaitSucceeded;
import static dev.tropism.jobs.FlowApiFixtures.detailAt;
import static dev.tropism.jobs.FlowApiFixtures.pointers;
import static dev.tropism.jobs.FlowApiFixtures.sampleSteps;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import dev.tropism.support.TropismTestClient.Team;
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
 * {@code POST /v1/models} with recipe {@code tiny-flow} on the real engine and PostgreSQL: the pretraining job,
 * the model with its two classifier companions, the sample gallery (and who may see it), and bad requests.
 */
@TropismIntegrationTest
@TestPropertySource(properties = {"tropism.jobs.checkpoint-interval=2", "tropism.jobs.poll-interval=50ms",
        "tropism.jobs.max-concurrent=1"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FlowModelsApiTest {

    @Autowired TropismTestClient api;

    Team team;
    JsonNode model;

    @BeforeAll
    void pretrain() throws InterruptedException {
        FlowApiFixtures.Base base = FlowApiFixtures.base(api);
        team = base.team();
        model = base.model();
    }

    @Test
    void tinyFlowPretrainsAFlowModelWithItsTwoClassifiers() throws InterruptedException {
        String id = model.get("id").asString();
        String job = model.get("job").asString();
        assertThat(model.get("family").asString()).isEqualTo("flow-matching");
        assertThat(model.get("recipe").asString()).isEqualTo("tiny-flow");
        // exact: channels 8, embed_dim 16, groups 4, levels 2, 10 classes (MethodConfigsTest checks the formula)
        assertThat(model.get("parameters").asLong()).isEqualTo(new JobMethod.FlowPretraining(
                new dev.tropism.engine.flow.FlowNetConfig(14, 8, 2, 10, 16, 4),
                dev.tropism.engine.flow.FlowPretrainConfig.DEFAULT).parameters());
        JsonNode done = awaitSucceeded(team.calls(), job);
        assertThat(done.get("result_model").asString()).isEqualTo(id);
        assertThat(done.get("dataset").isNull()).as(done.toString()).isTrue();
        assertThat(done.get("current_step").asInt()).isEqualTo(20);

        Map<String, JsonNode> byName = FlowApiFixtures.modelsOfJob(team.calls(), job);
        assertThat(byName.keySet()).containsExactly("shoes", "shoes/gold-classifier", "shoes/reward-classifier");
        for (String kind : List.of("reward", "gold")) {
            JsonNode c = byName.get("shoes/" + kind + "-classifier");
            assertThat(c.get("family").asString()).isEqualTo("image-classifier");
            assertThat(c.get("recipe").asString()).isEqualTo("tiny-flow");
            assertThat(c.get("status").asString()).isEqualTo("ready");
            assertThat(c.get("parent").asString()).isEqualTo(id);
            assertThat(c.get("checkpoint").asString()).isEqualTo(model.get("checkpoint").asString());
            assertThat(c.get("object_prefix").asString()).isEqualTo("models/" + id + "/classifiers/" + kind + "/");
            assertThat(c.get("parameters").asLong()).isPositive();
        }

        assertThat(sampleSteps(team.calls(), job)).containsExactly(10, 20);
        JsonNode metrics = FlowApiFixtures.metrics(team.calls(), job);
        assertThat(FlowApiFixtures.stepsOf(metrics.get("eval/accuracy"))).containsExactly(10, 20);
    }

    @Test
    void imageModelsListTheClassesTheyArePromptedWith() {
        String job = model.get("job").asString();
        List<String> classes = dev.tropism.engine.flow.FashionMnist.CLASSES;
        assertThat(strings(team.calls().get("/v1/models/" + model.get("id").asString()).json().get("classes")))
                .isEqualTo(classes);
        // in the listing too, for the classifiers as well (read from each model's own model.json)
        FlowApiFixtures.modelsOfJob(team.calls(), job).forEach((name, m) ->
                assertThat(strings(m.get("classes"))).as(name).isEqualTo(classes));
        // a model that is not ready has none yet; a language model never has any
        JsonNode corpus = team.calls().post("/v1/datasets/generate", Map.of("generator", "arithmetic", "digits", 1,
                "corpus_size", 20, "train_prompts", 10, "eval_prompts", 10)).json().get("data").get(0);
        JsonNode lm = team.calls().post("/v1/models", Map.of("name", "lm", "recipe", "tiny-gpt", "dataset",
                corpus.get("id").asString(), "hyperparameters", Map.of("n_layer", 1, "n_embd", 16, "n_head", 2,
                        "block_size", 16, "max_steps", 2, "batch_size", 4, "eval_interval", 0))).json();
        assertThat(lm.get("classes").isNull()).as(lm.toString()).isTrue();
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new java.util.ArrayList<>();
        array.forEach(n -> out.add(n.asString()));
        return out;
    }

    @Test
    void samplesAreOnlyTheTeamsAndMissingOnesAre404() {
        String job = model.get("job").asString();
        Team other = api.newTeam("flow-models-other");
        for (String path : List.of("/v1/jobs/" + job + "/samples", "/v1/jobs/" + job + "/samples/10.png",
                "/v1/jobs/job_doesnotexist0000/samples", "/v1/jobs/job_doesnotexist0000/samples/10.png")) {
            assertProblem(other.calls().get(path), 404);
        }
        for (String step : List.of("11.png", "abc.png", "-1.png", "99999999999999.png", "10", "10.jpg")) {
            assertProblem(team.calls().get("/v1/jobs/" + job + "/samples/" + step), 404);
        }
        assertThat(team.calls().get("/v1/jobs/" + job + "/samples/10.png").status()).isEqualTo(200);
    }

    @Test
    void badTinyFlowRequestsNameEveryFieldAtOnce() {
        String corpus = team.calls().post("/v1/datasets/generate", Map.of("generator", "arithmetic", "digits", 1,
                "corpus_size", 20, "train_prompts", 10, "eval_prompts", 10)).json().get("data").get(0).get("id").asString();
        Map<String, Object> hp = new LinkedHashMap<>();
        hp.put("num_classes", 3);
        hp.put("channels", 8);
        hp.put("groups", 3);
        hp.put("n_layer", 2);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", "bad");
        body.put("recipe", "tiny-flow");
        body.put("dataset", corpus);
        body.put("eval_dataset", corpus);
        body.put("reward_spec", "rs_whatever");
        body.put("hyperparameters", hp);
        body.put("debug", Map.of("check_finite", 1));
        ApiResponse r = team.calls().post("/v1/models", body);
        assertThat(pointers(r)).containsExactlyInAnyOrder("/debug/check_finite", "/dataset", "/eval_dataset", "/reward_spec",
                "/hyperparameters/num_classes", "/hyperparameters/groups", "/hyperparameters/n_layer");
        assertThat(detailAt(r, "/dataset")).contains("tiny-flow", "Fashion-MNIST");
        assertThat(detailAt(r, "/hyperparameters/num_classes")).contains("set by the service");
        assertThat(detailAt(r, "/hyperparameters/n_layer")).contains("known:", "image_size", "classifier_steps");

        ApiResponse size = team.calls().post("/v1/models", Map.of("name", "odd", "recipe", "tiny-flow",
                "hyperparameters", Map.of("image_size", 16)));
        assertThat(pointers(size)).containsExactly("/hyperparameters/image_size");
        ApiResponse recipe = team.calls().post("/v1/models", Map.of("name", "x", "recipe", "tiny-vae"));
        assertThat(pointers(recipe)).contains("/recipe");
        assertThat(detailAt(recipe, "/recipe")).contains("tiny-gpt", "tiny-flow");
    }

    private static void assertProblem(ApiResponse r, int status) {
        assertThat(r.status()).as(r.toString()).isEqualTo(status);
        assertThat(r.contentType().toString()).as(r.toString()).startsWith("application/problem+json");
    }
}
