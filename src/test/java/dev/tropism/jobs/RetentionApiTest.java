package dev.tropism.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.models.ModelStore;
import dev.tropism.storage.ObjectStore;
import dev.tropism.storage.StoredObject;
import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import java.io.IOException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.TestPropertySource;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.JsonNode;

/**
 * Checkpoint retention on scripted runs: checkpoints every 5 steps, each deleted (objects, row, model) once it is
 * outside a job's last N and not its best, unless a model or job still references it.
 */
@TropismIntegrationTest
@Import({JobsTestConfig.class, ScriptedJobs.Recorder.class})
@TestPropertySource(properties = {"tropism.jobs.checkpoint-interval=5", "tropism.jobs.poll-interval=50ms",
        "tropism.jobs.max-concurrent=1"})
class RetentionApiTest {

    @Autowired TropismTestClient api;
    @Autowired JobsTestConfig.FakeCatalog catalog;
    @Autowired ModelStore models;
    @Autowired ObjectStore objects;
    @Autowired CheckpointModels checkpointModels;
    @Autowired Checkpoints checkpointRows;
    @Autowired ScriptedJobs.Recorder recorder;
    @Autowired CheckpointRetention retention;
    @Autowired JobStore jobRows;
    @Autowired JdbcClient jdbc;
    @Autowired PlatformTransactionManager transactions;
    @Autowired List<ModelReferences> modelReferences;

    ScriptedJobs jobs;

    @BeforeEach
    void setUp() {
        jobs = new ScriptedJobs(api.newTeam("r-" + UUID.randomUUID().toString().substring(0, 8)), catalog, models);
    }

    private long bytesUnder(String prefix) throws IOException {
        return objects.list(prefix).stream().mapToLong(StoredObject::size).sum();
    }

    @Test
    void keepsTheLastNAndTheBestAndDeletesTheRestWithTheirObjectsModelsAndEvents() throws Exception {
        Map<String, Object> body = jobs.grpo(jobs.baseModel, 30, 5, Map.of());
        // The scripted eval/accuracy rises with the step (step / 30): with mode min, the best is the first checkpoint.
        body.put("retention", Map.of("keep_last", 2, "best_metric", "eval/accuracy", "mode", "min"));
        String id = jobs.submit(body);
        JsonNode done = jobs.await(id, "succeeded");
        assertThat(done.get("retention")).isEqualTo(tools.jackson.databind.json.JsonMapper.builder().build().readTree(
                "{\"keep_last\":2,\"keep_best\":true,\"best_metric\":\"eval/accuracy\",\"mode\":\"min\"}"));

        // Saved at 5, 10, 15, 20, 25 and (final) 30: kept 5 (best), 25 and 30 (last 2).
        JsonNode kept = jobs.checkpoints(id);
        assertThat(jobs.checkpointSteps(id)).containsExactly(5, 25, 30);
        for (JsonNode c : kept) {
            String prefix = c.get("object_prefix").asString();
            assertThat(objects.list(prefix)).as("objects of kept checkpoint %s", c).isNotEmpty();
            assertThat(c.get("size_bytes").asLong()).as("size of %s", c).isEqualTo(bytesUnder(prefix)).isPositive();
        }

        List<JsonNode> deletions = jobs.events(id, "checkpoint.deleted");
        assertThat(deletions).extracting(e -> e.get("data").get("step").asInt()).containsExactly(10, 15, 20);
        assertThat(deletions).allSatisfy(e -> assertThat(e.get("data").get("reason").asString()).isEqualTo("retention"));
        assertThat(recorder.deleted.stream().filter(e -> e.jobId().equals(id)))
                .extracting(CheckpointDeleted::step, CheckpointDeleted::teamId, CheckpointDeleted::reason)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(10, jobs.team.id(), "retention"),
                        org.assertj.core.groups.Tuple.tuple(15, jobs.team.id(), "retention"),
                        org.assertj.core.groups.Tuple.tuple(20, jobs.team.id(), "retention"));
        // and each deletion is in the audit log, made by the system
        JsonNode audited = api.admin().get("/v1/audit-events?team=" + jobs.team.id() + "&action=checkpoint.deleted&limit=100")
                .json().get("data");
        assertThat(audited).filteredOn(r -> r.get("detail").toString().contains(id))
                .extracting(r -> r.get("key_id").asString() + " " + r.get("resource_type").asString())
                .containsOnly("system checkpoints").hasSize(3);

