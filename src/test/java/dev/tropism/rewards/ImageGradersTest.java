package dev.tropism.rewards;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.tropism.engine.GeneratedImages;
import dev.tropism.engine.RewardBatch;
import dev.tropism.engine.RewardResult;
import dev.tropism.web.Violation;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code image_stat} on hand-made images with hand-computed values; image graders on text samples. */
class ImageGradersTest {

    static final Map<String, Object> ITEM = Map.of("prompt", "sneaker");
    /** 2×2, only the top-left pixel white. */
    static final float[] CORNER = {1, 0, 0, 0};
    /** 3×3, only the centre pixel white. */
    static final float[] DOT = {0, 0, 0, 0, 1, 0, 0, 0, 0};
    /** 4×4, left half 0.6, right half 0.2. */
    static final float[] HALVES = {0.6f, 0.6f, 0.2f, 0.2f, 0.6f, 0.6f, 0.2f, 0.2f, 0.6f, 0.6f, 0.2f, 0.2f, 0.6f, 0.6f,
        0.2f, 0.2f};

    static double stat(String stat, float[] image, int side) {
        return score("{\"type\":\"image_stat\",\"stat\":\"" + stat + "\"}", image, side).reward();
    }

    static RewardResult score(String grader, float[] image, int side) {
        return new GraderRewardFunction(GraderTests.compile(grader)).score(RewardBatch.ofImages(List.of(ITEM),
                new GeneratedImages(side, List.of(image)), 1)).get(0);
    }

    @Test
    void brightnessIsTheMeanIntensity() {
        assertThat(stat("brightness", CORNER, 2)).isCloseTo(0.25, within(1e-9));
        assertThat(stat("brightness", DOT, 3)).isCloseTo(1.0 / 9, within(1e-9));
        assertThat(stat("brightness", HALVES, 4)).isCloseTo(0.4, within(1e-6));
    }

    @Test
    void contrastIsThePopulationStandardDeviation() {
        // mean 0.25: ((0.75)² + 3·(0.25)²)/4 = 0.1875
        assertThat(stat("contrast", CORNER, 2)).isCloseTo(Math.sqrt(0.1875), within(1e-9));
        assertThat(stat("contrast", HALVES, 4)).isCloseTo(0.2, within(1e-6)); // every pixel 0.2 from 0.4
    }

    @Test
    void inkMassIsTheShareOfPixelsBrighterThanHalf() {
        assertThat(stat("ink_mass", CORNER, 2)).isCloseTo(0.25, within(1e-12));
        assertThat(stat("ink_mass", HALVES, 4)).isCloseTo(0.5, within(1e-12));
        assertThat(stat("ink_mass", new float[] {0.5f, 0.5f, 0.5f, 0.5f}, 2)).isZero(); // strictly brighter
    }

    @Test
    void symmetryIsOneMinusTheMeanMirrorDifference() {
        // row 0: |1 − 0| + |0 − 1| = 2 over 4 pixels
        assertThat(stat("symmetry", CORNER, 2)).isCloseTo(0.5, within(1e-12));
        assertThat(stat("symmetry", DOT, 3)).isCloseTo(1.0, within(1e-12));
        assertThat(stat("symmetry", HALVES, 4)).isCloseTo(0.6, within(1e-6)); // |0.6 − 0.2| everywhere
    }

    @Test
    void centeringIsOneMinusTheCentreOfMassDistanceOverTheHalfDiagonal() {
        // mass at the corner pixel (0, 0): its distance to (0.5, 0.5) is the half-diagonal
        assertThat(stat("centering", CORNER, 2)).isCloseTo(0.0, within(1e-12));
        assertThat(stat("centering", DOT, 3)).isCloseTo(1.0, within(1e-12));
        // columns: (0.6·(0+1) + 0.2·(2+3)) / 1.6 = 1.0, rows 1.5; 0.5 from the centre, half-diagonal 3/√2
        assertThat(stat("centering", HALVES, 4)).isCloseTo(1 - 0.5 / (3 / Math.sqrt(2)), within(1e-6));
        assertThat(stat("centering", new float[9], 3)).isZero(); // blank: no centre of mass
    }

