package dev.tropism.jobs;

import static dev.tropism.jobs.RealEngineJobs.pointers;
import static dev.tropism.jobs.RealEngineJobs.steps;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.Team;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/** Method {@code rloo} through {@code POST /v1/jobs} on the real engine, and its validation. */
@TropismIntegrationTest
@TestPropertySource(properties = {"tropism.jobs.checkpoint-interval=2", "tropism.jobs.poll-interval=50ms"})
class RlooJobsApiTest {

    @Autowired TropismTestClient api;

    private static Map<String, Object> rloo(Map<String, Object> hyperparameters) {
        return Map.of("type", "rloo", "rloo", hyperparameters);
    }

    @Test
    void rlooJobTrainsChecksPointsAndIsValidated() throws Exception {
        Team team = api.newTeam("rloo");
        String base = RealEngineJobs.pretrainXyzBase(team);
        String prompts = RealEngineJobs.upload(team, RealEngineJobs.lines(RealEngineJobs.xyzPrompts()), "prompts");
        String spec = RealEngineJobs.exactMatchSpec(team);

        Map<String, Object> hp = new LinkedHashMap<>();
        hp.put("max_steps", 4);
        hp.put("prompts_per_step", 4);
        hp.put("num_generations", 4);
        hp.put("max_completion_length", 3);
        hp.put("beta", 0.05);
        hp.put("eval_interval", 2);
        Map<String, Object> body = new LinkedHashMap<>(Map.of("model", base, "dataset", prompts, "eval_dataset", prompts,
                "reward_spec", spec, "seed", 3, "suffix", "rloo", "method", rloo(hp)));
        String job = RealEngineJobs.submit(team, body);
        JsonNode done = RealEngineJobs.awaitSucceeded(team, job);
        assertThat(done.get("current_step").asInt()).isEqualTo(4);
        assertThat(done.get("method").get("type").asString()).isEqualTo("rloo");

        JsonNode metrics = RealEngineJobs.metrics(team, job);
        for (String name : List.of("train/loss", "train/reward/mean", "train/reward/exact/mean", "train/kl",
                "train/entropy", "train/frac_reward_zero_std", "train/grad_norm", "train/lr")) {
            assertThat(steps(metrics.get(name))).as(name + " in " + metrics.propertyNames()).containsExactly(1, 2, 3, 4);
        }
        assertThat(steps(metrics.get("eval/accuracy"))).containsExactly(0, 2, 4);
        JsonNode ckpts = team.calls().get("/v1/jobs/" + job + "/checkpoints").json().get("data");
        assertThat(steps(ckpts)).containsExactly(2, 4);
        JsonNode result = team.calls().get("/v1/models/" + done.get("result_model").asString()).json();
        assertThat(result.get("family").asString()).isEqualTo("language-model");
        assertThat(result.get("parent").asString()).isEqualTo(base);

        // the method's validation, each at its pointer
        String preferences = RealEngineJobs.upload(team, RealEngineJobs.JSON.writeValueAsString(
                Map.of("prompt", "a=", "chosen", "x", "rejected", "y")) + "\n", "preferences");
        Map<String, Object> wrongData = new LinkedHashMap<>(body);
        wrongData.put("dataset", preferences);
        wrongData.remove("eval_dataset");
        assertThat(pointers(team.calls().post("/v1/jobs", wrongData))).containsExactly("/dataset");
        Map<String, Object> noSpec = new LinkedHashMap<>(body);
        noSpec.remove("reward_spec");
        assertThat(pointers(team.calls().post("/v1/jobs", noSpec))).containsExactly("/reward_spec");
        Map<String, Object> bad = new LinkedHashMap<>(body);
        bad.put("method", rloo(Map.of("num_generations", 1, "max_completion_length", 7, "bogus", true)));
        assertThat(pointers(team.calls().post("/v1/jobs", bad))).containsExactlyInAnyOrder(
                "/method/rloo/num_generations", "/method/rloo/bogus");
        Map<String, Object> tooLong = new LinkedHashMap<>(body);
        tooLong.put("method", rloo(Map.of("max_completion_length", 7)));
        assertThat(pointers(team.calls().post("/v1/jobs", tooLong))).containsExactly("/method/rloo/max_completion_length");
        Map<String, Object> lora = new LinkedHashMap<>(body);
        lora.put("method", Map.of("type", "rloo", "rloo", Map.of("max_completion_length", 3), "lora", Map.of("r", 4)));
        assertThat(pointers(team.calls().post("/v1/jobs", lora))).containsExactly("/method/lora");
        Map<String, Object> normalization = new LinkedHashMap<>(body);
        normalization.put("reward_options", Map.of("normalization", "none"));
        assertThat(pointers(team.calls().post("/v1/jobs", normalization)))
                .containsExactly("/reward_options/normalization");
    }
}
