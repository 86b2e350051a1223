package dev.tropism.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import dev.tropism.support.TropismTestClient.Team;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The whole service with the real DJL engine (no scripted runs) on PostgreSQL, through the REST API
 * only: generated arithmetic data, a tiny pretrained base model, an exact-match reward, GRPO with
 * held-out evaluation and checkpoints, a grader that errors on some items without failing the job, and
 * pause/resume of a real run on whichever worker thread picks it up; plus bad inputs to the models and
 * jobs endpoints. Sizes are tiny so that the class stays under a minute on a loaded CPU.
 */
@TropismIntegrationTest
@TestPropertySource(properties = {"tropism.jobs.checkpoint-interval=2", "tropism.jobs.poll-interval=50ms",
        "tropism.jobs.max-concurrent=1"})
class RealEngineEndToEndTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    @Autowired TropismTestClient api;

    Team team;
    String corpus;
    String train;
    String eval;

    @BeforeEach
    void setUp() {
        team = api.newTeam("e2e");
        ApiResponse sets = team.calls().post("/v1/datasets/generate", Map.of("generator", "arithmetic", "digits", 1,
                "corpus_size", 60, "train_prompts", 40, "eval_prompts", 20));
        assertThat(sets.status()).as(sets.toString()).isEqualTo(201);
        JsonNode data = sets.json().get("data");
        assertThat(data).hasSize(3);
        corpus = data.get(0).get("id").asString();
        train = data.get(1).get("id").asString();
        eval = data.get(2).get("id").asString();
        assertThat(data.get(2).get("lines").asInt()).isEqualTo(20);
    }

    @Test
    void pretrainThenGrpoThenPauseAndResume() throws Exception {
        // --- pretraining a tiny base model (only max_steps given: the default warmup must fit in it) ---
        Map<String, Object> hp = new LinkedHashMap<>();
        hp.put("n_layer", 1);
        hp.put("n_embd", 32);
        hp.put("n_head", 2);
        hp.put("block_size", 12);
        hp.put("max_steps", 30);
        hp.put("batch_size", 16);
        hp.put("eval_interval", 10);
        // in anomaly mode: every layer output and gradient of the real run is checked
        ApiResponse created = team.calls().post("/v1/models", Map.of("name", "tiny", "recipe", "tiny-gpt",
                "dataset", corpus, "hyperparameters", hp, "debug", Map.of("check_finite", true)));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String base = created.json().get("id").asString();
        String pretrainJob = created.json().get("job").asString();
        JsonNode model = awaitModelReady(base);
        assertThat(model.get("job").asString()).isEqualTo(pretrainJob);
        assertThat(job(pretrainJob).get("status").asString()).isEqualTo("succeeded");
        assertThat(job(pretrainJob).get("debug").get("check_finite").asBoolean()).isTrue();

        JsonNode loss = metrics(pretrainJob, "train/loss").get("train/loss");
        assertThat(stepsOf(loss)).isEqualTo(range(1, 30));
        assertThat(mean(loss, 25, 30)).as("pretraining loss %s", loss).isLessThan(mean(loss, 0, 5));
        assertThat(stepsOf(metrics(pretrainJob, "eval/loss").get("eval/loss"))).contains(10, 20, 30);

        // --- exact-match reward ---
        ApiResponse spec = team.calls().post("/v1/reward-specs", Map.of("name", "exact-answer", "grader", Map.of(
                "type", "string_check", "name", "exact", "input", "{{sample.output_text}}",
                "reference", "{{item.answer}}", "operation", "eq")));
        assertThat(spec.status()).as(spec.toString()).isEqualTo(201);
        String rewardSpec = spec.json().get("id").asString();

        // --- GRPO with held-out evaluation and checkpoints every 2 steps ---
        String grpo = submitGrpo(base, train, eval, rewardSpec, 6, 3);
        JsonNode done = awaitStatus(grpo, "succeeded");
        assertThat(done.get("current_step").asInt()).isEqualTo(6);

        JsonNode all = metrics(grpo, null);
        List<String> trainNames = List.of("train/reward/mean", "train/reward/std", "train/reward/exact/mean",
                "train/reward/errors", "train/frac_reward_zero_std", "train/kl", "train/clip_ratio", "train/entropy",
                "train/completion_length/mean", "train/loss", "train/grad_norm", "train/lr", "perf/tokens_per_second");
        for (String name : trainNames) {
            assertThat(all.has(name)).as("metric %s in %s", name, all.propertyNames()).isTrue();
            assertThat(stepsOf(all.get(name))).as(name).isEqualTo(range(1, 6));
        }
        for (String name : List.of("eval/reward/mean", "eval/accuracy")) {
            assertThat(all.has(name)).as("metric %s in %s", name, all.propertyNames()).isTrue();
            assertThat(stepsOf(all.get(name))).as(name).containsExactly(0, 3, 6);
            all.get(name).forEach(p -> assertThat(p.get("value").asDouble()).isBetween(0.0, 1.0));
        }
        all.get("train/reward/errors").forEach(p -> assertThat(p.get("value").asDouble()).isZero());

        JsonNode ckpts = team.calls().get("/v1/jobs/" + grpo + "/checkpoints").json().get("data");
        assertThat(stepsOf(ckpts)).containsExactly(2, 4, 6);

        String aligned = done.get("result_model").asString();
        JsonNode listed = null;
        for (JsonNode m : team.calls().get("/v1/models?limit=100").json().get("data")) {
            if (m.get("id").asString().equals(aligned)) {
                listed = m;
            }
        }
        assertThat(listed).as("aligned model %s listed", aligned).isNotNull();
        assertThat(listed.get("status").asString()).isEqualTo("ready");
        assertThat(listed.get("parent").asString()).isEqualTo(base);
        assertThat(listed.get("job").asString()).isEqualTo(grpo);

        // Every checkpoint is a model too, with lineage, named <aligned name>@<step>.
        Map<String, JsonNode> checkpointModels = new java.util.TreeMap<>();
        for (JsonNode m : team.calls().get("/v1/models?limit=100").json().get("data")) {
            if (grpo.equals(m.path("job").asString(null)) && !m.get("id").asString().equals(aligned)) {
                checkpointModels.put(m.get("name").asString(), m);
            }
        }
        String alignedName = listed.get("name").asString();
        assertThat(checkpointModels.keySet()).containsExactly(alignedName + "@2", alignedName + "@4", alignedName + "@6");
        JsonNode atStep2 = checkpointModels.get(alignedName + "@2");
        assertThat(atStep2.get("parent").asString()).isEqualTo(base);
        assertThat(atStep2.get("status").asString()).isEqualTo("ready");
        assertThat(atStep2.get("checkpoint").asString()).isEqualTo(ckpts.get(0).get("id").asString());

        String prometheus = api.admin().get("/actuator/prometheus").text();
        assertThat(prometheus).contains("tropism_job_metric{job=\"" + grpo + "\",name=\"train/reward/mean\"}");

        // --- a grader problem never kills a job: "answer" is on every line (so validation accepts the
        // template), but null on half of them, where rendering {{item.answer}} fails at run time ---
        StringBuilder holey = new StringBuilder();
        int n = 0;
        for (String line : team.calls().get("/v1/datasets/" + train + "/content").text().split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            ObjectNode item = (ObjectNode) JSON.readTree(line);
            if (n++ % 2 == 0) {
                item.putNull("answer");
            }
            holey.append(JSON.writeValueAsString(item)).append('\n');
        }
        ApiResponse uploaded = team.calls().upload("/v1/datasets", "holey.jsonl",
                holey.toString().getBytes(StandardCharsets.UTF_8), Map.of("purpose", "prompts"));
        assertThat(uploaded.status()).as(uploaded.toString()).isEqualTo(201);
        // (aligning further from the step-2 checkpoint model: its weights are read from the checkpoint)
        String erring = submitGrpo(atStep2.get("id").asString(), uploaded.json().get("id").asString(), null, rewardSpec, 2, 0);
        awaitStatus(erring, "succeeded");
        JsonNode errors = metrics(erring, "train/reward/errors").get("train/reward/errors");
        assertThat(stepsOf(errors)).containsExactly(1, 2);
        assertThat(errors.get(0).get("value").asDouble() + errors.get(1).get("value").asDouble())
                .as("grader errors %s", errors).isPositive();

        // --- the model-based and group-aware graders inside a real GRPO job, with a gold spec and the
        // hacking monitor: every component is logged, and none of them lacks its model ---
        String exactJson = "{\"type\":\"string_check\",\"name\":\"%s\",\"input\":\"{{sample.output_text}}\","
                + "\"reference\":\"{{item.answer}}\",\"operation\":\"eq\"}";
        String family = "{\"type\":\"multi\",\"name\":\"family\",\"formula\":\"lik + par + chk + re\",\"graders\":{"
                + "\"lik\":{\"type\":\"likelihood\",\"name\":\"lik\",\"reference\":\"{{item.answer}}\",\"debias\":true},"
                + "\"par\":{\"type\":\"shaped\",\"name\":\"par\",\"references\":2,\"grader\":" + exactJson.formatted("p_exact") + "},"
                + "\"chk\":{\"type\":\"checks\",\"name\":\"chk\",\"checks\":[" + exactJson.formatted("c_exact") + ","
                + "{\"type\":\"length\",\"name\":\"short\",\"max\":3}]},"
                + "\"re\":{\"type\":\"regex\",\"name\":\"re\",\"pattern\":\"^(\\\\d+)$\",\"extract\":1,\"grader\":"
                + "{\"type\":\"numeric\",\"name\":\"num\",\"reference\":\"{{item.answer}}\"}}}}";
        ApiResponse familySpec = team.calls().post("/v1/reward-specs", Map.of("name", "family", "grader", JSON.readTree(family)));
        assertThat(familySpec.status()).as(familySpec.toString()).isEqualTo(201);
        String gold = team.calls().post("/v1/reward-specs", Map.of("name", "gold", "grader",
                JSON.readTree(exactJson.formatted("gold_exact")))).json().get("id").asString();
        String familyJob = submitGrpo(aligned, train, eval, familySpec.json().get("id").asString(), 2, 1, Map.of(
                "eval_reward_spec", gold, "reward_options", Map.of("normalization", "batch",
                        "hacking_monitor", Map.of("window", 4, "kl_bound", 10.0))));
        awaitStatus(familyJob, "succeeded");
        JsonNode familyMetrics = metrics(familyJob, null);
        for (String name : List.of("family", "lik", "par", "p_exact", "chk", "c_exact", "short", "re", "num")) {
            assertThat(stepsOf(familyMetrics.get("train/reward/" + name + "/mean"))).as(name).containsExactly(1, 2);
        }
        for (String name : List.of("eval/gold/mean", "eval/gold/accuracy", "eval/gold/gold_exact/mean", "eval/reward/lik/mean")) {
            assertThat(stepsOf(familyMetrics.get(name))).as(name).containsExactly(0, 1, 2);
        }
        assertThat(familyMetrics.has("train/reward/errors/unsupported")).isFalse();
        familyMetrics.get("train/reward/errors").forEach(e -> assertThat(e.get("value").asDouble()).isZero());

        // --- pause and resume a real run ---
        String long1 = submitGrpo(aligned, train, eval, rewardSpec, 40, 0);
        awaitStep(long1, 2);
        ApiResponse paused = team.calls().post("/v1/jobs/" + long1 + "/pause", null);
        assertThat(paused.status()).as(paused.toString()).isEqualTo(200);
        JsonNode p = awaitStatus(long1, "paused");
        assertThat(p.get("current_step").asInt()).isBetween(2, 39);
        ApiResponse resumed = team.calls().post("/v1/jobs/" + long1 + "/resume", null);
        assertThat(resumed.status()).as(resumed.toString()).isEqualTo(200);
        awaitStatus(long1, "succeeded");
        assertThat(stepsOf(metrics(long1, "train/loss").get("train/loss"))).isEqualTo(range(1, 40));
        List<String> types = new ArrayList<>();
        team.calls().get("/v1/jobs/" + long1 + "/events?limit=100").json().get("data")
                .forEach(e -> types.add(e.get("type").asString()));
        assertThat(types).contains("job.paused", "job.resumed").endsWith("job.succeeded");
    }

    /**
     * Issue 17: a real GRPO job that its budget pauses (with a checkpoint), raised and resumed, ends with exactly the
     * metrics of the same job with the same seed never interrupted (all but perf/ and cost/, which measure time).
     */
    @Test
    void aBudgetPausedRealJobResumesToTheMetricsOfAnUninterruptedRun() throws Exception {
        Map<String, Object> hp = new LinkedHashMap<>();
        hp.put("n_layer", 1);
        hp.put("n_embd", 16);
        hp.put("n_head", 2);
        hp.put("block_size", 12);
        hp.put("max_steps", 4);
        hp.put("batch_size", 8);
        ApiResponse created = team.calls().post("/v1/models", Map.of("name", "tiny", "recipe", "tiny-gpt",
                "dataset", corpus, "hyperparameters", hp, "seed", 3));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String base = created.json().get("id").asString();
        awaitModelReady(base);
        String spec = team.calls().post("/v1/reward-specs", Map.of("name", "exact", "grader", Map.of(
                "type", "string_check", "name", "exact", "input", "{{sample.output_text}}",
                "reference", "{{item.answer}}", "operation", "eq"))).json().get("id").asString();

        String uninterrupted = submitGrpo(base, train, eval, spec, 6, 3);
        JsonNode whole = awaitStatus(uninterrupted, "succeeded");
        BigDecimal perStep = whole.get("spend").get("amount").decimalValue().divide(BigDecimal.valueOf(6), 9,
                java.math.RoundingMode.HALF_UP);
        assertThat(perStep).isPositive();

        // a budget of about one and a half steps: the job pauses long before its end
        String budgeted = submitGrpo(base, train, eval, spec, 6, 3, Map.of("budget",
                Map.of("max_spend", perStep.multiply(new BigDecimal("1.5")).setScale(9, java.math.RoundingMode.HALF_UP))));
        JsonNode paused = awaitStatus(budgeted, "paused");
        int step = paused.get("current_step").asInt();
        assertThat(step).isBetween(1, 5);
        JsonNode checkpoints = team.calls().get("/v1/jobs/" + budgeted + "/checkpoints").json().get("data");
        assertThat(checkpoints.get(checkpoints.size() - 1).get("step").asInt()).isEqualTo(step);
        assertThat(team.calls().post("/v1/jobs/" + budgeted + "/resume", null).status()).isEqualTo(402);
        ApiResponse raised = team.calls().exchange(org.springframework.http.HttpMethod.PUT, "/v1/jobs/" + budgeted
                + "/budget", org.springframework.http.MediaType.APPLICATION_JSON, Map.of("max_spend", 1000));
        assertThat(raised.status()).as(raised.toString()).isEqualTo(200);
        assertThat(team.calls().post("/v1/jobs/" + budgeted + "/resume", null).status()).isEqualTo(200);
        awaitStatus(budgeted, "succeeded");

        Map<String, JsonNode> resumed = learningMetrics(budgeted);
        assertThat(resumed).containsKeys("train/loss", "train/reward/mean", "eval/reward/mean");
        assertThat(stepsOf(resumed.get("train/loss"))).isEqualTo(range(1, 6));
        assertThat(resumed).isEqualTo(learningMetrics(uninterrupted));
    }

    /** Every series but perf/ and cost/, by name. */
    private Map<String, JsonNode> learningMetrics(String id) {
        Map<String, JsonNode> out = new java.util.TreeMap<>();
        JsonNode all = metrics(id, null);
        for (String name : all.propertyNames()) {
            if (!name.startsWith("perf/") && !name.startsWith("cost/")) {
                out.put(name, all.get(name));
            }
        }
        return out;
    }

    /** Bad inputs to the models and jobs endpoints are 4xx problems with pointers, never 500s. */
    @Test
    void badInputsAreClientErrorsWithPointers() {
        ApiResponse spec = team.calls().post("/v1/reward-specs", Map.of("name", "needs-solution", "grader", Map.of(
                "type", "string_check", "name", "exact", "input", "{{sample.output_text}}",
                "reference", "{{item.solution}}", "operation", "eq")));
        assertThat(spec.status()).as(spec.toString()).isEqualTo(201);
        String needsSolution = spec.json().get("id").asString();

        // Both GRPO violations at once, and a template naming a field the dataset lacks.
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("model", "model_doesnotexist");
        b.put("dataset", train);
        b.put("reward_spec", needsSolution);
        b.put("method", Map.of("type", "grpo", "grpo", Map.of("beta", -1, "num_generations", 1)));
        ApiResponse r = team.calls().post("/v1/jobs", b);
        assertProblem(r, 422);
        assertThat(pointers(r)).contains("/method/grpo/beta", "/method/grpo/num_generations", "/model", "/dataset");

        // Wrong JSON types and unknown fields are 400, never 500.
        assertProblem(team.calls().post("/v1/jobs", "{\"model\":\"m\",\"seed\":\"abc\"}"), 400);
        assertThat(pointers(team.calls().post("/v1/jobs", "{\"seed\":\"abc\"}"))).containsExactly("/seed");
        assertProblem(team.calls().post("/v1/jobs", "{\"seed\":1.5}"), 400);
        assertProblem(team.calls().post("/v1/jobs", "{\"colour\":1}"), 400);
        assertProblem(team.calls().post("/v1/jobs", "{\"model\":"), 400);
        assertProblem(team.calls().post("/v1/jobs", "[]"), 400);
        ApiResponse notObject = team.calls().post("/v1/jobs", Map.of("model", "m", "dataset", train,
                "reward_spec", needsSolution, "method", "grpo"));
        assertProblem(notObject, 422);
        assertThat(pointers(notObject)).contains("/method");

        // Model shape: n_embd must divide into heads; wrong-typed and unknown hyperparameters.
        ApiResponse shape = team.calls().post("/v1/models", Map.of("name", "m", "recipe", "tiny-gpt", "dataset", corpus,
                "hyperparameters", Map.of("n_embd", 30, "n_head", 4)));
        assertProblem(shape, 422);
        assertThat(pointers(shape)).containsExactly("/hyperparameters/n_embd");
        ApiResponse typed = team.calls().post("/v1/models", Map.of("name", "m", "recipe", "tiny-gpt", "dataset", corpus,
                "hyperparameters", Map.of("max_steps", "many", "learning_rate", -1, "nope", 1)));
        assertProblem(typed, 422);
        assertThat(pointers(typed)).containsExactlyInAnyOrder("/hyperparameters/max_steps",
                "/hyperparameters/learning_rate", "/hyperparameters/nope");
        ApiResponse recipe = team.calls().post("/v1/models", Map.of("name", "m", "recipe", "llama", "dataset", corpus));
        assertProblem(recipe, 422);
        assertThat(pointers(recipe)).contains("/recipe");
        assertProblem(team.calls().post("/v1/models", "{\"name\":\"m\",\"hyperparameters\":[1]}"), 422);

        // Unknown ids, and ids of another team, are 404.
        Team other = api.newTeam("e2e-other");
        for (String path : List.of("/v1/models/model_doesnotexist", "/v1/jobs/job_doesnotexist",
                "/v1/jobs/job_doesnotexist/events", "/v1/jobs/job_doesnotexist/checkpoints",
                "/v1/jobs/job_doesnotexist/metrics", "/v1/datasets/" + train, "/v1/reward-specs/" + needsSolution)) {
            ApiResponse missing = (path.startsWith("/v1/datasets") || path.startsWith("/v1/reward-specs")
                    ? other : team).calls().get(path);
            assertProblem(missing, 404);
        }
        for (String action : List.of("cancel", "pause", "resume")) {
            assertProblem(team.calls().post("/v1/jobs/job_doesnotexist/" + action, null), 404);
        }
        ApiResponse othersDataset = other.calls().post("/v1/models", Map.of("name", "m", "recipe", "tiny-gpt",
                "dataset", corpus));
        assertProblem(othersDataset, 422);
        assertThat(pointers(othersDataset)).containsExactly("/dataset");

        // List parameters.
        ApiResponse badStatus = team.calls().get("/v1/jobs?status=sleeping");
        assertProblem(badStatus, 400);
        assertThat(pointers(badStatus)).containsExactly("/status");
        assertProblem(team.calls().get("/v1/jobs?limit=0"), 400);
        assertProblem(team.calls().get("/v1/models?after=model_nope"), 400);
        JsonNode page = team.calls().get("/v1/datasets?limit=2").json();
        assertThat(page.get("object").asString()).isEqualTo("list");
        assertThat(page.get("data")).hasSize(2);
        assertThat(page.get("has_more").asBoolean()).isTrue();
        JsonNode rest = team.calls().get("/v1/datasets?limit=2&after=" + page.get("data").get(1).get("id").asString())
                .json();
        assertThat(rest.get("data")).hasSize(1);
        assertThat(rest.get("has_more").asBoolean()).isFalse();
        JsonNode jobs = team.calls().get("/v1/jobs?status=queued").json();
        assertThat(jobs.get("object").asString()).isEqualTo("list");
        assertThat(jobs.has("has_more")).isTrue();

        JsonNode docs = api.anonymous().get("/v3/api-docs").json();
        for (String path : List.of("/v1/jobs", "/v1/jobs/{id}/metrics", "/v1/models", "/v1/datasets/generate",
                "/v1/reward-specs/{id}/run")) {
            assertThat(docs.get("paths").has(path)).as("api docs list %s", path).isTrue();
        }
    }

    private static void assertProblem(ApiResponse r, int status) {
        assertThat(r.status()).as(r.toString()).isEqualTo(status);
        assertThat(r.contentType().toString()).as(r.toString()).startsWith("application/problem+json");
        assertThat(r.json().get("code").asString()).as(r.toString()).isNotBlank();
    }

    private static List<String> pointers(ApiResponse r) {
        List<String> out = new ArrayList<>();
        r.json().path("errors").forEach(e -> out.add(e.get("pointer").asString()));
        return out;
    }

    private String submitGrpo(String model, String dataset, String evalDataset, String rewardSpec, int maxSteps,
            int evalInterval) {
        return submitGrpo(model, dataset, evalDataset, rewardSpec, maxSteps, evalInterval, Map.of());
    }

    private String submitGrpo(String model, String dataset, String evalDataset, String rewardSpec, int maxSteps,
            int evalInterval, Map<String, Object> extra) {
        Map<String, Object> grpo = new LinkedHashMap<>();
        grpo.put("max_steps", maxSteps);
        grpo.put("prompts_per_step", 4);
        grpo.put("num_generations", 4);
        grpo.put("max_completion_length", 3);
        grpo.put("eval_interval", evalInterval);
        grpo.put("eval_limit", 20);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("model", model);
        body.put("dataset", dataset);
        if (evalDataset != null) {
            body.put("eval_dataset", evalDataset);
        }
        body.put("reward_spec", rewardSpec);
        body.put("method", Map.of("type", "grpo", "grpo", grpo));
        body.put("seed", 7);
        body.put("suffix", "e2e");
        body.putAll(extra);
        ApiResponse r = team.calls().post("/v1/jobs", body);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.json().get("id").asString();
    }

    private JsonNode job(String id) {
        ApiResponse r = team.calls().get("/v1/jobs/" + id);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return r.json();
    }

    private JsonNode awaitStatus(String id, String status) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        JsonNode j = job(id);
        while (!j.get("status").asString().equals(status)) {
            assertThat(j.get("status").asString()).as("job %s: %s", id, j).isNotIn(terminalOtherThan(status));
            assertThat(System.nanoTime()).as("job %s never became %s: %s", id, status, j).isLessThan(deadline);
            Thread.sleep(50);
            j = job(id);
        }
        return j;
    }

    private static Set<String> terminalOtherThan(String status) {
        Set<String> s = new HashSet<>(Set.of("succeeded", "failed", "cancelled"));
        s.remove(status);
        return s;
    }

    private void awaitStep(String id, int atLeast) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        JsonNode j = job(id);
        while (j.get("current_step").asInt() < atLeast) {
            assertThat(j.get("status").asString()).as("job %s: %s", id, j).isIn("queued", "running");
            assertThat(System.nanoTime()).as("job %s never reached step %d", id, atLeast).isLessThan(deadline);
            Thread.sleep(20);
            j = job(id);
        }
    }

    private JsonNode awaitModelReady(String id) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (true) {
            ApiResponse r = team.calls().get("/v1/models/" + id);
            assertThat(r.status()).as(r.toString()).isEqualTo(200);
            String status = r.json().get("status").asString();
            if (status.equals("ready")) {
                return r.json();
            }
            assertThat(status).as("model %s: %s", id, r).isNotEqualTo("failed");
            assertThat(System.nanoTime()).as("model %s never ready: %s", id, r).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    private JsonNode metrics(String id, String names) {
        ApiResponse r = team.calls().get("/v1/jobs/" + id + "/metrics" + (names == null ? "" : "?names=" + names));
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return r.json().get("metrics");
    }

    private static List<Integer> stepsOf(JsonNode series) {
        List<Integer> out = new ArrayList<>();
        series.forEach(p -> out.add(p.get("step").asInt()));
        return out;
    }

    private static double mean(JsonNode series, int from, int to) {
        double sum = 0;
        for (int i = from; i < to; i++) {
            sum += series.get(i).get("value").asDouble();
        }
        return sum / (to - from);
    }

    private static List<Integer> range(int from, int to) {
        List<Integer> out = new ArrayList<>();
        for (int i = from; i <= to; i++) {
            out.add(i);
        }
        return out;
    }
}
