package dev.tropism.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import dev.tropism.support.TropismTestClient.Calls;
import dev.tropism.support.TropismTestClient.Team;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import tools.jackson.databind.JsonNode;

/**
 * Shared setup of the flow-matching API tests, through the REST API only: a {@code tiny-flow} model small
 * enough to pretrain in seconds, prompt sets of class names, a reward spec that scores images (it reads the
 * prompt, so it yields a number although a flow sample's output text is empty), tiny flow jobs, and waits.
 */
final class FlowApiFixtures {

    static final Duration TIMEOUT = Duration.ofSeconds(120);

    /** 14×14, 8 channels, 20 steps; classifiers 20 steps each; samples at steps 10 and 20. */
    static Map<String, Object> tinyFlowHyperparameters() {
        Map<String, Object> hp = new LinkedHashMap<>();
        hp.put("channels", 8);
        hp.put("embed_dim", 16);
        hp.put("groups", 4);
        hp.put("max_steps", 20);
        hp.put("batch_size", 16);
        hp.put("classifier_steps", 20);
        hp.put("eval_interval", 10);
        hp.put("sample_steps", 3);
        return hp;
    }

    /** One flow job's hyperparameters: 2 steps of 1 prompt × 2 samples, 3 sampler steps, evaluated every step. */
    static Map<String, Object> tinyFlowJob() {
        Map<String, Object> hp = new LinkedHashMap<>();
        hp.put("max_steps", 2);
        hp.put("prompts_per_step", 1);
        hp.put("num_generations", 2);
        hp.put("sample_steps", 3);
        hp.put("eval_interval", 1);
        hp.put("eval_samples_per_prompt", 2);
        return hp;
    }

    private static final Map<TropismTestClient, Base> BASES = new java.util.IdentityHashMap<>();

    private FlowApiFixtures() {
    }

    /** A team and its ready {@code tiny-flow} model named {@code shoes}. */
    record Base(Team team, JsonNode model) {

        String id() {
            return model.get("id").asString();
        }
    }

    /**
     * The {@code tiny-flow} model of this application context (one per context, so test classes that share a
     * context pretrain it once), created on first use and awaited until ready.
     */
    static synchronized Base base(TropismTestClient api) throws InterruptedException {
        Base base = BASES.get(api);
        if (base == null) {
            Team team = api.newTeam("flow");
            JsonNode created = createTinyFlow(team.calls(), "shoes");
            assertThat(created.get("status").asString()).isEqualTo("training");
            base = new Base(team, awaitModelReady(team.calls(), created.get("id").asString()));
            BASES.put(api, base);
        }
        return base;
    }

    /** Creates a {@code tiny-flow} model (201) and returns it. */
    static JsonNode createTinyFlow(Calls calls, String name) {
        ApiResponse r = calls.post("/v1/models", Map.of("name", name, "recipe", "tiny-flow", "seed", 3,
                "hyperparameters", tinyFlowHyperparameters()));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.json();
    }

    /** A {@code prompts} dataset with one {@code {"prompt": class}} line per name. */
    static String prompts(Calls calls, String... classes) {
        StringBuilder lines = new StringBuilder();
        for (String c : classes) {
            lines.append("{\"prompt\":\"").append(c).append("\"}\n");
        }
        ApiResponse r = calls.upload("/v1/datasets", "classes.jsonl", lines.toString().getBytes(StandardCharsets.UTF_8),
                Map.of("purpose", "prompts"));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.json().get("id").asString();
    }

    /** 1 for the prompt {@code sneaker}, else 0: a grader that exists for text and gives images a number. */
    static String sneakerReward(Calls calls, String name) {
        ApiResponse r = calls.post("/v1/reward-specs", Map.of("name", name, "grader", Map.of("type", "string_check",
                "name", name, "input", "{{item.prompt}}", "reference", "sneaker", "operation", "eq")));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.json().get("id").asString();
    }

