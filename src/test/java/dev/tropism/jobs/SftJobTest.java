package dev.tropism.jobs;

import static dev.tropism.jobs.RealEngineJobs.JSON;
import static dev.tropism.jobs.RealEngineJobs.awaitSucceeded;
import static dev.tropism.jobs.RealEngineJobs.pointers;
import static dev.tropism.jobs.RealEngineJobs.steps;
import static dev.tropism.jobs.RealEngineJobs.upload;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import dev.tropism.support.TropismTestClient.Team;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * Method {@code sft} through the REST API with the real engine: an {@code sft} dataset (both line forms), a job
 * whose loss falls and whose result is a language model that the next method's job starts from; the line-by-line
 * validation of {@code sft} uploads; and the dataset-purpose and setting mismatches as 422s at their pointers.
 */
@TropismIntegrationTest
@TestPropertySource(properties = {"tropism.jobs.checkpoint-interval=10", "tropism.jobs.poll-interval=50ms"})
class SftJobTest {

    private static final int LETTERS = 8;

    @Autowired TropismTestClient api;

    /** One team and base model for the class: pretraining is most of its time. */
    private static Team team;
    private static String base;

    private synchronized void setUpBase() throws InterruptedException {
        if (base == null) {
            team = api.newTeam("sft");
            base = pretrainBase(team);
        }
    }

    private static String letter(int i) {
        return RealEngineJobs.letter(i, LETTERS);
    }

    /** A tiny base model pretrained on "c=succ(c)" lines (block_size 8). */
    private static String pretrainBase(Team team) throws InterruptedException {
        Map<String, Object> hp = new LinkedHashMap<>();
        hp.put("n_layer", 1);
        hp.put("n_embd", 32);
        hp.put("n_head", 2);
        hp.put("block_size", 8);
        hp.put("max_steps", 30);
        hp.put("batch_size", 16);
        hp.put("learning_rate", 3e-3);
        hp.put("warmup_steps", 5);
        hp.put("eval_interval", 0);
        return RealEngineJobs.pretrainSuccessor(team, LETTERS, hp);
    }