    @Test
    void aTargetScoresOneMinusTheDistanceToIt() {
        RewardResult r = score("{\"type\":\"image_stat\",\"stat\":\"ink_mass\",\"target\":0.3}", HALVES, 4);
        assertThat(r.reward()).isCloseTo(0.8, within(1e-12));
        assertThat(r.subRewards()).containsEntry("ink_mass", r.reward()); // the default name is the stat
        RewardResult named = score("{\"type\":\"image_stat\",\"name\":\"bright\",\"stat\":\"brightness\",\"target\":1}",
                CORNER, 2);
        assertThat(named.reward()).isCloseTo(0.25, within(1e-12));
        assertThat(named.subRewards()).containsOnlyKeys("bright");
    }

    @Test
    void imageStatsComposeWithMulti() {
        RewardResult r = score("{\"type\":\"multi\",\"name\":\"total\",\"graders\":{"
                + "\"a\":{\"type\":\"image_stat\",\"stat\":\"brightness\"},"
                + "\"b\":{\"type\":\"image_stat\",\"stat\":\"symmetry\"}},\"weights\":{\"a\":2,\"b\":1}}", CORNER, 2);
        assertThat(r.reward()).isCloseTo(2 * 0.25 + 0.5, within(1e-12));
        assertThat(r.subRewards()).containsEntry("brightness", 0.25).containsEntry("symmetry", 0.5);
    }

    @Test
    void aTextSampleIsUnsupportedAndScoresZero() {
        RewardResult r = GraderTests.scoreOne(GraderTests.compile("{\"type\":\"image_stat\",\"stat\":\"brightness\"}"),
                ITEM, "a sneaker");
        assertThat(r.reward()).isZero();
        assertThat(r.errors()).singleElement().satisfies(e -> {
            assertThat(e.kind()).isEqualTo("unsupported");
            assertThat(e.message()).contains("image sample");
        });
        List<RewardResult> group = GraderTests.scoreGroup(GraderTests.compile("{\"type\":\"multi\",\"name\":\"m\","
                + "\"graders\":{\"x\":{\"type\":\"image_stat\",\"stat\":\"contrast\",\"target\":0.2}}}"), ITEM,
                Collections.nCopies(2, ""), null);
        assertThat(group).allSatisfy(g -> assertThat(g.errors()).extracting(e -> e.kind()).containsExactly("unsupported"));
    }

    @Test
    void badFieldsAreViolationsAtTheirPointers() {
        assertThat(violations("{\"type\":\"image_stat\",\"stat\":\"sharpness\"}")).extracting(Violation::pointer)
                .containsExactly("/grader/stat");
        assertThat(violations("{\"type\":\"image_stat\"}")).extracting(Violation::pointer).containsExactly("/grader/stat");
        assertThat(violations("{\"type\":\"image_stat\",\"stat\":\"brightness\",\"target\":1.5}"))
                .extracting(Violation::pointer).containsExactly("/grader/target");
        assertThat(violations("{\"type\":\"image_stat\",\"stat\":\"brightness\",\"target\":\"high\"}"))
                .extracting(Violation::pointer).containsExactly("/grader/target");
        assertThat(violations("{\"type\":\"image_stat\",\"stat\":\"brightness\",\"size\":3}"))
                .extracting(Violation::pointer).containsExactly("/grader/size");
        // two unnamed graders of one stat would share a metric name
        assertThat(violations("{\"type\":\"multi\",\"name\":\"m\",\"graders\":{"
                + "\"a\":{\"type\":\"image_stat\",\"stat\":\"brightness\"},"
                + "\"b\":{\"type\":\"image_stat\",\"stat\":\"brightness\",\"target\":0.5}}}"))
                .extracting(Violation::pointer).containsExactly("/grader/graders/b/name");
    }

    static List<Violation> violations(String json) {
        return GraderTests.COMPILER.compile(GraderTests.JSON.readTree(json), "/grader").violations();
    }
}
