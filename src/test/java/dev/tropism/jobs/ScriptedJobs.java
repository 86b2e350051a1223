package dev.tropism.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.datasets.DatasetPurpose;
import dev.tropism.engine.PolicyFamily;
import dev.tropism.models.ModelRecord;
import dev.tropism.models.ModelStore;
import dev.tropism.support.TropismTestClient.ApiResponse;
import dev.tropism.support.TropismTestClient.Team;
import dev.tropism.web.Ids;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.event.EventListener;
import tools.jackson.databind.JsonNode;

/**
 * GRPO jobs of one team on {@link JobsTestConfig}'s scripted runs: a ready base model, a prompt set and a reward spec
 * registered for the team, request bodies, and polling of a job's status.
 */
public final class ScriptedJobs {

    /** The {@link CheckpointDeleted} events published, in order (import {@link Recorder} as a test configuration). */
    @TestConfiguration
    public static class Recorder {

        public final List<CheckpointDeleted> deleted = new CopyOnWriteArrayList<>();

        @EventListener
        void on(CheckpointDeleted e) {
            deleted.add(e);
        }
    }

    public final Team team;
    public final String baseModel;
    public final String prompts;
    public final String rewardSpec;

    public ScriptedJobs(Team team, JobsTestConfig.FakeCatalog catalog, ModelStore models) {
        this.team = team;
        this.baseModel = Ids.newId("model_");
        models.insert(new ModelRecord(0, baseModel, team.id(), "base", PolicyFamily.LANGUAGE_MODEL, "tiny-gpt",
                ModelRecord.READY, null, null, null, ModelRecord.prefixOf(baseModel), 1000L, Instant.now()));
        this.prompts = catalog.addDataset(team.id(), DatasetPurpose.PROMPTS,
                List.of(Map.of("prompt", "1+1=", "answer", "2"), Map.of("prompt", "2+2=", "answer", "4")));
        this.rewardSpec = catalog.addRewardSpec(team.id(), Set.of("answer"));
    }

    /** A GRPO job on {@code model} of {@code maxSteps} steps; {@code metadata} steers the scripted run. */
    public Map<String, Object> grpo(String model, int maxSteps, int evalInterval, Map<String, Object> metadata) {
        Map<String, Object> b = new HashMap<>();
        b.put("model", model);
        b.put("dataset", prompts);
        b.put("reward_spec", rewardSpec);
        b.put("method", Map.of("type", "grpo", "grpo", Map.of("max_steps", maxSteps, "warmup_steps", 0,
                "eval_interval", evalInterval)));
        b.put("suffix", "aligned");
        b.put("metadata", metadata);
        return b;
    }

    /** Submits {@code body}; returns the new job's id. */
    public String submit(Map<String, Object> body) {
        ApiResponse r = team.calls().post("/v1/jobs", body);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.json().get("id").asString();
    }

    public JsonNode job(String id) {
        ApiResponse r = team.calls().get("/v1/jobs/" + id);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return r.json();
    }

    /** Waits (30 s at most) until the job is {@code status}. */
    public JsonNode await(String id, String status) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        for (JsonNode j = job(id); ; j = job(id)) {
            if (j.get("status").asString().equals(status)) {
                return j;
            }
            assertThat(System.nanoTime()).as("job %s never became %s: %s", id, status, j).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    /** Waits (30 s at most) until the job has a checkpoint at {@code step} or later. */
    public void awaitCheckpoint(String id, int step) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!checkpointSteps(id).stream().anyMatch(s -> s >= step)) {
            assertThat(System.nanoTime()).as("job %s saved no checkpoint at step %d", id, step).isLessThan(deadline);
            Thread.sleep(10);
        }
    }

    /** The steps of the job's checkpoints, from the API. */
    public List<Integer> checkpointSteps(String id) {
        return checkpoints(id).valueStream().map(c -> c.get("step").asInt()).toList();
    }

    public JsonNode checkpoints(String id) {
        ApiResponse r = team.calls().get("/v1/jobs/" + id + "/checkpoints");
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return r.json().get("data");
    }

    /** The job's events of {@code type}, oldest first. */
    public List<JsonNode> events(String id, String type) {
        ApiResponse r = team.calls().get("/v1/jobs/" + id + "/events?limit=100");
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return r.json().get("data").valueStream().filter(e -> e.get("type").asString().equals(type)).toList();
    }

    /** The team's models produced by job {@code jobId}, by name. */
    public Map<String, JsonNode> modelsOf(String jobId) {
        ApiResponse r = team.calls().get("/v1/models?limit=100");
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        Map<String, JsonNode> out = new HashMap<>();
        r.json().get("data").valueStream().filter(m -> jobId.equals(m.path("job").asString(null)))
                .forEach(m -> out.put(m.get("name").asString(), m));
        return out;
    }
}