    @Test
    void anSftJobLearnsItsDemonstrationsAndItsModelIsTheNextJobsBase() throws Exception {
        setUpBase();
        // the base was pretrained on "c=succ(c)"; SFT teaches "c=succ(succ(c))"
        StringBuilder lines = new StringBuilder();
        for (int c = 0; c < LETTERS; c++) {
            lines.append(JSON.writeValueAsString(Map.of("prompt", letter(c) + "=", "completion", letter(c + 2))))
                    .append('\n');
        }
        String eval = upload(team, lines.toString(), "sft");
        // a chat line too: rendered through the model's chat template (tiny-gpt's default), then cut to block_size
        lines.append(JSON.writeValueAsString(Map.of("messages", List.of(Map.of("role", "user", "content", "a="),
                Map.of("role", "assistant", "content", "c"))))).append('\n');
        String train = upload(team, lines.toString(), "sft");

        Map<String, Object> hp = new LinkedHashMap<>();
        hp.put("max_steps", 20);
        hp.put("batch_size", 8);
        hp.put("learning_rate", 1e-2);
        hp.put("warmup_steps", 0);
        hp.put("eval_interval", 10);
        ApiResponse submitted = team.calls().post("/v1/jobs", Map.of("model", base, "dataset", train,
                "eval_dataset", eval, "seed", 2, "suffix", "sft", "method", Map.of("type", "sft", "sft", hp)));
        assertThat(submitted.status()).as(submitted.toString()).isEqualTo(201);
        assertThat(submitted.json().get("reward_spec").isNull()).isTrue();
        String job = submitted.json().get("id").asString();
        JsonNode done = awaitSucceeded(team, job);
        assertThat(done.get("current_step").asInt()).isEqualTo(20);

        JsonNode metrics = team.calls().get("/v1/jobs/" + job + "/metrics").json().get("metrics");
        for (String name : List.of("train/loss", "train/mean_token_accuracy", "train/tokens", "train/grad_norm",
                "train/lr", "perf/tokens_per_second")) {
            assertThat(steps(metrics.get(name))).as(name + " in " + metrics.propertyNames()).hasSize(20);
        }
        for (String name : List.of("eval/loss", "eval/mean_token_accuracy")) {
            assertThat(steps(metrics.get(name))).as(name).containsExactly(0, 10, 20);
        }
        JsonNode evalLoss = metrics.get("eval/loss");
        double before = evalLoss.get(0).get("value").asDouble();
        double after = evalLoss.get(2).get("value").asDouble();
        System.out.printf("SFT job: eval/loss %.3f -> %.3f, eval/mean_token_accuracy %.3f -> %.3f%n", before, after,
                metrics.get("eval/mean_token_accuracy").get(0).get("value").asDouble(),
                metrics.get("eval/mean_token_accuracy").get(2).get("value").asDouble());
        assertThat(after).as("eval/loss %s", evalLoss).isLessThan(before * 0.75);
        assertThat(steps(team.calls().get("/v1/jobs/" + job + "/checkpoints").json().get("data"))).containsExactly(10, 20);

        String sftModel = done.get("result_model").asString();
        JsonNode model = team.calls().get("/v1/models/" + sftModel).json();
        assertThat(model.get("family").asString()).isEqualTo("language-model");
        assertThat(model.get("parent").asString()).isEqualTo(base);

        // SFT → RLOO: the next stage is one more POST /v1/jobs, from the SFT job's result_model
        String prompts = upload(team, "{\"prompt\":\"a=\",\"answer\":\"c\"}\n{\"prompt\":\"b=\",\"answer\":\"d\"}\n",
                "prompts");
        String spec = exactMatch(team);
        ApiResponse next = team.calls().post("/v1/jobs", Map.of("model", sftModel, "dataset", prompts, "reward_spec", spec,
                "method", Map.of("type", "rloo", "rloo", Map.of("max_steps", 2, "prompts_per_step", 2,
                        "num_generations", 2, "max_completion_length", 2, "warmup_steps", 0, "eval_interval", 0))));
        assertThat(next.status()).as(next.toString()).isEqualTo(201);
        JsonNode rloo = awaitSucceeded(team, next.json().get("id").asString());
        assertThat(team.calls().get("/v1/models/" + rloo.get("result_model").asString()).json().get("parent").asString())
                .isEqualTo(sftModel);
    }

    @Test
    void sftLinesAreValidatedOneByOne() {
        Team fresh = api.newTeam("sft-lines");
        String content = String.join("\n",
                "{\"prompt\":\"a=\",\"completion\":\"b\"}",
                "{\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},{\"role\":\"user\",\"content\":\"a=\"}]}",
                "{\"messages\":[{\"role\":\"tool\",\"content\":\"1\"},{\"role\":\"assistant\",\"content\":\"b\"}]}",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"\"},{\"role\":\"assistant\",\"content\":\"b\"}]}",
                "{\"prompt\":\"a=\",\"completion\":\"b\",\"messages\":[{\"role\":\"assistant\",\"content\":\"b\"}]}",
                "{\"prompt\":\"a=\"}",
                "{\"text\":\"a=b\"}",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"a=\"},{\"role\":\"assistant\",\"content\":\"b\"}]}");
        ApiResponse r = fresh.calls().upload("/v1/datasets", "sft.jsonl", content.getBytes(StandardCharsets.UTF_8),
                Map.of("purpose", "sft"));
        assertThat(pointers(r)).containsExactly("/file/line/2", "/file/line/3", "/file/line/4", "/file/line/5",
                "/file/line/6", "/file/line/7");
        assertThat(r.json().get("code").asString()).isEqualTo("invalid_dataset");
        List<String> details = new ArrayList<>();
        r.json().get("errors").forEach(e -> details.add(e.get("detail").asString()));
        assertThat(details.get(0)).startsWith("line 2 ").contains("no assistant turn");
        assertThat(details.get(1)).startsWith("line 3 ").contains("unknown role 'tool'");
        assertThat(details.get(2)).startsWith("line 4 ").contains("empty content");
        assertThat(details.get(3)).startsWith("line 5 ").contains("both");
        assertThat(details.get(4)).startsWith("line 6 ").contains("completion");
        assertThat(details.get(5)).startsWith("line 7 ").contains("'messages'");
        assertThat(fresh.calls().get("/v1/datasets").json().get("data")).isEmpty();

        // the good lines alone are accepted, and both forms may share a file
        ApiResponse ok = fresh.calls().upload("/v1/datasets", "sft.jsonl", String.join("\n", content.split("\n")[0],
                content.split("\n")[7]).getBytes(StandardCharsets.UTF_8), Map.of("purpose", "sft"));
        assertThat(ok.status()).as(ok.toString()).isEqualTo(201);
        assertThat(ok.json().get("purpose").asString()).isEqualTo("sft");
        assertThat(ok.json().get("lines").asInt()).isEqualTo(2);
    }

