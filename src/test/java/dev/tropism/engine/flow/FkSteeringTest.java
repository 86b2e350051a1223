package dev.tropism.engine.flow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class FkSteeringTest {

    private static double brightness(float[] image) {
        double s = 0;
        for (float v : image) {
            s += v;
        }
        return s / image.length;
    }

    private static final FkSteering.ImageScorer BRIGHTNESS = (images, label) ->
            Arrays.stream(images).mapToDouble(FkSteeringTest::brightness).toArray();

    @Test
    void lambdaZeroEqualsIndependentSampling() throws Exception {
        try (NDManager m = NDManager.newBaseManager(); FlowModel model = FlowModel.load(FlowFixtures.baseModel(), m)) {
            long[] seeds = {11, 12, 13, 14};
            SteeringConfig off = new SteeringConfig("fk", 4, "max", 0.0, 1, 0.0, 0.7);
            FkSteering.Result steered = FkSteering.generate(model.net(), 8, seeds, 6, 1.0, off, BRIGHTNESS, m);
            double[] levels = new double[6];
            Arrays.fill(levels, 0.7);
            float[][] independent = FlowSampler.toUnitImages(FlowSampler.sample(model.net(), new int[] {8, 8, 8, 8},
                    new Noise(seeds, 196), levels, 1.0, m).images());
            assertThat(steered.resamplings()).isZero();
            for (int i = 0; i < 4; i++) {
                for (int j = 0; j < 196; j++) {
                    assertThat(steered.particles()[i][j]).isCloseTo(independent[i][j], within(1e-5f));
                }
            }
        }
    }

    @Test
    void steeringResamplesTowardTheRewardAndBestOfNPicksTheBest() throws Exception {
        try (NDManager m = NDManager.newBaseManager(); FlowModel model = FlowModel.load(FlowFixtures.baseModel(), m)) {
            long[] seeds = Noise.seeds(3, 8);
            SteeringConfig fk = new SteeringConfig("fk", 8, "diff", 200.0, 1, 0.0, 0.7);
            FkSteering.Result steered = FkSteering.generate(model.net(), 1, seeds, 6, 1.0, fk, BRIGHTNESS, m);
            assertThat(steered.resamplings()).isPositive();
            assertThat(steered.reward()).isEqualTo(Arrays.stream(steered.particleRewards()).max().orElseThrow());
            SteeringConfig bon = new SteeringConfig("best_of_n", 8, "max", 10, 2, 0.5, 0.7);
            FkSteering.Result best = FkSteering.generate(model.net(), 1, seeds, 6, 1.0, bon, BRIGHTNESS, m);
            assertThat(best.reward()).isEqualTo(Arrays.stream(best.particleRewards()).max().orElseThrow());
            assertThat(best.reward()).isCloseTo(brightness(best.image()), within(1e-9));
        }
    }
}
