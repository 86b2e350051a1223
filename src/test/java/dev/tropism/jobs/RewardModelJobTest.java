package dev.tropism.jobs;

import static dev.tropism.jobs.RealEngineJobs.awaitSucceeded;
import static dev.tropism.jobs.RealEngineJobs.steps;
import static dev.tropism.jobs.RealEngineJobs.upload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tropism.models.RewardModelHandle;
import dev.tropism.models.RewardModels;
import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import dev.tropism.support.TropismTestClient.Team;
import dev.tropism.teams.Caller;
import dev.tropism.web.ApiException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Method {@code reward_model} through the REST API with the real engine: a tiny base model pretrained on
 * "c=succ(c)" lines, preference datasets (the chosen response is the successor letter), a reward-model
 * job with held-out evaluation and checkpoints, the result listed under {@code /v1/models} with family
 * {@code reward-model}, and scoring with it through {@link RewardModels}; plus the method's validation.
 */
@TropismIntegrationTest
@TestPropertySource(properties = {"tropism.jobs.checkpoint-interval=20", "tropism.jobs.poll-interval=50ms",
        "tropism.reward-models.cache-size=1"})
class RewardModelJobTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int LETTERS = 12;

    @Autowired TropismTestClient api;
    @Autowired RewardModels rewardModels;

    private static String letter(int i) {
        return RealEngineJobs.letter(i, LETTERS);
    }

    @Test
    void trainsARewardModelThatIsListedAndScores() throws Exception {
        Team team = api.newTeam("rm");
        String base = pretrainBase(team);
        StringBuilder train = new StringBuilder();
        StringBuilder eval = new StringBuilder();
        Random rng = new Random(1);
        for (int c = 0; c < LETTERS; c++) {
            for (int w = 0; w < LETTERS; w++) {
                if (w != (c + 1) % LETTERS) {
                    Map<String, String> pair = Map.of("prompt", letter(c) + "=", "chosen", letter(c + 1), "rejected", letter(w));
                    (rng.nextDouble() < 0.25 ? eval : train).append(JSON.writeValueAsString(pair)).append('\n');
                }
            }
        }
        String trainSet = upload(team, train.toString(), "preferences");
        String evalSet = upload(team, eval.toString(), "preferences");

        Map<String, Object> hp = new LinkedHashMap<>();
        hp.put("max_steps", 40);
        hp.put("learning_rate", 3e-3);
        hp.put("eval_interval", 20);
        hp.put("center_rewards_coefficient", 0.01);
        ApiResponse submitted = team.calls().post("/v1/jobs", Map.of("model", base, "dataset", trainSet,
                "eval_dataset", evalSet, "seed", 3, "suffix", "rm",
                "method", Map.of("type", "reward_model", "reward_model", hp)));
        assertThat(submitted.status()).as(submitted.toString()).isEqualTo(201);
        assertThat(submitted.json().get("reward_spec").isNull()).isTrue();
        String job = submitted.json().get("id").asString();
        JsonNode done = awaitSucceeded(team, job);
        assertThat(done.get("current_step").asInt()).isEqualTo(40);

        JsonNode metrics = team.calls().get("/v1/jobs/" + job + "/metrics").json().get("metrics");
        for (String name : List.of("train/loss", "train/accuracy", "train/margin/mean", "train/reward/mean",
                "train/grad_norm", "train/lr", "perf/tokens_per_second")) {
            assertThat(steps(metrics.get(name))).as(name + " in " + metrics.propertyNames()).hasSize(40);
        }
        for (String name : List.of("eval/accuracy", "eval/loss", "eval/calibration_ece")) {
            assertThat(steps(metrics.get(name))).as(name).containsExactly(0, 20, 40);
        }
        metrics.get("eval/accuracy").forEach(p -> assertThat(p.get("value").asDouble()).isBetween(0.0, 1.0));
        metrics.get("eval/calibration_ece").forEach(p -> assertThat(p.get("value").asDouble()).isBetween(0.0, 1.0));
        JsonNode loss = metrics.get("train/loss");
        assertThat(loss.get(39).get("value").asDouble()).as("train loss %s", loss)
                .isLessThan(loss.get(0).get("value").asDouble());

        String result = done.get("result_model").asString();
        Map<String, JsonNode> byName = new LinkedHashMap<>();
        JsonNode listed = null;
        for (JsonNode m : team.calls().get("/v1/models?limit=100").json().get("data")) {
            if (job.equals(m.path("job").asString(null))) {
                byName.put(m.get("name").asString(), m);
            }
            if (m.get("id").asString().equals(result)) {
                listed = m;
            }
        }
        assertThat(listed).as("result model %s listed", result).isNotNull();
        assertThat(listed.get("family").asString()).isEqualTo("reward-model");
        assertThat(listed.get("status").asString()).isEqualTo("ready");
        assertThat(listed.get("parent").asString()).isEqualTo(base);
        String name = listed.get("name").asString();
        assertThat(byName.keySet()).containsExactlyInAnyOrder(name, name + "@20", name + "@40");
        byName.values().forEach(m -> assertThat(m.get("family").asString()).isEqualTo("reward-model"));

        // Scoring through the service's public API, from the exported model and from a checkpoint model.
        Caller caller = new Caller(team.id(), "test", false);
        RewardModelHandle rm = rewardModels.open(caller, result);
        double[] r = rm.score(List.of("a=", "a="), List.of("b", "k"));
        assertThat(r).hasSize(2);
        assertThat(r[0]).isFinite();
        assertThat(r[1]).isFinite();
        assertThat(rm.score("a=", "b")).isCloseTo(r[0], org.assertj.core.data.Offset.offset(1e-5));
        assertThat(rewardModels.open(caller, byName.get(name + "@20").get("id").asString()).score("c=", "d")).isFinite();
        // with a cache of one, that evicted (and closed) the first model: the handle loads it again
        assertThat(rm.score("a=", "k")).isCloseTo(r[1], org.assertj.core.data.Offset.offset(1e-5));
        assertThat(rewardModels.unusable(caller, result)).isEmpty();
        assertThat(rewardModels.unusable(caller, base)).get().asString().contains("language-model");
        assertThatThrownBy(() -> rewardModels.open(caller, base)).isInstanceOfSatisfying(ApiException.class,
                e -> assertThat(e.status().value()).isEqualTo(422));
        assertThatThrownBy(() -> rewardModels.open(new Caller(api.newTeam("rm-other").id(), "x", false), result))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status().value()).isEqualTo(404));

        // A reward_model grader scores with it through a reward spec: same numbers as the handle, optionally
        // squashed; a language model, a missing model or another team's is a 422 at the grader's model.
        Map<String, Object> grader = new java.util.LinkedHashMap<>(Map.of("type", "reward_model", "name", "rm",
                "model", result));
        ApiResponse spec = team.calls().post("/v1/reward-specs", Map.of("name", "learned", "grader", grader));
        assertThat(spec.status()).as(spec.toString()).isEqualTo(201);
        assertThat(spec.json().get("item_fields").get(0).asString()).isEqualTo("prompt");
        ApiResponse scored = team.calls().post("/v1/reward-specs/" + spec.json().get("id").asString() + "/run",
                Map.of("item", Map.of("prompt", "a="), "samples", List.of(Map.of("output_text", "b"),
                        Map.of("output_text", "k"))));
        assertThat(scored.status()).as(scored.toString()).isEqualTo(200);
        assertThat(scored.json().get("results").get(0).get("reward").asDouble())
                .isCloseTo(r[0], org.assertj.core.data.Offset.offset(1e-5));
        assertThat(scored.json().get("results").get(1).get("sub_rewards").get("rm").asDouble())
                .isCloseTo(r[1], org.assertj.core.data.Offset.offset(1e-5));
        grader.put("transform", "sigmoid");
        String squashed = team.calls().post("/v1/reward-specs", Map.of("name", "squashed", "grader", grader)).json()
                .get("id").asString();
        assertThat(team.calls().post("/v1/reward-specs/" + squashed + "/run", Map.of("item", Map.of("prompt", "a="),
                "sample", Map.of("output_text", "b"))).json().get("reward").asDouble())
                .isCloseTo(1 / (1 + Math.exp(-r[0])), org.assertj.core.data.Offset.offset(1e-5));
        for (String bad : List.of(base, "model_missing")) {
            ApiResponse rejected = team.calls().post("/v1/reward-specs", Map.of("name", "bad", "grader",
                    Map.of("type", "reward_model", "name", "rm", "model", bad)));
            assertThat(rejected.status()).isEqualTo(422);
            assertThat(pointers(rejected)).containsExactly("/grader/model");
        }
        assertThat(pointers(api.newTeam("rm-thief").calls().post("/v1/reward-specs", Map.of("name", "stolen",
                "grader", Map.of("type", "reward_model", "name", "rm", "model", result))))).containsExactly("/grader/model");

        // A reward model is not a policy: no method takes it as its model.
        ApiResponse onRewardModel = team.calls().post("/v1/jobs", Map.of("model", result, "dataset", trainSet,
                "method", Map.of("type", "reward_model")));
        assertThat(pointers(onRewardModel)).containsExactly("/model");
    }

    @Test
    void invalidRewardModelJobsAreProblemsWithPointers() throws Exception {
        Team team = api.newTeam("rm-bad");
        String base = pretrainBase(team);
        String prompts = upload(team, "{\"prompt\":\"a=\"}\n", "prompts");
        String prefs = upload(team, "{\"prompt\":\"a=\",\"chosen\":\"b\",\"rejected\":\"c\"}\n", "preferences");
        ApiResponse spec = team.calls().post("/v1/reward-specs", Map.of("name", "exact", "grader", Map.of(
                "type", "string_check", "name", "exact", "input", "{{sample.output_text}}",
                "reference", "b", "operation", "eq")));
        assertThat(spec.status()).as(spec.toString()).isEqualTo(201);

        // wrong dataset purposes, an unknown and an out-of-range hyperparameter, a reward spec it does not use
        Map<String, Object> hp = Map.of("nope", 1, "eval_fraction", 0.7);
        ApiResponse r = team.calls().post("/v1/jobs", Map.of("model", base, "dataset", prompts, "eval_dataset", prompts,
                "reward_spec", spec.json().get("id").asString(), "method", Map.of("type", "reward_model", "reward_model", hp)));
        assertThat(r.status()).as(r.toString()).isEqualTo(422);
        assertThat(r.contentType().toString()).startsWith("application/problem+json");
        assertThat(pointers(r)).containsExactlyInAnyOrder("/dataset", "/eval_dataset", "/reward_spec",
                "/method/reward_model/nope", "/method/reward_model/eval_fraction");

        // reward options that only make sense for a policy reward: gold spec, normalization, hacking monitor
        Map<String, Object> options = new java.util.HashMap<>(Map.of("model", base, "dataset", prefs,
                "method", Map.of("type", "reward_model"), "eval_reward_spec", spec.json().get("id").asString(),
                "reward_options", Map.of("normalization", "none", "hacking_monitor", Map.of("kl_bound", 0.1))));
        assertThat(pointers(team.calls().post("/v1/jobs", options))).containsExactlyInAnyOrder("/eval_reward_spec",
                "/reward_options/normalization", "/reward_options/hacking_monitor");

        // max_length beyond the base model's block_size (8)
        ApiResponse tooLong = team.calls().post("/v1/jobs", Map.of("model", base, "dataset", prefs,
                "method", Map.of("type", "reward_model", "reward_model", Map.of("max_length", 9))));
        assertThat(pointers(tooLong)).containsExactly("/method/reward_model/max_length");

        // GRPO still needs a reward spec and a prompt set; grpo's object under reward_model is unknown
        ApiResponse grpo = team.calls().post("/v1/jobs", Map.of("model", base, "dataset", prefs,
                "method", Map.of("type", "grpo", "grpo", Map.of("max_completion_length", 3))));
        assertThat(pointers(grpo)).containsExactlyInAnyOrder("/reward_spec", "/dataset");
        ApiResponse mixed = team.calls().post("/v1/jobs", Map.of("model", base, "dataset", prefs,
                "method", Map.of("type", "reward_model", "grpo", Map.of())));
        assertThat(pointers(mixed)).containsExactly("/method/grpo");
        ApiResponse unknown = team.calls().post("/v1/jobs", Map.of("model", base, "dataset", prefs,
                "method", Map.of("type", "not_a_method")));
        assertThat(pointers(unknown)).contains("/method/type");
        assertThat(unknown.text()).contains("grpo, reward_model");

        // the minimal valid job: defaults, no eval dataset (a share of the pairs is held out)
        ApiResponse ok = team.calls().post("/v1/jobs", Map.of("model", base, "dataset", prefs,
                "method", Map.of("type", "reward_model", "reward_model", Map.of("max_steps", 2))));
        assertThat(ok.status()).as(ok.toString()).isEqualTo(201);
        awaitSucceeded(team, ok.json().get("id").asString());
    }

    /** A tiny base model pretrained on "c=succ(c)" lines (block_size 8). */
    private String pretrainBase(Team team) throws InterruptedException {
        Map<String, Object> hp = new LinkedHashMap<>();
        hp.put("n_layer", 2);
        hp.put("n_embd", 32);
        hp.put("n_head", 4);
        hp.put("block_size", 8);
        hp.put("max_steps", 60);
        hp.put("batch_size", 32);
        hp.put("learning_rate", 3e-3);
        hp.put("warmup_steps", 10);
        hp.put("eval_interval", 0);
        return RealEngineJobs.pretrainSuccessor(team, LETTERS, hp);
    }

    private static List<String> pointers(ApiResponse r) {
        assertThat(r.status()).as(r.toString()).isEqualTo(422);
        List<String> out = new ArrayList<>();
        r.json().path("errors").forEach(e -> out.add(e.get("pointer").asString()));
        return out;
    }
}