    @Test
    void mismatchesAreProblemsAtTheirPointers() throws Exception {
        setUpBase();
        String sft = upload(team, "{\"prompt\":\"a=\",\"completion\":\"b\"}\n", "sft");
        String prompts = upload(team, "{\"prompt\":\"a=\",\"answer\":\"b\"}\n", "prompts");
        String spec = exactMatch(team);

        // sft on a prompts dataset (and eval set), with a reward spec it does not use and max_length past block_size
        ApiResponse r = team.calls().post("/v1/jobs", Map.of("model", base, "dataset", prompts, "eval_dataset", prompts,
                "reward_spec", spec, "method", Map.of("type", "sft", "sft", Map.of("max_length", 9, "packing", "yes"))));
        assertThat(pointers(r)).containsExactlyInAnyOrder("/dataset", "/eval_dataset", "/reward_spec",
                "/method/sft/packing");
        ApiResponse tooLong = team.calls().post("/v1/jobs", Map.of("model", base, "dataset", sft,
                "method", Map.of("type", "sft", "sft", Map.of("max_length", 9))));
        assertThat(pointers(tooLong)).containsExactly("/method/sft/max_length");
        // rloo on an sft dataset
        ApiResponse rloo = team.calls().post("/v1/jobs", Map.of("model", base, "dataset", sft, "reward_spec", spec,
                "method", Map.of("type", "rloo", "rloo", Map.of("max_completion_length", 2))));
        assertThat(pointers(rloo)).containsExactly("/dataset");

        // GET /v1/methods describes it
        JsonNode described = null;
        for (JsonNode m : team.calls().get("/v1/methods").json().get("data")) {
            if (m.get("type").asString().equals("sft")) {
                described = m;
            }
        }
        assertThat(described).isNotNull();
        assertThat(described.get("dataset_purpose").asString()).isEqualTo("sft");
        assertThat(described.get("uses_reward_spec").asBoolean()).isFalse();

        // the minimal valid job: defaults but for its length
        ApiResponse ok = team.calls().post("/v1/jobs", Map.of("model", base, "dataset", sft,
                "method", Map.of("type", "sft", "sft", Map.of("max_steps", 2, "warmup_steps", 0))));
        assertThat(ok.status()).as(ok.toString()).isEqualTo(201);
        awaitSucceeded(team, ok.json().get("id").asString());
    }

    private static String exactMatch(Team team) {
        ApiResponse spec = team.calls().post("/v1/reward-specs", Map.of("name", "exact", "grader", Map.of(
                "type", "string_check", "name", "exact", "input", "{{sample.output_text}}",
                "reference", "{{item.answer}}", "operation", "eq")));
        assertThat(spec.status()).as(spec.toString()).isEqualTo(201);
        return spec.json().get("id").asString();
    }
}
