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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.JobInstance;
import org.springframework.batch.core.job.parameters.JobParameters;
import org.springframework.batch.core.job.parameters.JobParametersBuilder;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.infrastructure.item.ExecutionContext;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Import;
import org.springframework.http.HttpMethod;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

@TropismIntegrationTest
@Import(JobsTestConfig.class)
@TestPropertySource(properties = {"tropism.jobs.checkpoint-interval=5", "tropism.jobs.poll-interval=50ms",
        "tropism.jobs.max-concurrent=1"})
class JobsApiTest {

    @Autowired TropismTestClient api;
    @Autowired JobsTestConfig.FakeCatalog catalog;
    @Autowired JobsTestConfig.ScriptedRunFactory runs;
    @Autowired ModelStore models;
    @Autowired ObjectStore objects;
    @Autowired JobQueue queue;
    @Autowired JobMetrics jobMetrics;
    @Autowired JobRepository batchRepository;
    @Autowired JdbcClient jdbc;

    Team team;
    String baseModel;
    String prompts;
    String rewardSpec;

    @BeforeEach
    void setUp() throws Exception {
        team = api.newTeam("t-" + UUID.randomUUID().toString().substring(0, 8));
        baseModel = readyModel(team.id());
        prompts = catalog.addDataset(team.id(), DatasetPurpose.PROMPTS,
                List.of(Map.of("prompt", "1+1=", "answer", "2"), Map.of("prompt", "2+2=", "answer", "4")));
        rewardSpec = catalog.addRewardSpec(team.id(), Set.of("answer"));
    }

    private String readyModel(String teamId) throws Exception {
        String id = Ids.newId("model_");
        models.insert(new ModelRecord(0, id, teamId, "base", PolicyFamily.LANGUAGE_MODEL, "tiny-gpt", ModelRecord.READY, null, null,
                null, ModelRecord.prefixOf(id), 1000L, Instant.now()));
        objects.put(ModelRecord.prefixOf(id) + "config.json", new ByteArrayInputStream("{}".getBytes()));
        return id;
    }

    private Map<String, Object> body(int maxSteps, int evalInterval, Map<String, Object> metadata) {
        Map<String, Object> grpo = new HashMap<>();
        grpo.put("max_steps", maxSteps);
        grpo.put("warmup_steps", 0);
        grpo.put("eval_interval", evalInterval);
        Map<String, Object> b = new HashMap<>();
        b.put("model", baseModel);
        b.put("dataset", prompts);
        b.put("reward_spec", rewardSpec);
        b.put("method", Map.of("type", "grpo", "grpo", grpo));
        b.put("suffix", "aligned");
        b.put("metadata", metadata);
        return b;
    }

    private String submit(int maxSteps, int evalInterval, Map<String, Object> metadata) {
        ApiResponse r = team.calls().post("/v1/jobs", body(maxSteps, evalInterval, metadata));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        assertThat(r.json().get("status").asString()).isIn("queued", "running");
        return r.json().get("id").asString();
    }

    private JsonNode job(String id) {
        ApiResponse r = team.calls().get("/v1/jobs/" + id);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return r.json();
    }

