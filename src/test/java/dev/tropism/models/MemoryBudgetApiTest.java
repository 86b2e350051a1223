package dev.tropism.models;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.engine.hf.HfTestModels;
import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * A GRPO job that would not fit {@code tropism.jobs.memory-budget} is refused at submission with its estimate, and
 * LoRA is what lets it fit. With the imported gpt2 fixture (7,360 parameters, vocabulary 32, width 16, 2 layers,
 * context 16) and a 256 KiB budget: full fine-tuning needs about 300 KiB, LoRA r = 1 about 190 KiB.
 */
@TropismIntegrationTest
@TestPropertySource(properties = "tropism.jobs.memory-budget=256KB")
class MemoryBudgetApiTest {

    @Autowired
    TropismTestClient api;

    @TempDir
    Path tmp;

    @Test
    void aJobBeyondTheBudgetIsRefusedWithItsEstimateAndLoraFits() throws Exception {
        TropismTestClient.Team team = api.newTeam("budget");
        Path dir = HfTestModels.model("gpt2", Files.createDirectories(tmp.resolve("gpt2")));
        ApiResponse r = team.calls().upload("/v1/models", "g.tar.gz", ModelImportApiTest.tarGz(dir, ""),
                Map.of("name", "g"));
        String model = r.json().get("id").asString();
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!team.calls().get("/v1/models/" + model).json().get("status").asString().equals("ready")) {
            assertThat(System.nanoTime()).isLessThan(deadline);
            Thread.sleep(100);
        }
        String data = team.calls().upload("/v1/datasets", "p.jsonl",
                "{\"prompt\":\"ab\",\"answer\":\"c\"}\n".getBytes(StandardCharsets.UTF_8), Map.of("purpose", "prompts"))
                .json().get("id").asString();
        String spec = team.calls().post("/v1/reward-specs", Map.of("name", "exact", "grader", Map.of(
                "type", "string_check", "name", "exact", "input", "{{sample.output_text}}",
                "reference", "{{item.answer}}", "operation", "eq"))).json().get("id").asString();
        Map<String, Object> grpo = Map.of("max_steps", 1, "prompts_per_step", 2, "num_generations", 2,
                "max_completion_length", 4);

        ApiResponse full = team.calls().post("/v1/jobs", Map.of("model", model, "dataset", data, "reward_spec", spec,
                "method", Map.of("type", "grpo", "grpo", grpo)));
        assertThat(full.status()).as(full.toString()).isEqualTo(422);
        JsonNode error = full.json().get("errors").get(0);
        assertThat(error.get("pointer").asString()).isEqualTo("/model");
        assertThat(error.get("detail").asString()).contains("needs about", "weights", "optimizer", "activations",
                "memory budget of 0.00 GiB", "method.lora");

        ApiResponse lora = team.calls().post("/v1/jobs", Map.of("model", model, "dataset", data, "reward_spec", spec,
                "method", Map.of("type", "grpo", "grpo", grpo, "lora", Map.of("r", 1))));
        assertThat(lora.status()).as(lora.toString()).isEqualTo(201);
        // It fits; let it finish rather than run on while the test's database goes away.
        String job = lora.json().get("id").asString();
        while (!Set.of("succeeded", "failed", "cancelled").contains(
                team.calls().get("/v1/jobs/" + job).json().get("status").asString())) {
            assertThat(System.nanoTime()).isLessThan(deadline + 120_000_000_000L);
            Thread.sleep(200);
        }
        assertThat(team.calls().get("/v1/jobs/" + job).json().get("status").asString()).isEqualTo("succeeded");
    }
}
