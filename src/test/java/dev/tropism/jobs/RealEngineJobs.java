package dev.tropism.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.support.TropismTestClient.ApiResponse;
import dev.tropism.support.TropismTestClient.Team;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * REST steps the real-engine job tests share: a tiny base model pretrained through {@code POST /v1/models} on lines
 * "a=x", "a=y", "a=z", … (so that a reward accepting only "x" starts near 1/3), the matching prompt set and exact-match
 * reward spec, uploads, waiting for a job, its metrics and a problem's pointers.
 */
public final class RealEngineJobs {

    public static final JsonMapper JSON = JsonMapper.builder().build();
    public static final Duration TIMEOUT = Duration.ofSeconds(120);
    private static final String[] CANDIDATES = {"x", "y", "z"};

    private RealEngineJobs() {
    }

    /** Uploads {@code content} as a dataset of {@code purpose}; its id. */
    public static String upload(Team team, String content, String purpose) {
        ApiResponse r = team.calls().upload("/v1/datasets", purpose + ".jsonl", content.getBytes(StandardCharsets.UTF_8),
                Map.of("purpose", purpose));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.json().get("id").asString();
    }

    /** JSON lines of {@code items}. */
    public static String lines(List<Map<String, Object>> items) {
        StringBuilder out = new StringBuilder();
        items.forEach(item -> out.append(JSON.writeValueAsString(item)).append('\n'));
        return out.toString();
    }

    /** The eight prompts "a=".."h=", each {@code {"prompt", "answer": "x"}}. */
    public static List<Map<String, Object>> xyzPrompts() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (int p = 0; p < 8; p++) {
            Map<String, Object> item = new LinkedHashMap<>();
            item.put("prompt", (char) ('a' + p) + "=");
            item.put("answer", "x");
            out.add(item);
        }
        return out;
    }

    /** A ready tiny-gpt (block_size 8) that answers each of {@link #xyzPrompts()} with x, y or z about equally. */
    public static String pretrainXyzBase(Team team) throws InterruptedException {
        List<Map<String, Object>> corpus = new ArrayList<>();
        for (int rep = 0; rep < 4; rep++) {
            for (Map<String, Object> item : xyzPrompts()) {
                for (String c : CANDIDATES) {
                    corpus.add(Map.of("text", item.get("prompt") + c));
                }
            }
        }
        String dataset = upload(team, lines(corpus), "corpus");
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
        ApiResponse created = team.calls().post("/v1/models", Map.of("name", "xyz", "recipe", "tiny-gpt",
                "dataset", dataset, "hyperparameters", hp, "seed", 5));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        return awaitModelReady(team, created.json().get("id").asString()).get("id").asString();
    }

    /** Waits until the model is ready (failing at once when it fails); its view. */
    public static JsonNode awaitModelReady(Team team, String id) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (true) {
            JsonNode m = team.calls().get("/v1/models/" + id).json();
            if (m.get("status").asString().equals("ready")) {
                return m;
            }
            assertThat(m.get("status").asString()).as("model %s: %s", id, m).isNotEqualTo("failed");
            assertThat(System.nanoTime()).as("model %s never ready: %s", id, m).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    /** Letter {@code i} of the first {@code letters} of the alphabet, cyclically. */
    public static String letter(int i, int letters) {
        return String.valueOf((char) ('a' + i % letters));
    }

    /**
     * A ready tiny-gpt named "succ" (seed 5) pretrained with {@code hyperparameters} on four copies of the lines
     * "c=succ(c)" over the first {@code letters} letters; its id.
     */
    public static String pretrainSuccessor(Team team, int letters, Map<String, Object> hyperparameters)
            throws InterruptedException {
        StringBuilder corpus = new StringBuilder();
        for (int rep = 0; rep < 4; rep++) {
            for (int c = 0; c < letters; c++) {
                corpus.append(JSON.writeValueAsString(Map.of("text", letter(c, letters) + "=" + letter(c + 1, letters))))
                        .append('\n');
            }
        }
        String dataset = upload(team, corpus.toString(), "corpus");
        ApiResponse created = team.calls().post("/v1/models", Map.of("name", "succ", "recipe", "tiny-gpt",
                "dataset", dataset, "hyperparameters", hyperparameters, "seed", 5));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        JsonNode ready = awaitModelReady(team, created.json().get("id").asString());
        assertThat(ready.get("family").asString()).isEqualTo("language-model");
        return ready.get("id").asString();
    }

    /** A reward spec scoring 1 when the output equals the item's {@code answer}, else 0 (grader name "exact"). */
    public static String exactMatchSpec(Team team) {
        ApiResponse spec = team.calls().post("/v1/reward-specs", Map.of("name", "exact-answer", "grader", Map.of(
                "type", "string_check", "name", "exact", "input", "{{sample.output_text}}",
                "reference", "{{item.answer}}", "operation", "eq")));
        assertThat(spec.status()).as(spec.toString()).isEqualTo(201);
        return spec.json().get("id").asString();
    }

    /** Submits {@code body} to {@code POST /v1/jobs}, which must accept it; the job's id. */
    public static String submit(Team team, Map<String, Object> body) {
        ApiResponse r = team.calls().post("/v1/jobs", body);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.json().get("id").asString();
    }

    /** Waits until the job succeeds (failing at once when it fails or is cancelled); its view. */
    public static JsonNode awaitSucceeded(Team team, String job) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (true) {
            JsonNode j = team.calls().get("/v1/jobs/" + job).json();
            if (j.get("status").asString().equals("succeeded")) {
                return j;
            }
            assertThat(j.get("status").asString()).as("job %s: %s", job, j).isNotIn(Set.of("failed", "cancelled"));
            assertThat(System.nanoTime()).as("job %s never succeeded: %s", job, j).isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    /** Every metric of the job: name → series of {step, value}. */
    public static JsonNode metrics(Team team, String job) {
        ApiResponse r = team.calls().get("/v1/jobs/" + job + "/metrics");
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return r.json().get("metrics");
    }

    /** The steps of a metric series. */
    public static List<Integer> steps(JsonNode series) {
        assertThat(series).isNotNull();
        List<Integer> out = new ArrayList<>();
        series.forEach(p -> out.add(p.get("step").asInt()));
        return out;
    }

    /** The JSON pointers of a 4xx problem's errors (it must be a problem with a code). */
    public static List<String> pointers(ApiResponse r) {
        assertThat(r.status()).as(r.toString()).isBetween(400, 499);
        assertThat(r.contentType().toString()).as(r.toString()).startsWith("application/problem+json");
        List<String> out = new ArrayList<>();
        r.json().path("errors").forEach(e -> out.add(e.get("pointer").asString()));
        return out;
    }
}
