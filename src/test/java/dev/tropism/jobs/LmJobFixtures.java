package dev.tropism.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.support.TropismTestClient.ApiResponse;
import dev.tropism.support.TropismTestClient.Team;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What the REST tests of the language-model methods share: uploads, a tiny base model pretrained on "c=succ(c)"
 * lines, waiting for a job to succeed, and reading metric series and problem pointers.
 */
final class LmJobFixtures {

    static final JsonMapper JSON = JsonMapper.builder().build();
    static final Duration TIMEOUT = Duration.ofSeconds(120);

    private LmJobFixtures() {
    }

    /** Letter {@code i} of the first {@code letters} of the alphabet, cyclically. */
    static String letter(int i, int letters) {
        return String.valueOf((char) ('a' + i % letters));
    }

    /** Uploads {@code content} as a dataset of {@code purpose}; its id. */
    static String upload(Team team, String content, String purpose) {
        ApiResponse r = team.calls().upload("/v1/datasets", purpose + ".jsonl", content.getBytes(StandardCharsets.UTF_8),
                Map.of("purpose", purpose));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.json().get("id").asString();
    }

    /**
     * A tiny-gpt named "succ" (seed 5) pretrained with {@code hyperparameters} on four copies of the lines
     * "c=succ(c)" over the first {@code letters} letters; its id once it is ready.
     */
    static String pretrainSuccessor(Team team, int letters, Map<String, Object> hyperparameters)
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
        String id = created.json().get("id").asString();
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (true) {
            JsonNode m = team.calls().get("/v1/models/" + id).json();
            if (m.get("status").asString().equals("ready")) {
                assertThat(m.get("family").asString()).isEqualTo("language-model");
                return id;
            }
            assertThat(m.get("status").asString()).isNotEqualTo("failed");
            assertThat(System.nanoTime()).as("base model never ready").isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    /** The job once it has succeeded; fails when it fails, is cancelled or takes longer than {@link #TIMEOUT}. */
    static JsonNode awaitSucceeded(Team team, String job) throws InterruptedException {
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

    /** The steps of a metric series (or of a list of checkpoints). */
    static List<Integer> steps(JsonNode series) {
        assertThat(series).isNotNull();
        List<Integer> out = new ArrayList<>();
        series.forEach(p -> out.add(p.get("step").asInt()));
        return out;
    }

    /** The pointers of a 422 problem's errors. */
    static List<String> pointers(ApiResponse r) {
        assertThat(r.status()).as(r.toString()).isEqualTo(422);
        List<String> out = new ArrayList<>();
        r.json().path("errors").forEach(e -> out.add(e.get("pointer").asString()));
        return out;
    }
}
