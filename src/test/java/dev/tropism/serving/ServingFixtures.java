package dev.tropism.serving;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import dev.tropism.support.TropismTestClient.Team;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Real tiny models pretrained through the API, and a raw server-sent-events reader. */
public final class ServingFixtures {

    public static final JsonMapper JSON = JsonMapper.builder().build();
    /** Context of the test models: long enough for a greedy completion that outlasts a disconnect. */
    static final int BLOCK_SIZE = 256;

    private ServingFixtures() {
    }

    /** A corpus dataset of generated arithmetic lines. */
    public static String corpus(Team team) {
        ApiResponse sets = team.calls().post("/v1/datasets/generate", Map.of("generator", "arithmetic", "digits", 1,
                "corpus_size", 40, "train_prompts", 4, "eval_prompts", 4));
        assertThat(sets.status()).as(sets.toString()).isEqualTo(201);
        return sets.json().get("data").get(0).get("id").asString();
    }

    /** Pretrains a 1-layer model for a few steps and waits until it is ready; returns its JSON. */
    public static JsonNode pretrain(Team team, String corpus, String name, long seed) throws InterruptedException {
        return pretrain(team, corpus, name, seed, 1, 32, 2, BLOCK_SIZE);
    }

    /** Pretrains a model of this shape for 3 steps and waits until it is ready; returns its JSON. */
    public static JsonNode pretrain(Team team, String corpus, String name, long seed, int layers, int embd, int heads,
            int blockSize) throws InterruptedException {
        Map<String, Object> hp = new LinkedHashMap<>();
        hp.put("n_layer", layers);
        hp.put("n_embd", embd);
        hp.put("n_head", heads);
        hp.put("block_size", blockSize);
        hp.put("max_steps", 3);
        hp.put("batch_size", 4);
        ApiResponse created = team.calls().post("/v1/models", Map.of("name", name, "recipe", "tiny-gpt", "dataset", corpus,
                "hyperparameters", hp, "seed", seed));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String id = created.json().get("id").asString();
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (true) {
            ApiResponse r = team.calls().get("/v1/models/" + id);
            String status = r.json().get("status").asString();
            if (status.equals("ready")) {
                return r.json();
            }
            assertThat(status).as("model %s: %s", id, r).isNotEqualTo("failed");
            assertThat(System.nanoTime()).as("model %s never ready", id).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    /** A streamed answer: status, content type and the raw {@code data:} payloads in order. */
    record Stream(int status, String contentType, String raw, List<String> data) {

        /** The JSON chunks, without the final {@code [DONE]}. */
        List<JsonNode> chunks() {
            return data.stream().filter(d -> !d.equals("[DONE]")).map(d -> JSON.readTree(d)).toList();
        }
    }

    /** POSTs {@code body} and reads the whole event stream (or error body). */
    static Stream stream(TropismTestClient api, String key, String path, Object body) throws IOException {
        HttpURLConnection c = open(api, key, path, body);
        int status = c.getResponseCode();
        StringBuilder raw = new StringBuilder();
        List<String> data = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(
                status < 400 ? c.getInputStream() : c.getErrorStream(), StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                raw.append(line).append('\n');
                if (line.startsWith("data: ")) {
                    data.add(line.substring("data: ".length()));
                }
            }
        }
        return new Stream(status, c.getContentType(), raw.toString(), data);
    }

    /** Opens a streaming POST, returns the connection with the response started. */
    static HttpURLConnection open(TropismTestClient api, String key, String path, Object body) throws IOException {
        HttpURLConnection c = (HttpURLConnection) URI.create(api.baseUrl() + path).toURL().openConnection();
        c.setRequestMethod("POST");
        c.setDoOutput(true);
        c.setRequestProperty("Authorization", "Bearer " + key);
        c.setRequestProperty("Content-Type", "application/json");
        c.getOutputStream().write(JSON.writeValueAsBytes(body));
        c.getOutputStream().close();
        return c;
    }

    /** The OpenAI error of a response, checking its shape. */
    static JsonNode error(ApiResponse r, int status) {
        assertThat(r.status()).as(r.toString()).isEqualTo(status);
        JsonNode e = r.json().get("error");
        assertThat(e).as(r.toString()).isNotNull();
        assertThat(e.get("message").isString()).as(r.toString()).isTrue();
        assertThat(e.get("type").isString()).as(r.toString()).isTrue();
        assertThat(e.has("param") && e.has("code")).as(r.toString()).isTrue();
        return e;
    }
}
