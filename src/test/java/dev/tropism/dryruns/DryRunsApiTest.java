package dev.tropism.dryruns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.tropism.engine.PolicyFamily;
import dev.tropism.engine.lm.DryRunConfig;
import dev.tropism.models.ModelRecord;
import dev.tropism.models.ModelStore;
import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import dev.tropism.support.TropismTestClient.Team;
import dev.tropism.web.Ids;
import dev.tropism.web.Timestamps;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpHeaders;
import tools.jackson.databind.JsonNode;

/**
 * Dry-runs through the REST API with the real engine on PostgreSQL: a tiny model pretrained on generated
 * arithmetic, then dry-runs whose reports are checked against what the spec must give; validation
 * problems with pointers; team isolation; and recovery of dry-runs a dead process left behind.
 */
@TropismIntegrationTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DryRunsApiTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final int BLOCK_SIZE = 12;

    @Autowired TropismTestClient api;
    @Autowired ModelStore models;
    @Autowired DryRunStore store;
    @Autowired DryRunExecutor executor;

    Team team;
    Team other;
    String corpus;
    String train;
    String model;

    @BeforeAll
    void pretrainATinyModel() throws InterruptedException {
        team = api.newTeam("dry");
        other = api.newTeam("dry-other");
        ApiResponse sets = team.calls().post("/v1/datasets/generate", Map.of("generator", "arithmetic", "digits", 1,
                "corpus_size", 60, "train_prompts", 40, "eval_prompts", 20));
        assertThat(sets.status()).as(sets.toString()).isEqualTo(201);
        corpus = sets.json().get("data").get(0).get("id").asString();
        train = sets.json().get("data").get(1).get("id").asString();
        Map<String, Object> hp = Map.of("n_layer", 1, "n_embd", 32, "n_head", 2, "block_size", BLOCK_SIZE,
                "max_steps", 40, "batch_size", 16, "eval_interval", 20);
        ApiResponse created = team.calls().post("/v1/models", Map.of("name", "tiny", "recipe", "tiny-gpt",
                "dataset", corpus, "hyperparameters", hp, "seed", 3));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        model = created.json().get("id").asString();
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        String status;
        while (!(status = team.calls().get("/v1/models/" + model).json().get("status").asString()).equals("ready")) {
            assertThat(status).isNotEqualTo("failed");
            assertThat(System.nanoTime()).as("model never ready").isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    private String spec(Team t, String name, Map<String, Object> grader) {
        ApiResponse r = t.calls().post("/v1/reward-specs", Map.of("name", name, "grader", grader));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.json().get("id").asString();
    }

    private static Map<String, Object> stringCheck(String name, String input, String reference, String operation) {
        return Map.of("type", "string_check", "name", name, "input", input, "reference", reference, "operation", operation);
    }

    private JsonNode awaitSucceeded(String spec, String id) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (true) {
            ApiResponse r = team.calls().get("/v1/reward-specs/" + spec + "/dry-runs/" + id);
            assertThat(r.status()).as(r.toString()).isEqualTo(200);
            String status = r.json().get("status").asString();
            if (status.equals("succeeded")) {
                return r.json();
            }
            assertThat(status).as(r.toString()).isIn("queued", "running");
            assertThat(System.nanoTime()).as("dry-run %s never succeeded: %s", id, r).isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    private ApiResponse submit(Team t, String spec, Map<String, Object> body) {
        return t.calls().post("/v1/reward-specs/" + spec + "/dry-run", body);
    }

    private JsonNode run(String spec, Map<String, Object> body) throws InterruptedException {
        ApiResponse r = submit(team, spec, body);
        assertThat(r.status()).as(r.toString()).isEqualTo(202);
        String id = r.json().get("id").asString();
        assertThat(id).startsWith("dry_");
        assertThat(r.headers().getFirst(HttpHeaders.LOCATION)).isEqualTo("/v1/reward-specs/" + spec + "/dry-runs/" + id);
        return awaitSucceeded(spec, id);
    }

    private static Map<String, Object> body(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void aSpecThatScoresEveryOutputOneHasMeanOneAndNoSignal() throws InterruptedException {
        String always = spec(team, "always", stringCheck("always", "{{sample.output_text}}", "", "like"));
        JsonNode done = run(always, body("model", model, "dataset", train, "samples_per_prompt", 3, "limit", 10,
                "max_new_tokens", 4, "seed", 5));
        assertThat(done.get("seed").asLong()).isEqualTo(5);
        assertThat(done.get("temperature").asDouble()).isEqualTo(1.0); // defaults are echoed
        assertThat(done.get("top_p").asDouble()).isEqualTo(1.0);
        assertThat(done.get("started_at").isNull()).isFalse();
        assertThat(done.get("finished_at").isNull()).isFalse();
        JsonNode report = done.get("report");
        assertThat(report.get("prompts").asInt()).isEqualTo(10);
        assertThat(report.get("samples").asInt()).isEqualTo(30);
        JsonNode reward = report.get("reward");
        assertThat(reward.get("count").asInt()).isEqualTo(30);
        assertThat(reward.get("mean").asDouble()).isEqualTo(1.0);
        assertThat(reward.get("std").asDouble()).isZero();
        assertThat(reward.get("min").asDouble()).isEqualTo(1.0);
        assertThat(reward.get("max").asDouble()).isEqualTo(1.0);
        assertThat(doubles(reward.get("histogram").get("bin_edges"))).containsExactly(1.0, 1.0);
        assertThat(ints(reward.get("histogram").get("counts"))).containsExactly(30);
        assertThat(report.get("components").propertyNames()).containsExactly("always");
        assertThat(report.get("components").get("always").get("mean").asDouble()).isEqualTo(1.0);
        assertThat(report.get("zero_variance_group_fraction").asDouble()).isEqualTo(1.0);
        assertThat(report.get("zero_variance_groups").asInt()).isEqualTo(10);
        assertThat(report.get("errors_by_kind").isEmpty()).isTrue();
        assertThat(report.get("samples_with_errors").asInt()).isZero();
        for (String end : List.of("low", "median", "high")) {
            assertThat(report.get("examples").get(end)).hasSize(3);
        }
        JsonNode timings = report.get("timings");
        assertThat(timings.get("samples_per_second").asDouble()).isPositive();
        assertThat(timings.get("total_seconds").asDouble())
                .isGreaterThanOrEqualTo(timings.get("sampling_seconds").asDouble());
        assertThat(report.get("completions").get("mean_tokens").asDouble()).isBetween(1.0, 4.0);
    }

    /**
     * A multi spec on the briefly pretrained model: {@code exact} (the output is the answer) plus
     * {@code has_one} (the output contains a "1"), which sampled outputs of a barely trained model split
     * on. Every number is checked against what the spec must give.
     */
    @Test
    void aMultiSpecOnThePretrainedModel() throws InterruptedException {
        String spec = spec(team, "exact-plus", Map.of("type", "multi", "name", "total", "graders", Map.of(
                "exact", stringCheck("exact", "{{sample.output_text}}", "{{item.answer}}", "eq"),
                "has_one", stringCheck("has_one", "{{sample.output_text}}", "1", "like"))));
        Map<String, Object> request = body("model", model, "dataset", train, "samples_per_prompt", 4, "limit", 20,
                "max_new_tokens", 4, "temperature", 0.7);
        JsonNode done = run(spec, request);
        long seed = done.get("seed").asLong(); // drawn, and echoed
        JsonNode report = done.get("report");
        int n = report.get("samples").asInt();
        assertThat(n).isEqualTo(20 * 4);
        assertThat(report.get("components").propertyNames()).containsExactlyInAnyOrder("exact", "has_one", "total");
        JsonNode reward = report.get("reward");
        assertThat(reward.get("count").asInt()).isEqualTo(n);
        assertThat(reward.get("min").asDouble()).isBetween(0.0, 2.0);
        assertThat(reward.get("max").asDouble()).isBetween(0.0, 2.0);
        // The multi grader's own sub-reward is the total.
        JsonNode total = report.get("components").get("total");
        assertThat(total.get("mean").asDouble()).isEqualTo(reward.get("mean").asDouble());
        assertThat(total.get("histogram")).isEqualTo(reward.get("histogram"));
        double exactMean = report.get("components").get("exact").get("mean").asDouble();
        assertThat(exactMean).isBetween(0.0, 1.0);
        // A 0/1 component that is not constant fills only the first and the last of the 20 bins, its mean
        // is the last bin's share and its sample std is sqrt(p(1 − p) · n / (n − 1)).
        JsonNode hasOne = report.get("components").get("has_one");
        assertThat(hasOne.get("count").asInt()).isEqualTo(n);
        assertThat(hasOne.get("min").asDouble()).isZero();
        assertThat(hasOne.get("max").asDouble()).isEqualTo(1.0);
        int[] counts = ints(hasOne.get("histogram").get("counts"));
        assertThat(counts).hasSize(20);
        assertThat(counts[0] + counts[19]).isEqualTo(n);
        double p = hasOne.get("mean").asDouble();
        assertThat(p).isCloseTo(counts[19] / (double) n, within(1e-12));
        assertThat(hasOne.get("std").asDouble()).isCloseTo(Math.sqrt(p * (1 - p) * n / (n - 1)), within(1e-9));
        assertThat(reward.get("mean").asDouble()).isCloseTo(exactMean + p, within(1e-12));
        double zero = report.get("zero_variance_group_fraction").asDouble();
        assertThat(zero).isBetween(0.0, 1.0);
        assertThat(zero * 20).isCloseTo(report.get("zero_variance_groups").asInt(), within(1e-9));
        assertThat(report.get("errors_by_kind").isEmpty()).isTrue();
        // Every example is scored as the spec says, and the lists run from low to high.
        List<Double> order = new ArrayList<>();
        for (String end : List.of("low", "median", "high")) {
            for (JsonNode e : report.get("examples").get(end)) {
                String output = e.get("output").asString();
                double right = output.equals(e.get("item").get("answer").asString()) ? 1 : 0;
                double one = output.contains("1") ? 1 : 0;
                assertThat(e.get("sub_rewards").get("exact").asDouble()).as("%s", e).isEqualTo(right);
                assertThat(e.get("sub_rewards").get("has_one").asDouble()).as("%s", e).isEqualTo(one);
                assertThat(e.get("reward").asDouble()).as("%s", e).isEqualTo(right + one);
                assertThat(e.get("item").get("prompt").asString()).endsWith("=");
                order.add(e.get("reward").asDouble());
            }
        }
        assertThat(order).isSorted();
        assertThat(order.get(0)).isEqualTo(reward.get("min").asDouble());
        assertThat(order.get(order.size() - 1)).isEqualTo(reward.get("max").asDouble());

        // The same seed gives the same report (same process, same threads).
        request.put("seed", seed);
        JsonNode again = run(spec, request).get("report");
        assertThat(again.get("reward")).isEqualTo(reward);
        assertThat(again.get("examples")).isEqualTo(report.get("examples"));

        JsonNode list = team.calls().get("/v1/reward-specs/" + spec + "/dry-runs").json();
        assertThat(list.get("object").asString()).isEqualTo("list");
        assertThat(list.get("data")).hasSize(2);
        assertThat(list.get("data").get(0).get("id").asString()).isEqualTo(done.get("id").asString());
    }

    @Test
    void graderErrorsAreCountedByKind() throws InterruptedException {
        // Six prompts, the answer null on three: {{item.answer}} fails on their 2 × 3 samples.
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            lines.append("{\"prompt\":\"").append(i).append("+1=\",\"answer\":")
                    .append(i % 2 == 0 ? "null" : "\"" + (i + 1) + "\"").append("}\n");
        }
        String holey = upload("holey.jsonl", lines.toString());
        String exact = spec(team, "exact-holey", stringCheck("exact", "{{sample.output_text}}", "{{item.answer}}", "eq"));
        JsonNode report = run(exact, body("model", model, "dataset", holey, "samples_per_prompt", 2, "limit", 6,
                "seed", 1, "max_new_tokens", 3)).get("report");
        assertThat(report.get("samples").asInt()).isEqualTo(12);
        assertThat(report.get("errors_by_kind").get("missing_field").asInt()).isEqualTo(6);
        assertThat(report.get("samples_with_errors").asInt()).isEqualTo(6);
        assertThat(report.get("error_examples").get("missing_field").asString()).contains("answer");
        assertThat(report.get("reward").get("count").asInt()).isEqualTo(12);
    }

    @Test
    void validationReportsEveryProblemWithAPointer() {
        String exact = spec(team, "exact-v", stringCheck("exact", "{{sample.output_text}}", "{{item.answer}}", "eq"));
        String needsSolution = spec(team, "needs-solution",
                stringCheck("exact", "{{sample.output_text}}", "{{item.solution}}", "eq"));

        ApiResponse binding = submit(team, needsSolution, body("model", model, "dataset", train));
        assertProblem(binding, 422);
        assertThat(pointers(binding)).containsExactly("/dataset");
        assertThat(binding.json().get("errors").get(0).get("detail").asString()).contains("solution");

        ApiResponse all = submit(team, exact, body("model", "model_nope", "dataset", corpus, "samples_per_prompt", 0,
                "limit", 1001, "max_new_tokens", 0, "temperature", 0, "top_p", 1.5));
        assertProblem(all, 422);
        assertThat(pointers(all)).containsExactlyInAnyOrder("/model", "/dataset", "/samples_per_prompt", "/limit",
                "/max_new_tokens", "/temperature", "/top_p");

        assertThat(pointers(assertProblem(submit(team, exact, body("model", model, "dataset", train,
                "samples_per_prompt", DryRunConfig.MAX_SAMPLES_PER_PROMPT + 1)), 422))).containsExactly("/samples_per_prompt");
        assertThat(pointers(assertProblem(submit(team, exact, body("model", model, "dataset", train,
                "samples_per_prompt", "four", "temperature", 2.5)), 422)))
                .containsExactlyInAnyOrder("/samples_per_prompt", "/temperature");
        ApiResponse tooLong = assertProblem(submit(team, exact, body("model", model, "dataset", train,
                "max_new_tokens", BLOCK_SIZE - 1)), 422);
        assertThat(pointers(tooLong)).containsExactly("/max_new_tokens");
        assertThat(tooLong.json().get("errors").get(0).get("detail").asString()).contains("at most " + (BLOCK_SIZE - 2));
        assertThat(pointers(assertProblem(submit(team, exact, body()), 422))).containsExactly("/model", "/dataset");
        assertThat(pointers(assertProblem(submit(team, exact, body("model", 1, "dataset", train)), 422)))
                .containsExactly("/model");

        // A flow-matching model is rejected cleanly (a later issue), as is another team's model.
        String flow = insertModel(team.id(), PolicyFamily.FLOW_MATCHING);
        ApiResponse flowing = assertProblem(submit(team, exact, body("model", flow, "dataset", train)), 422);
        assertThat(pointers(flowing)).containsExactly("/model");
        assertThat(flowing.json().get("errors").get(0).get("detail").asString()).contains("flow-matching");
        String othersModel = insertModel(other.id(), PolicyFamily.LANGUAGE_MODEL);
        assertThat(pointers(assertProblem(submit(team, exact, body("model", othersModel, "dataset", train)), 422)))
                .containsExactly("/model");

        // Unknown fields and non-object bodies.
        assertThat(pointers(assertProblem(submit(team, exact, body("model", model, "dataset", train, "colour", 1)), 400)))
                .containsExactly("/colour");
        assertProblem(team.calls().post("/v1/reward-specs/" + exact + "/dry-run", "[]"), 422);
        assertProblem(team.calls().post("/v1/reward-specs/" + exact + "/dry-run", "{\"model\":"), 400);
        assertThat(team.calls().get("/v1/reward-specs/" + exact + "/dry-runs").json().get("data")).isEmpty();

        JsonNode docs = api.anonymous().get("/v3/api-docs").json().get("paths");
        for (String path : List.of("/v1/reward-specs/{id}/dry-run", "/v1/reward-specs/{id}/dry-runs",
                "/v1/reward-specs/{id}/dry-runs/{dryRunId}")) {
            assertThat(docs.has(path)).as("api docs list %s", path).isTrue();
        }
    }

    @Test
    void anotherTeamsSpecAndDryRunsAreNotFound() throws InterruptedException {
        String exact = spec(team, "exact-iso", stringCheck("exact", "{{sample.output_text}}", "{{item.answer}}", "eq"));
        String id = run(exact, body("model", model, "dataset", train, "samples_per_prompt", 1, "limit", 2))
                .get("id").asString();
        assertProblem(submit(other, exact, body("model", model, "dataset", train)), 404);
        assertProblem(other.calls().get("/v1/reward-specs/" + exact + "/dry-runs"), 404);
        assertProblem(other.calls().get("/v1/reward-specs/" + exact + "/dry-runs/" + id), 404);
        assertProblem(team.calls().get("/v1/reward-specs/" + exact + "/dry-runs/dry_doesnotexist"), 404);
        assertProblem(submit(team, "rs_doesnotexist", body("model", model, "dataset", train)), 404);
        // A dry-run is only found under its own spec.
        String otherSpec = spec(team, "exact-iso2", stringCheck("exact", "{{sample.output_text}}", "{{item.answer}}", "eq"));
        assertProblem(team.calls().get("/v1/reward-specs/" + otherSpec + "/dry-runs/" + id), 404);
        assertProblem(team.calls().get("/v1/reward-specs/" + exact + "/dry-runs?after=dry_nope"), 400);
    }

    @Test
    void dryRunsLeftUnfinishedByADeadProcessFailAtStartAndHoldTheirDataset() {
        String exact = spec(team, "exact-rec", stringCheck("exact", "{{sample.output_text}}", "{{item.answer}}", "eq"));
        String dataset = upload("recover.jsonl", "{\"prompt\":\"1+1=\",\"answer\":\"2\"}\n");
        String id = Ids.newId("dry_");
        store.insert(new DryRunRecord(0, id, team.id(), exact, model, dataset, DryRunConfig.DEFAULT, DryRunStatus.QUEUED,
                null, null, null, Timestamps.now(), null, null));
        assertProblem(team.calls().delete("/v1/datasets/" + dataset), 409);

        assertThat(executor.recoverInterrupted()).isEqualTo(1);
        JsonNode failed = team.calls().get("/v1/reward-specs/" + exact + "/dry-runs/" + id).json();
        assertThat(failed.get("status").asString()).isEqualTo("failed");
        assertThat(failed.get("error").get("code").asString()).isEqualTo("interrupted");
        assertThat(failed.get("error").get("message").asString()).contains("restart");
        assertThat(failed.get("report").isNull()).isTrue();
        assertThat(team.calls().delete("/v1/datasets/" + dataset).status()).isEqualTo(204);
    }

    private String upload(String name, String content) {
        ApiResponse r = team.calls().upload("/v1/datasets", name, content.getBytes(StandardCharsets.UTF_8),
                Map.of("purpose", "prompts"));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.json().get("id").asString();
    }

    private String insertModel(String teamId, PolicyFamily family) {
        String id = Ids.newId("model_");
        models.insert(new ModelRecord(0, id, teamId, "m", family, null, ModelRecord.READY, null, null, null,
                ModelRecord.prefixOf(id), null, Timestamps.now()));
        return id;
    }

    private static ApiResponse assertProblem(ApiResponse r, int status) {
        assertThat(r.status()).as(r.toString()).isEqualTo(status);
        assertThat(r.contentType().toString()).as(r.toString()).startsWith("application/problem+json");
        assertThat(r.json().get("code").asString()).as(r.toString()).isNotBlank();
        return r;
    }

    private static List<String> pointers(ApiResponse r) {
        List<String> out = new ArrayList<>();
        r.json().path("errors").forEach(e -> out.add(e.get("pointer").asString()));
        return out;
    }

    private static double[] doubles(JsonNode array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asDouble();
        }
        return out;
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }
}