    private JsonNode await(String id, String status) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        JsonNode j = job(id);
        while (!j.get("status").asString().equals(status)) {
            assertThat(System.nanoTime()).as("job %s never became %s: %s", id, status, j).isLessThan(deadline);
            Thread.sleep(25);
            j = job(id);
        }
        return j;
    }

    private void awaitStep(String id, int atLeast) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (job(id).get("current_step").asInt() < atLeast) {
            assertThat(System.nanoTime()).isLessThan(deadline);
            Thread.sleep(10);
        }
    }

    /** Steps at which a metric was recorded, in order, from the API. */
    private List<Integer> steps(String id, String metric) {
        ApiResponse r = team.calls().get("/v1/jobs/" + id + "/metrics?names=" + metric);
        assertThat(r.status()).isEqualTo(200);
        List<Integer> out = new ArrayList<>();
        JsonNode series = r.json().get("metrics").path(metric);
        for (JsonNode p : series) {
            out.add(p.get("step").asInt());
        }
        return out;
    }

    private static List<Integer> range(int from, int to) {
        List<Integer> out = new ArrayList<>();
        for (int i = from; i <= to; i++) {
            out.add(i);
        }
        return out;
    }

    @Test
    void jobRunsToSuccessAndRegistersTheAlignedModel() throws Exception {
        String id = submit(12, 4, Map.of());
        JsonNode done = await(id, "succeeded");
        assertThat(done.get("current_step").asInt()).isEqualTo(12);
        assertThat(done.get("total_steps").asInt()).isEqualTo(12);
        assertThat(done.get("seed").isIntegralNumber()).isTrue();
        assertThat(done.get("started_at").isNull()).isFalse();
        assertThat(done.get("finished_at").isNull()).isFalse();

        assertThat(steps(id, "train/loss")).isEqualTo(range(1, 12));
        assertThat(steps(id, "eval/accuracy")).containsExactly(0, 4, 8, 12);
        JsonNode metrics = team.calls().get("/v1/jobs/" + id + "/metrics?names=train/loss").json();
        assertThat(metrics.get("job").asString()).isEqualTo(id);
        assertThat(metrics.get("metrics").propertyNames()).containsExactly("train/loss");
        assertThat(metrics.get("metrics").get("train/loss").get(1).get("value").asDouble()).isEqualTo(0.5);

        JsonNode ckpts = team.calls().get("/v1/jobs/" + id + "/checkpoints").json().get("data");
        assertThat(ckpts).hasSize(3);
        assertThat(ckpts.get(0).get("step").asInt()).isEqualTo(5);
        assertThat(ckpts.get(2).get("step").asInt()).isEqualTo(12);
        assertThat(ckpts.get(2).get("id").asString()).startsWith("ckpt_");
        assertThat(ckpts.get(2).get("metrics").get("train/loss").asDouble()).isEqualTo(1.0 / 12);
        String prefix = ckpts.get(2).get("object_prefix").asString();
        assertThat(prefix).isEqualTo("jobs/" + id + "/checkpoints/" + ckpts.get(2).get("id").asString() + "/");
        assertThat(objects.list(prefix)).extracting(o -> o.key().substring(prefix.length()))
                .containsExactly("state.txt", "weights/model.bin");

        String aligned = done.get("result_model").asString();
        JsonNode model = team.calls().get("/v1/models/" + aligned).json();
        assertThat(model.get("status").asString()).isEqualTo("ready");
        assertThat(model.get("parent").asString()).isEqualTo(baseModel);
        assertThat(model.get("job").asString()).isEqualTo(id);
        assertThat(model.get("name").asString()).isEqualTo("base:aligned");
        assertThat(model.get("checkpoint").asString()).isEqualTo(ckpts.get(2).get("id").asString());
        assertThat(objects.stat("models/" + aligned + "/config.json")).isPresent();
        JsonNode list = team.calls().get("/v1/models").json();
        assertThat(list.get("object").asString()).isEqualTo("list");
        assertThat(list.get("data")).extracting(m -> m.get("id").asString()).contains(baseModel, aligned);

        List<String> types = new ArrayList<>();
        team.calls().get("/v1/jobs/" + id + "/events?limit=100").json().get("data")
                .forEach(e -> types.add(e.get("type").asString()));
        assertThat(types).startsWith("job.queued", "job.dispatched", "job.started", "eval.completed").endsWith("job.succeeded")
                .contains("checkpoint.saved");

        assertThat(api.anonymous().get("/actuator/prometheus").status()).as("job curves need the admin key").isEqualTo(401);
        assertThat(team.calls().get("/actuator/prometheus").status()).as("a team key is not enough").isEqualTo(401);
        assertThat(api.anonymous().get("/actuator/health").status()).isEqualTo(200);
        ApiResponse prometheus = api.admin().get("/actuator/prometheus");
        assertThat(prometheus.text()).contains("tropism_job_metric{job=\"" + id + "\",name=\"train/loss\"}");
        // A finished job's gauges go once their final values have had time to be scraped.
        jobMetrics.removeFinished(Instant.now().plus(JobMetrics.KEEP_FINISHED).plusSeconds(1));
        assertThat(api.anonymous().get("/actuator/prometheus").text()).doesNotContain("job=\"" + id + "\"");
    }

    @Test
    void secondJobStaysQueuedWhileTheFirstRuns() throws Exception {
        String first = submit(40, 0, Map.of("step_millis", 50));
        await(first, "running");
        String second = submit(3, 0, Map.of());
        Thread.sleep(300);
        assertThat(job(second).get("status").asString()).isEqualTo("queued");
        assertThat(job(first).get("status").asString()).isEqualTo("running");
        ApiResponse queued = team.calls().get("/v1/jobs?status=queued");
        assertThat(queued.json().get("data")).extracting(j -> j.get("id").asString()).containsExactly(second);

        team.calls().post("/v1/jobs/" + first + "/cancel", "");
        await(first, "cancelled");
        await(second, "succeeded");
    }

    @Test
    void cancelStopsWithinOneStepAndKeepsCheckpointsAndMetrics() throws Exception {
        String id = submit(1000, 0, Map.of("step_millis", 20));
        awaitStep(id, 7);
        ApiResponse r = team.calls().post("/v1/jobs/" + id + "/cancel", "");
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        int stepAtRequest = job(id).get("current_step").asInt();
        JsonNode j = await(id, "cancelled");
        assertThat(j.get("current_step").asInt()).isBetween(stepAtRequest, stepAtRequest + 1);
        assertThat(steps(id, "train/loss")).isEqualTo(range(1, j.get("current_step").asInt()));
        assertThat(team.calls().get("/v1/jobs/" + id + "/checkpoints").json().get("data")).isNotEmpty();
        assertThat(team.calls().post("/v1/jobs/" + id + "/cancel", "").status()).isEqualTo(409);
        assertThat(team.calls().post("/v1/jobs/" + id + "/resume", "").json().get("code").asString())
                .isEqualTo("invalid_state");
    }

    @Test
    void pauseThenResumeContinuesAtTheSameStep() throws Exception {
        String id = submit(30, 10, Map.of("step_millis", 20));
        awaitStep(id, 7);
        assertThat(team.calls().post("/v1/jobs/" + id + "/pause", "").status()).isEqualTo(200);
        JsonNode paused = await(id, "paused");
        int pausedAt = paused.get("current_step").asInt();
        JsonNode last = team.calls().get("/v1/jobs/" + id + "/checkpoints").json().get("data");
        assertThat(last.get(last.size() - 1).get("step").asInt()).isEqualTo(pausedAt);
        Long execution = jdbc.sql("SELECT batch_job_execution_id FROM jobs WHERE id = ?").param(id)
                .query(Long.class).single();
        // The worker settles the job as soon as its step ends; the manager's job execution ends at its next poll.
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (batchRepository.getJobExecution(execution).isRunning() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(batchRepository.getJobExecution(execution).getStatus()).isEqualTo(BatchStatus.STOPPED);
        assertThat(team.calls().post("/v1/jobs/" + id + "/pause", "").status()).isEqualTo(409);

        assertThat(team.calls().post("/v1/jobs/" + id + "/resume", "").status()).isEqualTo(200);
        await(id, "succeeded");
        assertThat(runs.openedAt.get(id)).containsExactly(0, pausedAt);
        assertThat(steps(id, "train/loss")).isEqualTo(range(1, 30));
        assertThat(steps(id, "eval/accuracy")).containsExactly(0, 10, 20, 30);
    }

    @Test
    void pauseDoesNotOverrideAPendingCancel() throws Exception {
        String id = submit(1000, 0, Map.of("step_millis", 200));
        awaitStep(id, 1);
        assertThat(team.calls().post("/v1/jobs/" + id + "/cancel", "").status()).isEqualTo(200);
        ApiResponse pause = team.calls().post("/v1/jobs/" + id + "/pause", "");
        assertThat(pause.status()).as(pause.toString()).isEqualTo(409);
        await(id, "cancelled");
    }

    @Test
    void recoveryOfAJobWithAPendingPauseLeavesItPaused() throws Exception {
        String id = submit(20, 0, Map.of("step_millis", 20));
        awaitStep(id, 3);
        team.calls().post("/v1/jobs/" + id + "/pause", "");
        await(id, "paused");
        // As a killed worker would leave it: running (on a node that no longer heartbeats) with the pause request not
        // yet honoured.
        jdbc.sql("UPDATE jobs SET status = 'running', control = 'pause', worker_id = 'node_gone' WHERE id = ?")
                .param(id).update();
        queue.recoverInterrupted();
        await(id, "paused");
        Thread.sleep(200);
        assertThat(job(id).get("status").asString()).isEqualTo("paused");
        assertThat(team.calls().post("/v1/jobs/" + id + "/resume", "").status()).isEqualTo(200);
        await(id, "succeeded");
    }

    @Test
    void restartAfterCrashResumesFromTheLastCheckpointWithoutDuplicateSteps() throws Exception {
        String id = submit(20, 0, Map.of("step_millis", 20));
        awaitStep(id, 6);
        team.calls().post("/v1/jobs/" + id + "/pause", "");
        int checkpointStep = await(id, "paused").get("current_step").asInt();

        // Leave the job as a killed node (worker and manager) would: running on a node that no longer heartbeats, a
        // STARTED batch execution, and metrics recorded after its last checkpoint.
        JobParameters params = new JobParametersBuilder().addString("job_id", id).addString("launch", "crashed")
                .toJobParameters();
        JobInstance instance = batchRepository.createJobInstance("training", params);
        JobExecution crashed = batchRepository.createJobExecution(instance, params, new ExecutionContext());
        crashed.setStatus(BatchStatus.STARTED);
        crashed.setStartTime(java.time.LocalDateTime.now());
        batchRepository.update(crashed);
        for (int s = checkpointStep + 1; s <= checkpointStep + 3; s++) {
            jdbc.sql("INSERT INTO job_metrics (job_id, step, name, \"value\") VALUES (?, ?, 'train/loss', 999)")
                    .params(id, s).update();
        }
        jdbc.sql("UPDATE jobs SET status = 'running', current_step = ?, batch_job_execution_id = ?,"
                        + " worker_id = 'node_gone', dispatcher_id = 'node_gone' WHERE id = ?")
                .params(checkpointStep + 3, crashed.getId(), id).update();

        queue.recoverInterrupted();

        assertThat(batchRepository.getJobExecution(crashed.getId()).getStatus()).isEqualTo(BatchStatus.FAILED);
        await(id, "succeeded");
        assertThat(runs.openedAt.get(id)).containsExactly(0, checkpointStep);
        assertThat(steps(id, "train/loss")).isEqualTo(range(1, 20));
        JsonNode losses = team.calls().get("/v1/jobs/" + id + "/metrics?names=train/loss").json()
                .get("metrics").get("train/loss");
        for (JsonNode p : losses) {
            assertThat(p.get("value").asDouble()).isEqualTo(JobsTestConfig.CountingRun.loss(p.get("step").asInt()));
        }
        List<String> types = new ArrayList<>();
        team.calls().get("/v1/jobs/" + id + "/events?limit=100").json().get("data")
                .forEach(e -> types.add(e.get("type").asString()));
        assertThat(types).contains("job.recovered", "job.resumed");
    }

    @Test
    void numericalInstabilityFailsTheJobAndKeepsItsHistory() throws Exception {
        String id = submit(20, 0, Map.of("fail_at_step", 8));
        JsonNode failed = await(id, "failed");
        assertThat(failed.get("error").get("code").asString()).isEqualTo("numerical_instability");
        assertThat(failed.get("error").get("message").asString()).contains("NaN");
        assertThat(failed.get("result_model").isNull()).isTrue();
        assertThat(steps(id, "train/loss")).isEqualTo(range(1, 7));
        JsonNode ckpts = team.calls().get("/v1/jobs/" + id + "/checkpoints").json().get("data");
        assertThat(ckpts).extracting(c -> c.get("step").asInt()).containsExactly(5);
        // The service keeps working: the next job runs.
        await(submit(2, 0, Map.of()), "succeeded");
    }

    @Test
    void anomalyModeNamesWhereTheFirstNonFiniteValueAppeared() throws Exception {
        Map<String, Object> b = body(20, 0, Map.of("fail_at_step", 8));
        b.put("debug", Map.of("check_finite", true));
        ApiResponse r = team.calls().post("/v1/jobs", b);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        assertThat(r.json().get("debug").get("check_finite").asBoolean()).isTrue();
        String id = r.json().get("id").asString();
        JsonNode failed = await(id, "failed");
        assertThat(failed.get("error").get("code").asString()).isEqualTo("numerical_instability");
        assertThat(failed.get("error").get("message").asString()).contains("step 8", "out.gn.g");
        JsonNode event = null;
        for (JsonNode e : team.calls().get("/v1/jobs/" + id + "/events?limit=100").json().get("data")) {
            if (e.get("type").asString().equals("job.failed")) {
                event = e;
            }
        }
        assertThat(event).as("job.failed event").isNotNull();
        JsonNode where = event.get("data").get("non_finite");
        assertThat(where.get("step").asInt()).isEqualTo(8);
        assertThat(where.get("pass").asString()).isEqualTo("backward");
        assertThat(where.get("layer").asString()).isEqualTo("out.gn");
        assertThat(where.get("tensor").asString()).isEqualTo("out.gn.g");
        // Without debug options the job shows none.
        assertThat(job(submit(2, 0, Map.of())).get("debug").isNull()).isTrue();
    }

    @Test
    void debugOptionsAreValidated() {
        Map<String, Object> b = body(2, 0, Map.of());
        b.put("debug", Map.of("check_finite", "yes", "trace", true));
        ApiResponse r = team.calls().post("/v1/jobs", b);
        assertThat(r.status()).as(r.toString()).isEqualTo(422);
        assertThat(r.json().get("errors")).extracting(e -> e.get("pointer").asString())
                .containsExactlyInAnyOrder("/debug/check_finite", "/debug/trace");
        b.put("debug", List.of(true));
        ApiResponse notObject = team.calls().post("/v1/jobs", b);
        assertThat(notObject.status()).as(notObject.toString()).isEqualTo(422);
        assertThat(notObject.json().get("errors")).extracting(e -> e.get("pointer").asString()).containsExactly("/debug");
    }

    @Test
    void validationReportsEveryViolationAtOnce() {
        String corpus = catalog.addDataset(team.id(), DatasetPurpose.CORPUS, List.of(Map.of("text", "hello")));
        String needsMore = catalog.addRewardSpec(team.id(), Set.of("answer", "solution"));
        Team other = api.newTeam("other-" + UUID.randomUUID().toString().substring(0, 8));
        String othersPrompts = catalog.addDataset(other.id(), DatasetPurpose.PROMPTS, List.of(Map.of("prompt", "x")));
        Map<String, Object> b = new HashMap<>();
        b.put("model", "model_doesnotexist");
        b.put("dataset", corpus);
        b.put("eval_dataset", othersPrompts);
        b.put("reward_spec", needsMore);
        b.put("method", Map.of("type", "grpo", "grpo", Map.of("num_generations", "eight", "bogus", 1)));
        ApiResponse r = team.calls().post("/v1/jobs", b);
        assertThat(r.status()).as(r.toString()).isEqualTo(422);
        assertThat(r.json().get("errors")).extracting(e -> e.get("pointer").asString()).containsExactlyInAnyOrder(
                "/method/grpo/bogus", "/method/grpo/num_generations", "/model", "/dataset", "/eval_dataset");

        Map<String, Object> c = body(10, 0, Map.of());
        c.put("method", Map.of("type", "grpo", "grpo", Map.of("beta", -1, "epsilon_low", 0.2)));
        c.put("reward_spec", needsMore);
        c.put("suffix", "bad suffix!");
        r = team.calls().post("/v1/jobs", c);
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.json().get("errors")).extracting(e -> e.get("pointer").asString())
                .containsExactlyInAnyOrder("/method/grpo/beta", "/dataset", "/suffix");

        c.put("method", Map.of("type", "not_a_method"));
        r = team.calls().post("/v1/jobs", c);
        assertThat(r.json().get("errors")).extracting(e -> e.get("pointer").asString()).contains("/method/type");
        assertThat(team.calls().get("/v1/jobs").json().get("data")).isEmpty();
    }

    @Test
    void maxCompletionLengthMustLeaveRoomForThePromptInTheBaseModel() throws Exception {
        objects.put(ModelRecord.prefixOf(baseModel) + "model.json",
                new ByteArrayInputStream("{\"format\":\"tropism-gpt-v1\",\"config\":{\"block_size\":12}}".getBytes()));
        Map<String, Object> b = body(3, 0, Map.of());
        b.put("method", Map.of("type", "grpo", "grpo", Map.of("max_steps", 3, "warmup_steps", 0,
                "max_completion_length", 11)));
        ApiResponse r = team.calls().post("/v1/jobs", b);
        assertThat(r.status()).as(r.toString()).isEqualTo(422);
        assertThat(r.json().get("errors")).extracting(e -> e.get("pointer").asString())
                .containsExactly("/method/grpo/max_completion_length");
        assertThat(team.calls().get("/v1/jobs").json().get("data")).isEmpty();
    }

    @Test
    void aConfigErrorWhenTheRunOpensFailsTheJobAsInvalidConfig() throws Exception {
        String id = submit(5, 0, Map.of("config_error", "must leave room for the prompt"));
        JsonNode failed = await(id, "failed");
        assertThat(failed.get("error").get("code").asString()).isEqualTo("invalid_config");
        assertThat(failed.get("error").get("message").asString())
                .isEqualTo("max_completion_length: must leave room for the prompt");
    }

    @Test
    void anotherTeamsJobIsNotFound() throws Exception {
        String id = submit(2, 0, Map.of());
        Team other = api.newTeam("o-" + UUID.randomUUID().toString().substring(0, 8));
        assertThat(other.calls().get("/v1/jobs/" + id).status()).isEqualTo(404);
        assertThat(other.calls().get("/v1/jobs/" + id + "/metrics").status()).isEqualTo(404);
        assertThat(other.calls().post("/v1/jobs/" + id + "/cancel", "").status()).isEqualTo(404);
        assertThat(other.calls().get("/v1/jobs").json().get("data")).isEmpty();
        await(id, "succeeded");
    }

    @Test
    void eventStreamReplaysAndEndsWithTheJob() throws Exception {
        String id = submit(6, 3, Map.of("step_millis", 30));
        ApiResponse r = team.calls().withHeader("Accept", "text/event-stream")
                .exchange(HttpMethod.GET, "/v1/jobs/" + id + "/events", null, null);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.contentType().toString()).startsWith("text/event-stream");
        String text = r.text();
        assertThat(text).contains("event:job.queued", "event:job.started", "event:eval.completed",
                "event:checkpoint.saved", "event:job.succeeded");
        assertThat(text.indexOf("event:job.started")).isLessThan(text.indexOf("event:job.succeeded"));
        assertThat(job(id).get("status").asString()).isEqualTo("succeeded");
    }

    @Test
    void pretrainingCreatesAModelThatBecomesReady() throws Exception {
        String corpus = catalog.addDataset(team.id(), DatasetPurpose.CORPUS, List.of(Map.of("text", "1+1=2")));
        ApiResponse bad = team.calls().post("/v1/models", Map.of("name", "m", "recipe", "tiny-gpt", "dataset", prompts,
                "hyperparameters", Map.of("n_layer", 0, "dropout", 0.1, "vocab_size", 9)));
        assertThat(bad.status()).isEqualTo(422);
        assertThat(bad.json().get("errors")).extracting(e -> e.get("pointer").asString()).containsExactlyInAnyOrder(
                "/dataset", "/hyperparameters/n_layer", "/hyperparameters/dropout", "/hyperparameters/vocab_size");

        ApiResponse r = team.calls().post("/v1/models", Map.of("name", "tiny", "recipe", "tiny-gpt", "dataset", corpus,
                "hyperparameters", Map.of("n_layer", 2, "n_embd", 32, "max_steps", 7, "warmup_steps", 1,
                        "eval_interval", 0)));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        String modelId = r.json().get("id").asString();
        assertThat(r.json().get("status").asString()).isEqualTo("training");
        String jobId = r.json().get("job").asString();
        JsonNode job = await(jobId, "succeeded");
        assertThat(job.get("method").get("type").asString()).isEqualTo("pretrain");
        assertThat(job.get("result_model").asString()).isEqualTo(modelId);
        JsonNode model = team.calls().get("/v1/models/" + modelId).json();
        assertThat(model.get("status").asString()).isEqualTo("ready");
        assertThat(model.get("checkpoint").asString()).startsWith("ckpt_");
        assertThat(objects.stat("models/" + modelId + "/config.json")).isPresent();
        assertThat(steps(jobId, "train/loss")).isEqualTo(range(1, 7));
    }

    @Test
    void rewardOptionsAreValidatedWithPointers() {
        Map<String, Object> noEvalDataset = body(10, 2, Map.of());
        noEvalDataset.put("eval_reward_spec", catalog.addRewardSpec(team.id(), Set.of("answer")));
        noEvalDataset.put("reward_options", Map.of("normalization", "batch", "hacking_monitor",
                Map.of("window", 2, "on_hacking", "shout", "kl_bound", -1, "patience", 3)));
        noEvalDataset.put("method", Map.of("type", "grpo", "grpo", Map.of("scale_rewards", "none")));
        ApiResponse r = team.calls().post("/v1/jobs", noEvalDataset);
        assertThat(r.status()).as(r.toString()).isEqualTo(422);
        assertThat(r.json().get("errors")).extracting(e -> e.get("pointer").asString()).containsExactlyInAnyOrder(
                "/eval_reward_spec", "/reward_options/normalization", "/reward_options/hacking_monitor/window",
                "/reward_options/hacking_monitor/on_hacking", "/reward_options/hacking_monitor/kl_bound",
                "/reward_options/hacking_monitor/patience");

        Map<String, Object> nothingToWatch = body(10, 2, Map.of());
        nothingToWatch.put("reward_options", Map.of("hacking_monitor", Map.of()));
        nothingToWatch.put("eval_reward_spec", "rs_missing");
        nothingToWatch.put("eval_dataset", prompts);
        ApiResponse r2 = team.calls().post("/v1/jobs", nothingToWatch);
        assertThat(r2.json().get("errors")).extracting(e -> e.get("pointer").asString())
                .containsExactlyInAnyOrder("/eval_reward_spec", "/reward_options/hacking_monitor");

        Map<String, Object> tooShort = body(10, 8, Map.of());
        tooShort.put("eval_reward_spec", catalog.addRewardSpec(team.id(), Set.of("answer")));
        tooShort.put("eval_dataset", prompts);
        tooShort.put("reward_options", Map.of("hacking_monitor", Map.of("window", 10)));
        assertThat(team.calls().post("/v1/jobs", tooShort).json().get("errors").get(0).get("detail").asString())
                .contains("2 × eval_interval = 16");
    }

    @Test
    void normalizationIsStoredAsTheMethodsScaleRewards() throws Exception {
        Map<String, Object> b = body(3, 0, Map.of());
        b.put("reward_options", Map.of("normalization", "none"));
        ApiResponse r = team.calls().post("/v1/jobs", b);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        assertThat(r.json().get("method").get("grpo").get("scale_rewards").asString()).isEqualTo("none");
        assertThat(r.json().get("reward_options").get("normalization").asString()).isEqualTo("none");
        await(r.json().get("id").asString(), "succeeded");
    }

    private String submitWatched(double goldSlope, String onHacking) {
        Map<String, Object> b = body(40, 2, Map.of("gold_slope", goldSlope));
        b.put("eval_dataset", prompts);
        b.put("eval_reward_spec", catalog.addRewardSpec(team.id(), Set.of("answer")));
        b.put("reward_options", Map.of("hacking_monitor", Map.of("window", 10, "on_hacking", onHacking)));
        ApiResponse r = team.calls().post("/v1/jobs", b);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        assertThat(r.json().get("eval_reward_spec").asString()).startsWith("rs_");
        assertThat(r.json().get("reward_options").get("hacking_monitor").get("min_gold_drop").asDouble()).isEqualTo(0.05);
        return r.json().get("id").asString();
    }

    private List<JsonNode> alarms(String id) {
        List<JsonNode> out = new ArrayList<>();
        team.calls().get("/v1/jobs/" + id + "/events?limit=100").json().get("data").forEach(e -> {
            if (e.get("type").asString().equals("reward_hacking_suspected")) {
                out.add(e);
            }
        });
        return out;
    }

    @Test
    void hackingMonitorPausesAJobWhoseProxyRisesWhileGoldFallsAndKeepsACheckpoint() throws Exception {
        String id = submitWatched(-1.0, "pause");
        JsonNode paused = await(id, "paused");
        List<JsonNode> alarms = alarms(id);
        assertThat(alarms).hasSize(1);
        JsonNode alarm = alarms.get(0);
        assertThat(alarm.get("level").asString()).isEqualTo("warning");
        JsonNode evidence = alarm.get("data");
        assertThat(evidence.get("rule").asString()).isEqualTo("proxy_up_gold_down");
        assertThat(evidence.get("train_reward_change").asDouble()).isPositive();
        assertThat(evidence.get("gold_reward_change").asDouble()).isNegative();
        int step = evidence.get("step").asInt();
        // half a window (5) of train points and two gold evaluations: the alarm comes at step 5
        assertThat(step).isEqualTo(5);
        assertThat(paused.get("current_step").asInt()).isEqualTo(step);
        JsonNode checkpoints = team.calls().get("/v1/jobs/" + id + "/checkpoints").json().get("data");
        assertThat(checkpoints).extracting(c -> c.get("step").asInt()).contains(step);

        // Resumed, it stays quiet for a window after the alarm, then pauses again on the next episode.
        assertThat(team.calls().post("/v1/jobs/" + id + "/resume", "").status()).isEqualTo(200);
        await(id, "paused");
        assertThat(alarms(id)).hasSize(2);
        assertThat(alarms(id).get(1).get("data").get("step").asInt()).isEqualTo(step + 11);
    }

    @Test
    void aRewardThatGivesNoLearningSignalIsReportedOnceWithItsCures() throws Exception {
        String id = submit(25, 0, Map.of("zero_std", 0.95));
        await(id, "succeeded");
        List<JsonNode> warnings = new ArrayList<>();
        team.calls().get("/v1/jobs/" + id + "/events?limit=100").json().get("data").forEach(e -> {
            if (e.get("type").asString().equals("no_learning_signal")) {
                warnings.add(e);
            }
        });
        assertThat(warnings).singleElement().satisfies(w -> {
            assertThat(w.get("level").asString()).isEqualTo("warning");
            assertThat(w.get("message").asString()).startsWith("No learning signal: in the last 10 steps, 95%");
            JsonNode data = w.get("data");
            assertThat(data.get("step").asInt()).isEqualTo(10);
            assertThat(data.get("from_step").asInt()).isEqualTo(1);
            assertThat(data.get("fractions")).hasSize(10);
            assertThat(data.get("cures").get(0).asString()).contains("supervised fine-tuning");
        });
        String healthy = submit(25, 0, Map.of("zero_std", 0.5));
        await(healthy, "succeeded");
        assertThat(team.calls().get("/v1/jobs/" + healthy + "/events?limit=100").json().get("data").toString())
                .doesNotContain("no_learning_signal");
    }

    @Test
    void compareShowsTheJobsHyperparameterDifferencesAndTheirMetricsByStepAndByTime() throws Exception {
        String a = submit(5, 0, Map.of("step_millis", 20));
        String b = submit(8, 0, Map.of("step_millis", 20));
        await(a, "succeeded");
        await(b, "succeeded");
        ApiResponse r = team.calls().get("/v1/jobs/compare?ids=" + a + "," + b + "&names=train/loss");
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        JsonNode view = r.json();
        assertThat(view.get("object").asString()).isEqualTo("job_comparison");
        assertThat(view.get("jobs")).extracting(j -> j.get("id").asString()).containsExactly(a, b);
        assertThat(view.get("jobs").get(0).get("method_type").asString()).isEqualTo("grpo");
        assertThat(view.get("jobs").get(0).get("suffix").asString()).isEqualTo("aligned");
        assertThat(view.get("jobs").get(1).get("hyperparameters").get("grpo.max_steps").asInt()).isEqualTo(8);
        // Only what differs: max_steps (and the metadata's step count is the same), not warmup_steps.
        JsonNode differences = view.get("differences");
        assertThat(differences.get("grpo.max_steps").get(a).asInt()).isEqualTo(5);
        assertThat(differences.get("grpo.max_steps").get(b).asInt()).isEqualTo(8);
        assertThat(differences.has("grpo.warmup_steps")).isFalse();
        JsonNode losses = view.get("metrics").get("train/loss");
        assertThat(losses.get(a)).hasSize(5);
        assertThat(losses.get(b)).hasSize(8);
        double previous = 0;
        for (JsonNode p : losses.get(b)) {
            double elapsed = p.get("elapsed_seconds").asDouble();
            assertThat(elapsed).isGreaterThan(previous); // training time so far, rising with each step
            previous = elapsed;
        }
        assertThat(view.get("metrics").has("train/reward/mean")).isFalse(); // only the names asked for
        assertThat(view.get("metric_names").toString()).contains("train/reward/mean", "perf/step_seconds");

        ApiResponse one = team.calls().get("/v1/jobs/compare?ids=" + a);
        assertThat(one.status()).isEqualTo(400);
        assertThat(one.text()).contains("/ids").contains("at least 2");
        assertThat(team.calls().get("/v1/jobs/compare?ids=" + a + "," + a).text()).contains("twice");
        Team other = api.newTeam("t-" + UUID.randomUUID().toString().substring(0, 8));
        assertThat(other.calls().get("/v1/jobs/compare?ids=" + a + "," + b).status()).isEqualTo(404);
    }

    @Test
    void hackingMonitorStaysQuietOnAHealthyRunAndWarnsWithoutPausing() throws Exception {
        String healthy = submitWatched(0.3, "pause");
        await(healthy, "succeeded");
        assertThat(alarms(healthy)).isEmpty();
        assertThat(steps(healthy, "eval/gold/mean")).contains(0, 2, 40);

        String warned = submitWatched(-1.0, "warn");
        await(warned, "succeeded");
        assertThat(alarms(warned)).extracting(a -> a.get("data").get("step").asInt()).containsExactly(5, 16, 27, 38);
    }
}
