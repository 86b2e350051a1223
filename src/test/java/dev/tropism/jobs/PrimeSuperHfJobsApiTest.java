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

/** Methods {@code prime} and {@code superhf} through {@code POST /v1/jobs} on the real engine, and their validation. */
@TropismIntegrationTest
@TestPropertySource(properties = {"tropism.jobs.checkpoint-interval=2", "tropism.jobs.poll-interval=50ms"})
class PrimeSuperHfJobsApiTest {

    @Autowired TropismTestClient api;

    private static Map<String, Object> method(String type, Map<String, Object> hyperparameters) {
        return Map.of("type", type, type, hyperparameters);
    }

    private static Map<String, Object> small() {
        Map<String, Object> hp = new LinkedHashMap<>();
        hp.put("max_steps", 4);
        hp.put("prompts_per_step", 4);
        hp.put("num_generations", 4);
        hp.put("max_completion_length", 3);
        hp.put("eval_interval", 2);
        return hp;
    }

    private static void assertEverySteps(JsonNode metrics, List<String> names) {
        for (String name : names) {
            assertThat(steps(metrics.get(name))).as(name + " in " + metrics.propertyNames()).containsExactly(1, 2, 3, 4);
        }
    }

    @Test
    void primeAndSuperHfJobsTrainAndAreValidated() throws Exception {
        Team team = api.newTeam("prime-superhf");
        String base = RealEngineJobs.pretrainXyzBase(team);
        String prompts = RealEngineJobs.upload(team, RealEngineJobs.lines(RealEngineJobs.xyzPrompts()), "prompts");
        String spec = RealEngineJobs.exactMatchSpec(team);

        // --- prime: the implicit PRM trains beside the policy and is checkpointed with it ---
        Map<String, Object> primeHp = small();
        primeHp.put("ppo_epochs", 2);
        Map<String, Object> prime = new LinkedHashMap<>(Map.of("model", base, "dataset", prompts, "eval_dataset",
                prompts, "reward_spec", spec, "seed", 3, "suffix", "prime", "method", method("prime", primeHp)));
        String primeJob = RealEngineJobs.submit(team, prime);
        // --- superhf, queued behind it ---
        Map<String, Object> superhf = new LinkedHashMap<>(prime);
        superhf.put("suffix", "superhf");
        superhf.put("method", method("superhf", small()));
        String superhfJob = RealEngineJobs.submit(team, superhf);

        JsonNode done = RealEngineJobs.awaitSucceeded(team, primeJob);
        assertThat(done.get("current_step").asInt()).isEqualTo(4);
        assertThat(done.get("method").get("type").asString()).isEqualTo("prime");
        JsonNode metrics = RealEngineJobs.metrics(team, primeJob);
        assertEverySteps(metrics, List.of("train/loss", "train/reward/mean", "train/reward/exact/mean", "train/kl",
                "train/clip_ratio", "train/prm/loss", "train/prm/accuracy", "train/implicit_reward/mean",
                "train/frac_reward_zero_std", "train/grad_norm", "train/lr"));
        metrics.get("train/prm/accuracy").forEach(p -> assertThat(p.get("value").asDouble()).isBetween(0.0, 1.0));
        assertThat(steps(metrics.get("eval/accuracy"))).containsExactly(0, 2, 4);
        JsonNode ckpts = team.calls().get("/v1/jobs/" + primeJob + "/checkpoints").json().get("data");
        assertThat(steps(ckpts)).containsExactly(2, 4);
        JsonNode result = team.calls().get("/v1/models/" + done.get("result_model").asString()).json();
        assertThat(result.get("family").asString()).isEqualTo("language-model");
        assertThat(result.get("parent").asString()).isEqualTo(base);

        JsonNode superDone = RealEngineJobs.awaitSucceeded(team, superhfJob);
        assertThat(superDone.get("current_step").asInt()).isEqualTo(4);
        JsonNode superMetrics = RealEngineJobs.metrics(team, superhfJob);
        assertEverySteps(superMetrics, List.of("train/loss", "train/reward/mean", "train/kept_reward/mean",
                "train/reward_calls", "train/kl", "train/grad_norm"));
        assertThat(superMetrics.get("train/reward_calls").get(3).get("value").asDouble()).isEqualTo(4 * 4 * 4.0);
        assertThat(steps(superMetrics.get("eval/accuracy"))).containsExactly(0, 2, 4);

        // --- bad knobs, each at its pointer ---
        Map<String, Object> noAdvantage = new LinkedHashMap<>(prime);
        noAdvantage.put("method", method("prime", Map.of("outcome_weight", 0, "process_weight", 0, "beta", 0)));
        assertThat(pointers(team.calls().post("/v1/jobs", noAdvantage))).containsExactlyInAnyOrder(
                "/method/prime/process_weight", "/method/prime/beta");
        Map<String, Object> badSuper = new LinkedHashMap<>(prime);
        badSuper.put("method", method("superhf", Map.of("kl_coef", -1, "num_generations", 1, "max_completion_length", 3)));
        assertThat(pointers(team.calls().post("/v1/jobs", badSuper))).containsExactlyInAnyOrder(
                "/method/superhf/kl_coef", "/method/superhf/num_generations");
        Map<String, Object> wrongKey = new LinkedHashMap<>(prime);
        wrongKey.put("method", method("superhf", Map.of("epsilon", 0.2, "max_completion_length", 3)));
        assertThat(pointers(team.calls().post("/v1/jobs", wrongKey))).containsExactly("/method/superhf/epsilon");
    }
}
