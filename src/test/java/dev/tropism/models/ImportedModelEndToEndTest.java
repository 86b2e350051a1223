package dev.tropism.models;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.serving.ServingFixtures;
import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The way out and back in, through the REST API with the real engine on PostgreSQL: a {@code tiny-gpt} exported as
 * HF {@code gpt2}, imported again, aligned with GRPO under LoRA, served, and exported with merged weights.
 */
@TropismIntegrationTest
class ImportedModelEndToEndTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Autowired
    TropismTestClient api;

    private static JsonNode await(TropismTestClient.Team team, String path, String field, String... done)
            throws InterruptedException {
        long deadline = System.nanoTime() + 180_000_000_000L;
        while (true) {
            JsonNode r = team.calls().get(path).json();
            String status = r.get(field).asString();
            for (String d : done) {
                if (status.equals(d)) {
                    return r;
                }
            }
            assertThat(status).as("%s: %s", path, r).isNotIn("failed", "cancelled");
            assertThat(System.nanoTime()).as("%s still %s", path, status).isLessThan(deadline);
            Thread.sleep(200);
        }
    }

    /** A tiny arithmetic corpus, its train prompts and its eval prompts (the {@code data} of the generator's answer). */
    private static JsonNode arithmetic(TropismTestClient.Team team) {
        return team.calls().post("/v1/datasets/generate", Map.of("generator", "arithmetic", "digits", 1,
                "corpus_size", 40, "train_prompts", 8, "eval_prompts", 4)).json().get("data");
    }

    /**
     * The graders that need the run's reference model, and the hacking monitor, on an imported base trained with LoRA:
     * {@code likelihood} and {@code shaped} score against the base (the same weights with the adapters off), the gold
     * spec is evaluated, and a KL bound below the drift the adapters cause raises the {@code kl_bound} alarm.
     */
    @Test
    void referenceGradersAndTheHackingMonitorWorkOnAnImportedModelWithLora() throws Exception {
        TropismTestClient.Team team = api.newTeam("byo-monitor");
        JsonNode sets = arithmetic(team);
        String corpus = sets.get(0).get("id").asString();
        String prompts = sets.get(1).get("id").asString();
        String evalPrompts = sets.get(2).get("id").asString();
        JsonNode tiny = ServingFixtures.pretrain(team, corpus, "tiny", 7, 1, 32, 2, 64);
        ApiResponse exported = team.calls().get("/v1/models/" + tiny.get("id").asString() + "/export?format=hf");
        ApiResponse imported = team.calls().upload("/v1/models", "tiny-hf.tar", exported.body(), Map.of("name", "tiny-hf"));
        String base = await(team, "/v1/models/" + imported.json().get("id").asString(), "status", "ready").get("id")
                .asString();

        String exact = "{\"type\":\"string_check\",\"name\":\"%s\",\"input\":\"{{sample.output_text}}\","
                + "\"reference\":\"{{item.answer}}\",\"operation\":\"eq\"}";
        String family = "{\"type\":\"multi\",\"name\":\"family\",\"formula\":\"lik + par\",\"graders\":{"
                + "\"lik\":{\"type\":\"likelihood\",\"name\":\"lik\",\"reference\":\"{{item.answer}}\"},"
                + "\"par\":{\"type\":\"shaped\",\"name\":\"par\",\"references\":2,\"grader\":"
                + exact.formatted("p_exact") + "}}}";
        String spec = team.calls().post("/v1/reward-specs", Map.of("name", "family", "grader", JSON.readTree(family)))
                .json().get("id").asString();
        String gold = team.calls().post("/v1/reward-specs", Map.of("name", "gold", "grader",
                JSON.readTree(exact.formatted("gold_exact")))).json().get("id").asString();
        Map<String, Object> method = new LinkedHashMap<>();
        method.put("type", "grpo");
        method.put("grpo", Map.of("max_steps", 3, "prompts_per_step", 2, "num_generations", 2,
                "max_completion_length", 3, "learning_rate", 0.05, "beta", 0.04, "eval_interval", 1));
        method.put("lora", Map.of("r", 4, "lora_alpha", 8));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("model", base);
        body.put("dataset", prompts);
        body.put("eval_dataset", evalPrompts);
        body.put("reward_spec", spec);
        body.put("eval_reward_spec", gold);
        body.put("method", method);
        body.put("seed", 5);
        body.put("reward_options", Map.of("hacking_monitor", Map.of("window", 4, "kl_bound", 1e-9)));
        ApiResponse job = team.calls().post("/v1/jobs", body);
        assertThat(job.status()).as(job.toString()).isEqualTo(201);
        String id = job.json().get("id").asString();
        await(team, "/v1/jobs/" + id, "status", "succeeded");

        JsonNode m = team.calls().get("/v1/jobs/" + id + "/metrics").json().get("metrics");
        for (String name : List.of("train/reward/family/mean", "train/reward/lik/mean", "train/reward/par/mean",
                "train/reward/p_exact/mean")) {
            assertThat(m.get(name)).as(name).hasSize(3);
        }
        m.get("train/reward/par/mean").forEach(v -> assertThat(v.get("value").asDouble()).isStrictlyBetween(0.0, 1.0));
        m.get("train/reward/lik/mean").forEach(v -> assertThat(v.get("value").asDouble()).isNegative());
        assertThat(m.has("train/reward/errors/unsupported")).as("every grader had its reference model").isFalse();
        assertThat(m.get("eval/gold/mean")).as("gold evaluated before and after each step").hasSize(4);
        assertThat(m.get("train/kl").get(2).get("value").asDouble()).as("the adapters moved the policy").isPositive();

        JsonNode alarm = null;
        for (JsonNode e : team.calls().get("/v1/jobs/" + id + "/events?limit=100").json().get("data")) {
            if (e.get("type").asString().equals("reward_hacking_suspected")) {
                alarm = e;
            }
        }
        assertThat(alarm).as("the kl_bound alarm").isNotNull();
        assertThat(alarm.get("data").get("rule").asString()).isEqualTo("kl_bound");
    }

    @Test
    void aTinyGptLeavesAsGpt2ComesBackAndAlignsWithLora() throws Exception {
        TropismTestClient.Team team = api.newTeam("byo-model");
        JsonNode sets = arithmetic(team);
        String corpus = sets.get(0).get("id").asString();
        String prompts = sets.get(1).get("id").asString();
        JsonNode tiny = ServingFixtures.pretrain(team, corpus, "tiny", 7, 1, 32, 2, 64);

        // Out: the tiny-gpt as an HF gpt2 directory (config, safetensors, a tokenizer.json of its characters).
        ApiResponse exported = team.calls().get("/v1/models/" + tiny.get("id").asString() + "/export?format=hf");
        assertThat(exported.status()).as(exported.toString()).isEqualTo(200);
        assertThat(ModelImportApiTest.untar(exported.body()).keySet())
                .contains("config.json", "model.safetensors", "tokenizer.json");

        // Back in.
        ApiResponse imported = team.calls().upload("/v1/models", "tiny-hf.tar", exported.body(), Map.of("name", "tiny-hf"));
        assertThat(imported.status()).as(imported.toString()).isEqualTo(202);
        JsonNode base = await(team, "/v1/models/" + imported.json().get("id").asString(), "status", "ready");
        assertThat(base.get("import").get("card").get("architecture").asString()).isEqualTo("gpt2");
        // Exact, from the headers (the tiny-gpt's own row holds the estimate made before its vocabulary was known).
        assertThat(base.get("parameters").asLong()).isEqualTo(base.get("import").get("card").get("parameters").asLong())
                .isPositive();

        ApiResponse spec = team.calls().post("/v1/reward-specs", Map.of("name", "exact", "grader", Map.of(
                "type", "string_check", "name", "exact", "input", "{{sample.output_text}}",
                "reference", "{{item.answer}}", "operation", "eq")));
        String rewardSpec = spec.json().get("id").asString();
        Map<String, Object> grpo = Map.of("max_steps", 2, "prompts_per_step", 2, "num_generations", 2,
                "max_completion_length", 4);

        // LoRA needs an imported model: the tiny-gpt itself is refused, naming the field.
        ApiResponse onTiny = team.calls().post("/v1/jobs", Map.of("model", tiny.get("id").asString(), "dataset", prompts,
                "reward_spec", rewardSpec, "method", Map.of("type", "grpo", "grpo", grpo, "lora", Map.of("r", 4))));
        assertThat(onTiny.status()).as(onTiny.toString()).isEqualTo(422);
        assertThat(onTiny.json().get("errors").get(0).get("pointer").asString()).isEqualTo("/method/lora");

        ApiResponse badLora = team.calls().post("/v1/jobs", Map.of("model", base.get("id").asString(), "dataset", prompts,
                "reward_spec", rewardSpec, "method", Map.of("type", "grpo", "grpo", grpo, "lora", Map.of("r", 0,
                        "rank", 3))));
        assertThat(badLora.status()).as(badLora.toString()).isEqualTo(422);
        assertThat(badLora.text()).contains("/method/lora/rank", "same knob as r");
        ApiResponse badRank = team.calls().post("/v1/jobs", Map.of("model", base.get("id").asString(), "dataset",
                prompts, "reward_spec", rewardSpec, "method", Map.of("type", "grpo", "grpo", grpo, "lora",
                        Map.of("rank", 0, "alpha", 8))));
        assertThat(badRank.status()).as(badRank.toString()).isEqualTo(422);
        assertThat(badRank.json().get("errors").get(0).get("pointer").asString()).isEqualTo("/method/lora/rank");

        Map<String, Object> method = new LinkedHashMap<>();
        method.put("type", "grpo");
        method.put("grpo", grpo);
        method.put("lora", Map.of("rank", 4, "alpha", 8)); // the short names, as well as PEFT's r and lora_alpha
        ApiResponse job = team.calls().post("/v1/jobs", Map.of("model", base.get("id").asString(), "dataset", prompts,
                "reward_spec", rewardSpec, "method", method, "suffix", "lora", "seed", 3));
        assertThat(job.status()).as(job.toString()).isEqualTo(201);
        JsonNode done = await(team, "/v1/jobs/" + job.json().get("id").asString(), "status", "succeeded");
        String aligned = done.get("result_model").asString();

        // A reward model on the imported backbone, its adapters trained with LoRA.
        StringBuilder pairs = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            pairs.append("{\"prompt\":\"").append(i).append("+1=\",\"chosen\":\"").append(i + 1)
                    .append("\",\"rejected\":\"").append(i + 2).append("\"}\n");
        }
        ApiResponse prefs = team.calls().upload("/v1/datasets", "prefs.jsonl",
                pairs.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8), Map.of("purpose", "preferences"));
        assertThat(prefs.status()).as(prefs.toString()).isEqualTo(201);
        ApiResponse rm = team.calls().post("/v1/jobs", Map.of("model", base.get("id").asString(), "dataset",
                prefs.json().get("id").asString(), "method", Map.of("type", "reward_model", "reward_model",
                        Map.of("max_steps", 2, "batch_size", 4), "lora", Map.of("r", 2))));
        assertThat(rm.status()).as(rm.toString()).isEqualTo(201);
        JsonNode rmDone = await(team, "/v1/jobs/" + rm.json().get("id").asString(), "status", "succeeded");
        JsonNode rewardModel = team.calls().get("/v1/models/" + rmDone.get("result_model").asString()).json();
        assertThat(rewardModel.get("family").asString()).isEqualTo("reward-model");

        // Served with its own tokenizer.
        ApiResponse completion = team.calls().post("/v1/completions", Map.of("model", aligned, "prompt", "1+1=",
                "max_tokens", 3, "temperature", 0));
        assertThat(completion.status()).as(completion.toString()).isEqualTo(200);
        assertThat(completion.json().get("choices").get(0).get("text").isString()).isTrue();

        // Out again, merged: an HF directory whose adapters sit apart, so transformers does not apply them twice.
        ApiResponse out = team.calls().get("/v1/models/" + aligned + "/export");
        assertThat(out.status()).as(out.toString()).isEqualTo(200);
        assertThat(ModelImportApiTest.untar(out.body()).keySet()).contains("config.json", "model.safetensors",
                "tokenizer.json").noneMatch(name -> name.contains("/"));
        ApiResponse peft = team.calls().get("/v1/models/" + aligned + "/export?format=peft");
        assertThat(peft.status()).as(peft.toString()).isEqualTo(200);
        assertThat(peft.headers().getContentDisposition().getFilename()).endsWith("-peft.tar");
        assertThat(ModelImportApiTest.untar(peft.body()).keySet()).containsExactlyInAnyOrder("adapter_config.json",
                "adapter_model.safetensors");
        ApiResponse noAdapters = team.calls().get("/v1/models/" + base.get("id").asString() + "/export?format=peft");
        assertThat(noAdapters.status()).as(noAdapters.toString()).isEqualTo(422);
        assertThat(noAdapters.text()).contains("no LoRA adapters");
    }
}
