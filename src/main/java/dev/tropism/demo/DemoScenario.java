package dev.tropism.demo;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.springframework.http.MediaType;
import org.springframework.web.client.RestClient;
import tools.jackson.databind.JsonNode;

/**
 * The demo's steps, through the public REST API only, as a user would call it: generate the
 * arithmetic corpus and prompt sets, pretrain a tiny base model (stopped early on purpose so RL has
 * room), define an exact-match reward, run GRPO with greedy held-out evaluation, and report the
 * before/after accuracy. Used by the demo profile and by the benchmark.
 */
public final class DemoScenario {

    private static final Duration POLL = Duration.ofSeconds(2);

    /** What the demo measured. Accuracies are greedy exact match on the held-out prompts. */
    public record Result(String pretrainJob, String grpoJob, String baseModel, String alignedModel,
            double baseAccuracy, double alignedAccuracy, int evalProblems, double pretrainSeconds, double grpoSeconds,
            double wallSeconds) {
    }

    private final String baseUrl;
    private final RestClient api;
    private final DemoProperties props;
    private final Consumer<String> out;

    public DemoScenario(String baseUrl, String apiKey, DemoProperties props, Consumer<String> out) {
        this.baseUrl = baseUrl;
        this.api = RestClient.builder().baseUrl(baseUrl).defaultHeader("Authorization", "Bearer " + apiKey).build();
        this.props = props;
        this.out = out;
    }

    /** What the first three steps made: the datasets, the reward spec and the pretrained base model. */
    public record Prepared(String corpus, String train, String eval, int evalProblems, String rewardSpec,
            String baseModel, String pretrainJob, double pretrainSeconds) {
    }

    public Result run() throws InterruptedException {
        long t0 = System.nanoTime();
        Prepared p = prepare(t0);
        String modelId = p.baseModel();
        String train = p.train();
        String eval = p.eval();
        String specId = p.rewardSpec();
        String pretrainJob = p.pretrainJob();
        int evalProblems = p.evalProblems();
        double pretrainSeconds = p.pretrainSeconds();

        // 4. GRPO with greedy evaluation on the 1,000 held-out problems every 25 steps.
        Map<String, Object> grpo = new LinkedHashMap<>();
        grpo.put("max_steps", props.grpoSteps());
        grpo.put("prompts_per_step", 64);
        grpo.put("num_generations", 8);
        grpo.put("learning_rate", 5e-5);
        grpo.put("temperature", 0.7);
        grpo.put("max_completion_length", 6);
        grpo.put("eval_interval", 25);
        grpo.put("eval_limit", 1000);
        long g0 = System.nanoTime();
        JsonNode job = post("/v1/jobs", Map.of("model", modelId, "dataset", train, "eval_dataset", eval,
                "reward_spec", specId, "method", Map.of("type", "grpo", "grpo", grpo),
                "seed", props.seed(), "suffix", "grpo-demo"));
        String jobId = job.path("id").asString();
        out.accept("GRPO job " + jobId + ": " + baseUrl + "/v1/jobs/" + jobId + "  (curves: /v1/jobs/" + jobId + "/metrics)");
        JsonNode done = follow(jobId, "grpo", "train/reward/mean");
        double grpoSeconds = seconds(g0);

        JsonNode acc = metrics(jobId, "eval/accuracy").path("eval/accuracy");
        double before = acc.get(0).path("value").asDouble();
        double after = acc.get(acc.size() - 1).path("value").asDouble();
        out.accept(String.format("held-out greedy accuracy (%d problems): base %.1f%% -> aligned %.1f%% (%+.1f points)",
                evalProblems, 100 * before, 100 * after, 100 * (after - before)));
        String aligned = done.path("result_model").asString();
        double wall = seconds(t0);
        out.accept(String.format("aligned model %s (GET %s/v1/models/%s); demo wall time %.0f s", aligned, baseUrl,
                aligned, wall));
        return new Result(pretrainJob, jobId, modelId, aligned, before, after, evalProblems, pretrainSeconds,
                grpoSeconds, wall);
    }

