package dev.tropism.serving;

import static dev.tropism.serving.ServingFixtures.error;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.storage.Artifacts;
import dev.tropism.models.ModelStore;
import dev.tropism.support.TinyFlow;
import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import dev.tropism.support.TropismTestClient.Team;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/** {@code POST /v1/images/generations} on a real tiny flow model: seeds, n, classes, steering, errors. */
@TropismIntegrationTest
@TestPropertySource(properties = {"tropism.jobs.poll-interval=50ms", "tropism.serving.max-n=8"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ImageGenerationApiTest {

    @Autowired TropismTestClient api;
    @Autowired Artifacts artifacts;
    @Autowired ModelStore models;

    Team team;
    Team other;
    TinyFlow.Registered mine;
    String brightness;

    @BeforeAll
    void register() throws Exception {
        team = api.newTeam("image-gen");
        other = api.newTeam("image-gen-other");
        mine = TinyFlow.register(team.id(), artifacts, models);
        ApiResponse spec = team.calls().post("/v1/reward-specs", Map.of("name", "bright", "grader",
                Map.of("type", "image_stat", "stat", "brightness")));
        assertThat(spec.status()).as(spec.toString()).isEqualTo(201);
        brightness = spec.json().get("id").asString();
    }

    Map<String, Object> body(Object... kv) {
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("model", mine.flowModel());
        b.put("prompt", "sneaker");
        b.put("steps", 3);
        for (int i = 0; i < kv.length; i += 2) {
            b.put((String) kv[i], kv[i + 1]);
        }
        return b;
    }

    JsonNode ok(Team t, Map<String, Object> body) {
        ApiResponse r = t.calls().post("/v1/images/generations", body);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return r.json();
    }

    static List<String> images(JsonNode response) {
        List<String> out = new ArrayList<>();
        response.get("data").forEach(d -> out.add(d.get("b64_json").asString()));
        return out;
    }

    /** Mean gray level in [0, 1] of a returned PNG (its side checked: the model's, 4× upscaled). */
    static double brightness(String b64) throws Exception {
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(b64)));
        assertThat(image.getWidth()).isEqualTo(TinyFlow.SIDE * ImageService.ZOOM);
        assertThat(image.getHeight()).isEqualTo(TinyFlow.SIDE * ImageService.ZOOM);
        double sum = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                sum += image.getRaster().getSample(x, y, 0) / 255.0;
            }
        }
        return sum / (image.getWidth() * image.getHeight());
    }

    @Test
    void aSeededRequestIsReproducibleAndGivesNDistinctImages() throws Exception {
        JsonNode first = ok(team, body("n", 3, "seed", 42));
        assertThat(first.get("created").asLong()).isPositive();
        assertThat(first.has("tropism")).isFalse();
        List<String> a = images(first);
        assertThat(a).hasSize(3).doesNotHaveDuplicates();
        for (String image : a) {
            assertThat(brightness(image)).isBetween(0.0, 1.0);
        }
        assertThat(images(ok(team, body("n", 3, "seed", 42)))).isEqualTo(a);
        assertThat(images(ok(team, body("n", 1, "seed", 42)))).containsExactly(a.get(0)); // image i: seed (42, i)
        assertThat(images(ok(team, body("n", 1, "seed", 43)))).doesNotContain(a.get(0));
        // defaults from the model (steps, guidance), and a checkpoint-free model id works without a seed
        Map<String, Object> defaults = body();
        defaults.remove("steps");
        assertThat(images(ok(team, defaults))).hasSize(1);
    }

    @Test
    void promptMustBeOneOfTheModelsClasses() {
        JsonNode e = error(team.calls().post("/v1/images/generations", body("prompt", "cat")), 400);
        assertThat(e.get("param").asString()).isEqualTo("prompt");
        assertThat(e.get("message").asString()).contains("sneaker").contains("ankle boot");
    }

    @Test
    void bestOfNReturnsTheBestOfThePlainSamplesOfTheSameSeed() throws Exception {
        int n = 4;
        List<String> plain = images(ok(team, body("n", n, "seed", 7)));
        double best = Double.NEGATIVE_INFINITY;
        for (String image : plain) {
            best = Math.max(best, brightness(image));
        }
        JsonNode steered = ok(team, body("seed", 7, "steering", Map.of("type", "best_of_n", "reward_spec", brightness,
                "particles", n)));
        JsonNode report = steered.get("tropism");
        assertThat(report.get("steering").asString()).isEqualTo("best_of_n");
        assertThat(report.get("particles").asInt()).isEqualTo(n);
        assertThat(report.get("rewards")).hasSize(1);
        double reward = report.get("rewards").get(0).asDouble();
        // PNG gray levels are rounded to 1/255; the reward is computed before rounding
        assertThat(reward).isGreaterThanOrEqualTo(best - 1.0 / 255);
        assertThat(brightness(images(steered).get(0))).isCloseTo(reward, org.assertj.core.data.Offset.offset(1.0 / 255));
    }

    @Test
    void fkSteeringReportsARewardPerImage() throws Exception {
        JsonNode steered = ok(team, body("n", 2, "seed", 3, "steering", Map.of("type", "fk", "reward_spec", brightness,
                "particles", 3, "lambda", 20, "potential", "diff", "resample_interval", 1, "ess_threshold", 0)));
        assertThat(images(steered)).hasSize(2);
        JsonNode report = steered.get("tropism");
        assertThat(report.get("steering").asString()).isEqualTo("fk");
        assertThat(report.get("reward_spec").asString()).isEqualTo(brightness);
        assertThat(report.get("rewards")).hasSize(2);
        assertThat(report.get("resamplings")).hasSize(2);
        for (int i = 0; i < 2; i++) {
            assertThat(brightness(images(steered).get(i))).isCloseTo(report.get("rewards").get(i).asDouble(),
                    org.assertj.core.data.Offset.offset(1.0 / 255));
        }
        assertThat(ok(team, body("n", 2, "seed", 3, "steering", Map.of("type", "fk", "reward_spec", brightness,
                "particles", 3, "lambda", 20, "potential", "diff", "resample_interval", 1, "ess_threshold", 0)))
                .get("tropism").get("rewards")).isEqualTo(report.get("rewards"));
    }

    @Test
    void otherTeamsModelsAndSpecsAreNotFoundAndUrlsAreRejected() {
        JsonNode model = error(other.calls().post("/v1/images/generations", body()), 404);
        assertThat(model.get("param").asString()).isEqualTo("model");
        ApiResponse theirSpec = other.calls().post("/v1/reward-specs", Map.of("name", "x", "grader",
                Map.of("type", "image_stat", "stat", "contrast")));
        JsonNode spec = error(team.calls().post("/v1/images/generations", body("steering", Map.of("type", "fk",
                "reward_spec", theirSpec.json().get("id").asString()))), 404);
        assertThat(spec.get("param").asString()).isEqualTo("steering.reward_spec");
        JsonNode url = error(team.calls().post("/v1/images/generations", body("response_format", "url")), 400);
        assertThat(url.get("param").asString()).isEqualTo("response_format");
        assertThat(url.get("message").asString()).contains("b64_json");
    }

    @Test
    void usageCountsImages() throws Exception {
        ok(team, body("n", 2, "seed", 1));
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            JsonNode data = team.calls().get("/v1/usage?model=" + mine.flowModel()).json().get("data");
            if (!data.isEmpty() && data.get(0).get("images").asLong() >= 2) {
                assertThat(data.get(0).get("prompt_tokens").asLong()).isZero();
                return;
            }
            assertThat(System.nanoTime()).as("usage never recorded").isLessThan(deadline);
            Thread.sleep(50);
        }
    }
}