    /** {@code POST /v1/jobs} of a flow method with {@link #tinyFlowJob()} plus {@code extra} hyperparameters. */
    static ApiResponse submitFlow(Calls calls, String model, String type, Map<String, Object> extra, String dataset,
            String rewardSpec, Map<String, Object> fields) {
        Map<String, Object> hp = tinyFlowJob();
        hp.putAll(extra);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("model", model);
        body.put("dataset", dataset);
        if (rewardSpec != null) {
            body.put("reward_spec", rewardSpec);
        }
        body.put("method", Map.of("type", type, type, hp));
        body.put("seed", 5);
        body.putAll(fields);
        return calls.post("/v1/jobs", body);
    }

    static JsonNode awaitModelReady(Calls calls, String id) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (true) {
            ApiResponse r = calls.get("/v1/models/" + id);
            assertThat(r.status()).as(r.toString()).isEqualTo(200);
            String status = r.json().get("status").asString();
            if (status.equals("ready")) {
                return r.json();
            }
            assertThat(status).as("model %s: %s", id, r).isNotEqualTo("failed");
            assertThat(System.nanoTime()).as("model %s never ready: %s", id, r).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    /** Waits until the job ends; fails unless it {@code succeeded}. */
    static JsonNode awaitSucceeded(Calls calls, String id) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (true) {
            JsonNode j = calls.get("/v1/jobs/" + id).json();
            String status = j.get("status").asString();
            if (status.equals("succeeded")) {
                return j;
            }
            assertThat(status).as("job %s: %s", id, j).isNotIn("failed", "cancelled", "paused");
            assertThat(System.nanoTime()).as("job %s never succeeded: %s", id, j).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    /** The team's models produced by {@code jobId}, by name. */
    static Map<String, JsonNode> modelsOfJob(Calls calls, String jobId) {
        Map<String, JsonNode> out = new java.util.TreeMap<>();
        for (JsonNode m : calls.get("/v1/models?limit=100").json().get("data")) {
            if (jobId.equals(m.path("job").asString(null))) {
                out.put(m.get("name").asString(), m);
            }
        }
        return out;
    }

    /** The steps of {@code GET /v1/jobs/{id}/samples}, after checking that every listed PNG decodes. */
    static List<Integer> sampleSteps(Calls calls, String jobId) {
        ApiResponse list = calls.get("/v1/jobs/" + jobId + "/samples");
        assertThat(list.status()).as(list.toString()).isEqualTo(200);
        List<Integer> steps = new ArrayList<>();
        for (JsonNode s : list.json().get("data")) {
            int step = s.get("step").asInt();
            assertThat(s.get("url").asString()).isEqualTo("/v1/jobs/" + jobId + "/samples/" + step + ".png");
            assertThat(s.get("created_at").asString()).isNotBlank();
            ApiResponse png = calls.get(s.get("url").asString());
            assertThat(png.status()).as(png.toString()).isEqualTo(200);
            assertThat(png.contentType().toString()).isEqualTo("image/png");
            BufferedImage image = decode(png.body());
            assertThat(image).as("step %d decodes", step).isNotNull();
            assertThat(image.getWidth()).isPositive();
            steps.add(step);
        }
        return steps;
    }

    private static BufferedImage decode(byte[] png) {
        try {
            return ImageIO.read(new ByteArrayInputStream(png));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The pointers of a 422's {@code errors}. */
    static List<String> pointers(ApiResponse r) {
        assertThat(r.status()).as(r.toString()).isEqualTo(422);
        assertThat(r.contentType().toString()).startsWith("application/problem+json");
        List<String> out = new ArrayList<>();
        r.json().path("errors").forEach(e -> out.add(e.get("pointer").asString()));
        return out;
    }

    /** The detail of the violation at {@code pointer}. */
    static String detailAt(ApiResponse r, String pointer) {
        for (JsonNode e : r.json().path("errors")) {
            if (e.get("pointer").asString().equals(pointer)) {
                return e.get("detail").asString();
            }
        }
        throw new AssertionError("no violation at " + pointer + " in " + r);
    }

    /** The metric series of a job. */
    static JsonNode metrics(Calls calls, String jobId) {
        ApiResponse r = calls.get("/v1/jobs/" + jobId + "/metrics");
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return r.json().get("metrics");
    }

    static List<Integer> stepsOf(JsonNode series) {
        List<Integer> out = new ArrayList<>();
        series.forEach(p -> out.add(p.get("step").asInt()));
        return out;
    }
}