    /**
     * Steps 1 to 3, shared by both demos: the arithmetic datasets, the exact-match reward and a tiny-gpt base
     * pretrained until it leaves RL room.
     */
    public Prepared prepare(long t0) throws InterruptedException {
        out.accept("Tropism demo on " + baseUrl + "  (Swagger UI: " + baseUrl + "/swagger-ui.html, Prometheus: "
                + baseUrl + "/actuator/prometheus)");

        // 1. Data: 2-digit addition, answers least-significant digit first; 1,000 held-out problems.
        // On GPT-2's BPE the digits are spaced, so that each is one token, as for the character tokenizer.
        JsonNode sets = post("/v1/datasets/generate", Map.of("generator", "arithmetic", "name", "arithmetic",
                "digits", 2, "reverse_answer", true, "corpus_size", 4000, "train_prompts", 2000, "eval_prompts", 1000,
                "spaced", props.tokenizer().equals("gpt2")));
        String corpus = sets.path("data").get(0).path("id").asString();
        String train = sets.path("data").get(1).path("id").asString();
        String eval = sets.path("data").get(2).path("id").asString();
        int evalProblems = sets.path("data").get(2).path("lines").asInt();
        out.accept("datasets: corpus " + corpus + ", prompts " + train + ", held-out " + eval + " (" + evalProblems
                + " problems)");

        // 2. Reward: exact match against the item's answer.
        JsonNode spec = post("/v1/reward-specs", Map.of("name", "exact-answer", "grader", Map.of(
                "type", "string_check", "name", "exact", "input", "{{sample.output_text}}",
                "reference", "{{item.answer}}", "operation", "eq")));
        String specId = spec.path("id").asString();

        // 3. Base model: a 0.8M-parameter tiny-gpt, stopped early on purpose so RL has room: pretraining
        // ends once greedy accuracy on the RL prompt set (not the held-out set) reaches stop_at_accuracy.
        Map<String, Object> pretrain = new LinkedHashMap<>();
        pretrain.put("tokenizer", props.tokenizer());
        pretrain.put("n_layer", 4);
        pretrain.put("n_embd", 128);
        pretrain.put("n_head", 4);
        pretrain.put("block_size", 16);
        pretrain.put("max_steps", props.pretrainSteps());
        pretrain.put("batch_size", 64);
        pretrain.put("learning_rate", 1e-3);
        pretrain.put("warmup_steps", 50);
        pretrain.put("eval_interval", 10);
        pretrain.put("eval_limit", 500);
        pretrain.put("eval_max_new_tokens", 6);
        pretrain.put("stop_at_accuracy", props.baseAccuracyTarget());
        JsonNode model = post("/v1/models", Map.of("name", "arith-base", "recipe", "tiny-gpt", "dataset", corpus,
                "eval_dataset", train, "reward_spec", specId, "seed", props.seed(), "hyperparameters", pretrain));
        String modelId = model.path("id").asString();
        String pretrainJob = model.path("job").asString();
        out.accept("pretraining " + modelId + ": " + baseUrl + "/v1/jobs/" + pretrainJob);
        follow(pretrainJob, "pretrain", "train/loss");
        double pretrainSeconds = seconds(t0);
        out.accept(String.format("base model %s ready after %.0f s", modelId, pretrainSeconds));

        return new Prepared(corpus, train, eval, evalProblems, specId, modelId, pretrainJob, pretrainSeconds);
    }

    /** Per-step series of the given metrics of a job. */
    public JsonNode metrics(String jobId, String names) {
        return api.get().uri("/v1/jobs/{id}/metrics?names=" + names, jobId).retrieve().body(JsonNode.class)
                .path("metrics");
    }

    /** Polls a job until it ends, printing one line per 25 steps; fails if the job did not succeed. */
    JsonNode follow(String jobId, String label, String metric) throws InterruptedException {
        int lastPrinted = -1;
        while (true) {
            JsonNode job = api.get().uri("/v1/jobs/{id}", jobId).retrieve().body(JsonNode.class);
            String status = job.path("status").asString();
            int step = job.path("current_step").asInt();
            int total = job.path("total_steps").asInt();
            boolean ended = List.of("succeeded", "failed", "cancelled").contains(status);
            if ((step / 25 > lastPrinted / 25 && step > 0) || ended) {
                lastPrinted = step;
                JsonNode m = metrics(jobId, metric + ",eval/accuracy,eval/loss");
                String evalPart = m.has("eval/accuracy") ? "  eval/accuracy " + last(m.path("eval/accuracy"))
                        : m.has("eval/loss") ? "  eval/loss " + last(m.path("eval/loss")) : "";
                out.accept(String.format("[%s] %s step %d/%d  %s %s%s", label, bar(step, total), step, total, metric,
                        last(m.path(metric)), evalPart));
            }
            if (ended) {
                if (!"succeeded".equals(status)) {
                    throw new IllegalStateException(label + " job " + jobId + " " + status + ": " + job.path("error"));
                }
                return job;
            }
            Thread.sleep(POLL.toMillis());
        }
    }

    JsonNode post(String path, Object body) {
        return api.post().uri(path).contentType(MediaType.APPLICATION_JSON).body(body).retrieve().body(JsonNode.class);
    }

    private static String last(JsonNode series) {
        if (series == null || !series.isArray() || series.isEmpty()) {
            return "-";
        }
        return String.format("%.3f", series.get(series.size() - 1).path("value").asDouble());
    }

    private static String bar(int step, int total) {
        int width = 20;
        int filled = total <= 0 ? 0 : Math.min(width, step * width / total);
        return "[" + "#".repeat(filled) + ".".repeat(width - filled) + "]";
    }

    static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }
}
