package dev.tropism.rewards;

import static dev.tropism.rewards.RewardSpecsApiTest.pointers;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.engine.flow.FashionMnist;
import dev.tropism.models.ModelStore;
import dev.tropism.storage.Artifacts;
import dev.tropism.support.TinyFlow;
import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import dev.tropism.support.TropismTestClient.Team;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
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
import tools.jackson.databind.JsonNode;

/**
 * {@code classifier} and {@code reference_similarity} on a real stored image classifier (a tiny-flow
 * recipe's reward classifier), their validation at creation, and "try it" with image samples.
 */
@TropismIntegrationTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ImageGradersApiTest {

    /** Test images per class scored in the comparisons. */
    static final int PER_CLASS = 5;

    @Autowired TropismTestClient api;
    @Autowired Artifacts artifacts;
    @Autowired ModelStore models;

    Team team;
    Team other;
    TinyFlow.Registered mine;
    TinyFlow.Registered theirs;

    @BeforeAll
    void register() throws Exception {
        team = api.newTeam("image-graders");
        other = api.newTeam("image-graders-other");
        mine = TinyFlow.register(team.id(), artifacts, models);
        theirs = TinyFlow.register(other.id(), artifacts, models);
    }

    String create(Map<String, Object> grader) {
        ApiResponse r = team.calls().post("/v1/reward-specs", Map.of("name", "images", "grader", grader));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.json().get("id").asString();
    }

    ApiResponse run(String spec, Map<String, Object> item, Object samples) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("item", item);
        body.put(samples instanceof List ? "samples" : "sample", samples);
        return team.calls().post("/v1/reward-specs/" + spec + "/run", body);
    }

    /** The first {@code PER_CLASS} test images of class {@code label}, as image samples. */
    static List<Map<String, Object>> imagesOf(int label) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; out.size() < PER_CLASS; i++) {
            if (TinyFlow.testLabel(i) == label) {
                out.add(Map.of("image_b64", TinyFlow.pngBase64(TinyFlow.testImage(i), TinyFlow.SIDE)));
            }
        }
        return out;
    }

    /** Mean reward of the class-{@code label} test images when asked for class {@code asked}. */
    double meanReward(String spec, int label, String asked) {
        ApiResponse r = run(spec, Map.of("prompt", asked), imagesOf(label));
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        double sum = 0;
        for (JsonNode result : r.json().get("results")) {
            assertThat(result.get("errors")).as(result.toString()).isEmpty();
            sum += result.get("reward").asDouble();
        }
        return sum / PER_CLASS;
    }

    @Test
    void classifierProbabilityOfAClassIsHighestOnImagesOfThatClass() {
        String spec = create(Map.of("type", "classifier", "model", mine.classifier()));
        for (String asked : List.of("trouser", "bag", "sneaker")) {
            int label = FashionMnist.CLASSES.indexOf(asked);
            double own = meanReward(spec, label, asked);
            for (int otherLabel : new int[] {1, 5, 8, 9}) {
                if (otherLabel != label) {
                    assertThat(own).as("p(%s) on %s vs on %s", asked, asked, FashionMnist.CLASSES.get(otherLabel))
                            .isGreaterThan(meanReward(spec, otherLabel, asked));
                }
            }
        }
        // one image: the reward is a probability, and its sub-reward is under the default name
        ApiResponse one = run(spec, Map.of("prompt", "trouser"), imagesOf(1).get(0));
        assertThat(one.json().get("reward").asDouble()).isBetween(0.0, 1.0);
        assertThat(one.json().get("sub_rewards").get("classifier").asDouble())
                .isEqualTo(one.json().get("reward").asDouble());
        String log = create(Map.of("type", "classifier", "name", "logp", "model", mine.classifier(),
                "class", "trouser", "output", "log_probability"));
        ApiResponse logOne = run(log, Map.of(), imagesOf(1).get(0));
        assertThat(logOne.json().get("reward").asDouble())
                .isCloseTo(Math.log(one.json().get("reward").asDouble()), org.assertj.core.data.Offset.offset(1e-5));
    }

    @Test
    void referenceSimilarityIsHighestOnImagesOfTheClass() {
        String spec = create(Map.of("type", "reference_similarity", "model", mine.classifier()));
        for (String asked : List.of("trouser", "sneaker")) {
            int label = FashionMnist.CLASSES.indexOf(asked);
            double own = meanReward(spec, label, asked);
            assertThat(own).isBetween(-1.0, 1.0);
            for (int otherLabel : new int[] {1, 3, 8}) {
                if (otherLabel != label) {
                    assertThat(own).as("similarity to %s references", asked)
                            .isGreaterThan(meanReward(spec, otherLabel, asked));
                }
            }
        }
    }

    @Test
    void unknownClassesAndTextSamplesAreErrorsNotFailures() {
        String spec = create(Map.of("type", "multi", "name", "total", "graders", Map.of(
                "p", Map.of("type", "classifier", "name", "p", "model", mine.classifier()),
                "ink", Map.of("type", "image_stat", "stat", "ink_mass"))));
        ApiResponse cat = run(spec, Map.of("prompt", "cat"), imagesOf(1).get(0));
        assertThat(cat.status()).as(cat.toString()).isEqualTo(200);
        assertThat(cat.json().get("errors").get(0).get("kind").asString()).isEqualTo("unknown_class");
        assertThat(cat.json().get("errors").get(0).get("message").asString()).contains("'cat'").contains("sneaker");
        assertThat(cat.json().get("sub_rewards").get("p").asDouble()).isZero();
        assertThat(cat.json().get("sub_rewards").get("ink_mass").asDouble()).isPositive(); // the other grader still scores

        ApiResponse text = run(spec, Map.of("prompt", "trouser"), Map.of("output_text", "a trouser"));
        assertThat(text.status()).isEqualTo(200);
        assertThat(text.json().get("reward").asDouble()).isZero();
        List<String> kinds = new ArrayList<>();
        text.json().get("errors").forEach(e -> kinds.add(e.get("kind").asString()));
        assertThat(kinds).containsExactly("unsupported", "unsupported");

        ApiResponse big = run(spec, Map.of("prompt", "trouser"), Map.of("image_b64", TinyFlow.pngBase64(new float[28 * 28], 28)));
        assertThat(big.json().get("errors").get(0).get("kind").asString()).isEqualTo("unsupported");
        assertThat(big.json().get("errors").get(0).get("message").asString()).contains("14×14");
    }

    @Test
    void modelsAreCheckedAtCreation() {
        for (String type : List.of("classifier", "reference_similarity")) {
            assertModel(Map.of("type", type, "model", "model_nope"), "no model");
            assertModel(Map.of("type", type, "model", mine.flowModel()), "flow-matching");
            assertModel(Map.of("type", type, "model", theirs.classifier()), "no model");
            ApiResponse missing = team.calls().post("/v1/reward-specs", Map.of("name", "x", "grader", Map.of("type", type)));
            assertThat(pointers(missing)).containsExactly("/grader/model");
        }
        ApiResponse output = team.calls().post("/v1/reward-specs", Map.of("name", "x", "grader",
                Map.of("type", "classifier", "model", mine.classifier(), "output", "logit")));
        assertThat(pointers(output)).containsExactly("/grader/output");
        ApiResponse nested = team.calls().post("/v1/reward-specs", Map.of("name", "x", "grader", Map.of("type", "multi",
                "name", "m", "graders", Map.of("a", Map.of("type", "reference_similarity", "model", "model_nope",
                        "class", "{{item.nope")))));
        assertThat(pointers(nested)).containsExactlyInAnyOrder("/grader/graders/a/model", "/grader/graders/a/class");
    }

    void assertModel(Map<String, Object> grader, String reason) {
        ApiResponse r = team.calls().post("/v1/reward-specs", Map.of("name", "x", "grader", grader));
        assertThat(r.status()).as(r.toString()).isEqualTo(422);
        assertThat(pointers(r)).containsExactly("/grader/model");
        assertThat(r.json().get("errors").get(0).get("detail").asString()).contains(reason);
    }

    @Test
    void tryItChecksImageSamples() throws Exception {
        String spec = create(Map.of("type", "image_stat", "stat", "brightness"));
        // an RGB PNG is reduced to luma: pure green is 0.587
        BufferedImage rgb = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                rgb.setRGB(x, y, 0x00ff00);
            }
        }
        ApiResponse green = run(spec, Map.of(), Map.of("image_b64", png(rgb)));
        assertThat(green.json().get("reward").asDouble()).isCloseTo(0.587, org.assertj.core.data.Offset.offset(1e-6));
        // a grayscale PNG keeps its gray levels
        float[] pixels = {0, 1, 1, 0};
        assertThat(run(spec, Map.of(), Map.of("image_b64", TinyFlow.pngBase64(pixels, 2))).json().get("reward").asDouble())
                .isCloseTo(0.5, org.assertj.core.data.Offset.offset(1e-6));

        assertInvalid(run(spec, Map.of(), Map.of("image_b64", "not base64!")), "/sample/image_b64");
        assertInvalid(run(spec, Map.of(), Map.of("image_b64", Base64.getEncoder().encodeToString("hello".getBytes()))),
                "/sample/image_b64");
        assertInvalid(run(spec, Map.of(), Map.of("image_b64", png(new BufferedImage(4, 3, BufferedImage.TYPE_BYTE_GRAY)))),
                "/sample/image_b64");
        assertInvalid(run(spec, Map.of(), Map.of("image_b64", png(new BufferedImage(65, 65, BufferedImage.TYPE_BYTE_GRAY)))),
                "/sample/image_b64");
        assertInvalid(run(spec, Map.of(), Map.of("image_b64", TinyFlow.pngBase64(pixels, 2), "output_text", "x")),
                "/sample/output_text");
        assertInvalid(run(spec, Map.of(), Map.of()), "/sample/output_text");
        assertInvalid(run(spec, Map.of(), List.of(Map.of("output_text", "x"), Map.of("image_b64", TinyFlow.pngBase64(pixels, 2)))),
                "/samples/1");
        assertInvalid(run(spec, Map.of(), List.of(Map.of("image_b64", TinyFlow.pngBase64(pixels, 2)),
                Map.of("image_b64", TinyFlow.pngBase64(new float[9], 3)))), "/samples/1/image_b64");
    }

    static void assertInvalid(ApiResponse r, String pointer) {
        assertThat(r.status()).as(r.toString()).isEqualTo(422);
        assertThat(pointers(r)).as(r.toString()).containsExactly(pointer);
    }

    static String png(BufferedImage image) throws java.io.IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return Base64.getEncoder().encodeToString(out.toByteArray());
    }
}