        // Every checkpoint had its model base:aligned@<step>; the deleted ones' are deleted, with no objects left.
        Map<String, JsonNode> produced = jobs.modelsOf(id);
        for (int step : List.of(5, 10, 15, 20, 25, 30)) {
            JsonNode m = produced.get("base:aligned@" + step);
            assertThat(m).as("model of step %d", step).isNotNull();
            boolean deleted = List.of(10, 15, 20).contains(step);
            assertThat(m.get("status").asString()).isEqualTo(deleted ? "deleted" : "ready");
            String checkpointPrefix = Checkpoint.prefixOf(id, m.get("checkpoint").asString());
            assertThat(objects.list(checkpointPrefix).isEmpty()).as("objects of step %d gone", step).isEqualTo(deleted);
            if (deleted) {
                assertThat(deletions).anySatisfy(e -> assertThat(e.get("data").get("checkpoint").asString())
                        .isEqualTo(m.get("checkpoint").asString()));
            }
        }
        // The aligned model came from the final checkpoint, which is kept; its size is that of its files.
        JsonNode result = produced.get("base:aligned");
        assertThat(result.get("status").asString()).isEqualTo("ready");
        assertThat(result.get("checkpoint").asString()).isEqualTo(kept.get(2).get("id").asString());
        assertThat(result.get("size_bytes").asLong()).isEqualTo(bytesUnder("models/" + result.get("id").asString() + "/"))
                .isPositive();
        // A deleted checkpoint's model can no longer be trained from.
        var refused = jobs.team.calls().post("/v1/jobs", jobs.grpo(produced.get("base:aligned@10").get("id").asString(),
                3, 0, Map.of()));
        assertThat(refused.status()).isEqualTo(422);
        assertThat(refused.json().get("errors").valueStream().map(e -> e.get("pointer").asString() + " "
                + e.get("detail").asString())).contains("/model model " + produced.get("base:aligned@10").get("id").asString()
                + " is deleted; it must be ready");
    }

    @Test
    void neverDeletesACheckpointWhoseModelAJobTrainsFromNorTheOneAModelWasExportedFrom() throws Exception {
        // Slow enough steps that the pause lands before the checkpoint at 10 would delete the one at 5.
        Map<String, Object> body = jobs.grpo(jobs.baseModel, 20, 0, Map.of("step_millis", 100));
        body.put("retention", Map.of("keep_last", 2, "keep_best", false));
        String a = jobs.submit(body);
        jobs.awaitCheckpoint(a, 5);
        assertThat(jobs.team.calls().post("/v1/jobs/" + a + "/pause", "").status()).isEqualTo(200);
        jobs.await(a, "paused");
        List<Integer> beforeResume = jobs.checkpointSteps(a);
        assertThat(beforeResume).hasSize(2).startsWith(5); // 5 and the pause's own: nothing deleted yet
        int pausedAt = beforeResume.get(1);

        // Job b trains from the model of a's checkpoint at step 5, and runs while a is paused.
        String atFive = jobs.modelsOf(a).get("base:aligned@5").get("id").asString();
        String b = jobs.submit(jobs.grpo(atFive, 3, 0, Map.of()));
        jobs.await(b, "succeeded");

        assertThat(jobs.team.calls().post("/v1/jobs/" + a + "/resume", "").status()).isEqualTo(200);
        jobs.await(a, "succeeded");
        // Last 2 are 15 and 20; 5 stays because job b (and b's models) reference its model; the pause's and 10 go.
        assertThat(jobs.checkpointSteps(a)).containsExactly(5, 15, 20);
        List<Integer> deleted = pausedAt == 10 ? List.of(10) : List.of(pausedAt, 10);
        assertThat(jobs.events(a, "checkpoint.deleted")).extracting(e -> e.get("data").get("step").asInt())
                .containsExactlyElementsOf(deleted);
        assertThat(jobs.modelsOf(a).get("base:aligned@5").get("status").asString()).isEqualTo("ready");

        // What the port reports for the kept ones: a model exported from the final one, a model trained from 5's.
        List<Checkpoint> rows = checkpointRows.list(a);
        String result = jobs.job(a).get("result_model").asString();
        assertThat(checkpointModels.referencedBy(rows.get(2))).contains("model " + result + " was exported from it");
        assertThat(checkpointModels.referencedBy(rows.get(0))).hasValueSatisfying(why ->
                assertThat(why).contains("was trained from its model " + atFive));
        assertThat(checkpointModels.referencedBy(rows.get(1))).isEmpty();
    }

    @Test
    void neverDeletesACheckpointWhoseModelARewardSpecAnAliasOrAnEvalSuiteUses() throws Exception {
        // Every checkpoint is kept while the job runs; retention is then applied as after a new checkpoint.
        String id = jobs.submit(jobs.grpo(jobs.baseModel, 30, 0, Map.of()));
        jobs.await(id, "succeeded");
        assertThat(jobs.checkpointSteps(id)).containsExactly(5, 10, 15, 20, 25, 30);
        Map<String, JsonNode> produced = jobs.modelsOf(id);
        String at5 = produced.get("base:aligned@5").get("id").asString();
        String at10 = produced.get("base:aligned@10").get("id").asString();
        String at15 = produced.get("base:aligned@15").get("id").asString();
        String team = jobs.team.id();
        Timestamp now = Timestamp.from(Instant.now());

        // 5: a reward_model grader nested in a multi grader names its model (the rows as the rewards module stores them)
        String spec = "rs_" + UUID.randomUUID().toString().replace("-", "");
        jdbc.sql("INSERT INTO reward_specs (id, team_id, name, grader, item_fields, created_at) VALUES (?, ?, ?, ?, ?, ?)")
                .params(spec, team, "judged", "{\"type\":\"multi\",\"graders\":{\"len\":{\"type\":\"length\"},"
                        + "\"rm\":{\"type\":\"reward_model\",\"model\":\"" + at5 + "\",\"transform\":\"sigmoid\"}}}",
                        "[]", now)
                .update();
        // 10: an alias points at its model
        jdbc.sql("INSERT INTO reward_aliases (team_id, name, target_id, kind, created_at, updated_at, updated_by)"
                        + " VALUES (?, ?, ?, 'reward_model', ?, ?, 'admin')")
                .params(team, "helpful@production", at10, now, now).update();
        // 15: an eval suite samples its model as the policy
        String suite = "suite_" + UUID.randomUUID().toString().replace("-", "");
        jdbc.sql("INSERT INTO eval_suites (id, team_id, name, version, policy, n_samples, max_prompts, max_new_tokens,"
                        + " temperature, top_p, seed, thresholds, created_at) VALUES (?, ?, 'gate', 2, ?, 1, 1, 8, 1.0,"
                        + " 1.0, 0, '[]', ?)")
                .params(suite, team, at15, now).update();

        jdbc.sql("UPDATE jobs SET retention = ? WHERE id = ?")
                .params("{\"keep_last\":2,\"keep_best\":false,\"best_metric\":\"eval/accuracy\",\"mode\":\"max\"}", id)
                .update();
        JobRecord job = jobRows.find(id).orElseThrow();
        List<Checkpoint> rows = checkpointRows.list(id);
        TransactionTemplate tx = new TransactionTemplate(transactions);
        Function<Checkpoint, Optional<String>> why = c -> tx.execute(s -> retention.referencedBy(job, c));
        assertThat(why.apply(rows.get(0)))
                .contains("reward spec " + spec + " (judged) grades with model " + at5 + " at /graders/rm/model");
        assertThat(why.apply(rows.get(1)))
                .contains("alias helpful@production points at model " + at10);
        assertThat(why.apply(rows.get(2)))
                .contains("eval suite gate v2 (" + suite + ") uses model " + at15 + " as its policy");
        assertThat(why.apply(rows.get(3))).isEmpty();

        List<Checkpoint> deleted = tx.execute(s -> retention.apply(job));
        assertThat(deleted).extracting(Checkpoint::step).containsExactly(20);
        assertThat(jobs.checkpointSteps(id)).containsExactly(5, 10, 15, 25, 30);
        Map<String, JsonNode> after = jobs.modelsOf(id);
        for (int step : List.of(5, 10, 15, 20, 25, 30)) {
            assertThat(after.get("base:aligned@" + step).get("status").asString()).as("model of step %d", step)
                    .isEqualTo(step == 20 ? "deleted" : "ready");
        }
    }

    @Test
    void queuedOrRunningEvaluationsAndDryRunsAndSuiteBaselinesReferenceTheirModels() {
        String team = jobs.team.id();
        Timestamp now = Timestamp.from(Instant.now());
        String suite = "suite_" + UUID.randomUUID().toString().replace("-", "");
        String baseline = "model_" + UUID.randomUUID().toString().replace("-", "");
        jdbc.sql("INSERT INTO eval_suites (id, team_id, name, version, n_samples, max_prompts, max_new_tokens,"
                        + " temperature, top_p, seed, thresholds, baseline, created_at) VALUES (?, ?, 'rm-gate', 1, 1, 1,"
                        + " 8, 1.0, 1.0, 0, '[]', ?, ?)")
                .params(suite, team, baseline, now).update();
        String candidate = "model_" + UUID.randomUUID().toString().replace("-", "");
        String finished = "model_" + UUID.randomUUID().toString().replace("-", "");
        for (String[] e : new String[][] {{candidate, "queued"}, {finished, "completed"}}) {
            jdbc.sql("INSERT INTO evaluations (id, team_id, suite_id, candidate_ref, candidate_kind, candidate_id, status,"
                            + " phase, created_at) VALUES (?, ?, ?, ?, 'reward_model', ?, ?, 'queued', ?)")
                    .params("eval_" + e[0], team, suite, e[0], e[0], e[1], now).update();
        }
        String sampled = "model_" + UUID.randomUUID().toString().replace("-", "").substring(0, 20);
        jdbc.sql("INSERT INTO dry_runs (id, team_id, reward_spec, model, dataset, samples_per_prompt, prompt_limit,"
                        + " max_new_tokens, temperature, top_p, seed, status, created_at) VALUES (?, ?, 'rs_x', ?, 'ds_x',"
                        + " 1, 1, 8, 1.0, 1.0, 0, 'running', ?)")
                .params("dr_" + UUID.randomUUID().toString().substring(0, 8), team, sampled, now).update();

        assertThat(references(List.of(baseline))).singleElement().asString()
                .isEqualTo("eval suite rm-gate v1 (" + suite + ") uses model " + baseline + " as its baseline");
        assertThat(references(List.of(candidate))).singleElement().asString()
                .startsWith("evaluation eval_" + candidate + " (queued) uses model " + candidate + " as its candidate");
        assertThat(references(List.of(finished))).isEmpty();
        assertThat(references(List.of(sampled))).singleElement().asString()
                .endsWith("(running) samples model " + sampled);
        assertThat(references(List.of())).isEmpty();
    }

    private List<String> references(List<String> modelIds) {
        return modelReferences.stream().map(r -> r.referencing(modelIds)).flatMap(Optional::stream).toList();
    }

    @Test
    void withoutRetentionEveryCheckpointIsKept() throws Exception {
        String id = jobs.submit(jobs.grpo(jobs.baseModel, 15, 0, Map.of()));
        JsonNode done = jobs.await(id, "succeeded");
        assertThat(done.get("retention").isNull()).isTrue();
        assertThat(jobs.checkpointSteps(id)).containsExactly(5, 10, 15);
        assertThat(jobs.events(id, "checkpoint.deleted")).isEmpty();
    }

    @Test
    void aBadRetentionIsRefusedAtItsPointers() {
        Map<String, Object> body = jobs.grpo(jobs.baseModel, 15, 0, Map.of());
        body.put("retention", Map.of("keep_last", 0, "mode", "best"));
        var r = jobs.team.calls().post("/v1/jobs", body);
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.json().get("errors").valueStream().map(e -> e.get("pointer").asString()).toList())
                .containsExactlyInAnyOrder("/retention/keep_last", "/retention/mode");
    }
}
