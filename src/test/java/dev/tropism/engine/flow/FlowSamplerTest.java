package dev.tropism.engine.flow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The shared SDE/ODE sampler against hand-computed values. */
class FlowSamplerTest {

    @Test
    void sigmasRunFromOneToZero() {
        assertThat(FlowSampler.sigmas(4)).containsExactly(1.0, 0.75, 0.5, 0.25, 0.0);
    }

    @Test
    void noiseScaleUsesOneMinusSigmaOneAtSigmaOne() {
        double[] sigmas = FlowSampler.sigmas(4);
        // σ = 1: a·sqrt(1/(1 − 0.75)) = 0.7·2
        assertThat(FlowSampler.noiseScale(0.7, sigmas, 0)).isCloseTo(1.4, within(1e-12));
        // σ = 0.5: a·sqrt(0.5/0.5) = a
        assertThat(FlowSampler.noiseScale(0.7, sigmas, 2)).isCloseTo(0.7, within(1e-12));
        // step std s·sqrt(−dt) = 0.7·sqrt(0.25)
        assertThat(FlowSampler.stepStd(0.7, sigmas, 2)).isCloseTo(0.35, within(1e-12));
    }

    @Test
    void sdeMeanAndLogProbMatchHandComputedValues() {
        try (NDManager m = NDManager.newBaseManager()) {
            // σ = 0.5, dt = −0.25, s = 0.7: x·(1 + 0.49·(−0.25)/1) + v·(1 + 0.49·0.5/1)·(−0.25)
            NDArray x = m.create(new float[] {1f, -2f}, new Shape(1, 1, 1, 2));
            NDArray v = m.create(new float[] {0.5f, 4f}, new Shape(1, 1, 1, 2));
            float[] mean = FlowSampler.sdeMean(x, v, 0.5, -0.25, 0.7).toFloatArray();
            double xCoef = 1 - 0.49 * 0.25;
            double vCoef = (1 + 0.245) * -0.25;
            assertThat((double) mean[0]).isCloseTo(1 * xCoef + 0.5 * vCoef, within(1e-6));
            assertThat((double) mean[1]).isCloseTo(-2 * xCoef + 4 * vCoef, within(1e-6));
            // With s = 0 the step is Euler's x + v·dt.
            float[] ode = FlowSampler.sdeMean(x, v, 0.5, -0.25, 0.0).toFloatArray();
            assertThat((double) ode[0]).isCloseTo(1 - 0.125, within(1e-6));
            assertThat((double) ode[1]).isCloseTo(-2 - 1, within(1e-6));
            // log N(x'; μ, 0.35²) averaged over the two pixels.
            NDArray sample = m.create(new float[] {0.1f, 0.2f}, new Shape(1, 1, 1, 2));
            NDArray mu = m.create(new float[] {0f, 0f}, new Shape(1, 1, 1, 2));
            double std = 0.35;
            double expected = 0;
            for (double d : new double[] {0.1, 0.2}) {
                expected += -d * d / (2 * std * std) - Math.log(std) - 0.5 * Math.log(2 * Math.PI);
            }
            assertThat((double) FlowSampler.logProb(sample, mu, std).getFloat(0)).isCloseTo(expected / 2, within(1e-5));
        }
    }

    @Test
    void vanishingNoiseLevelReproducesTheOdeSample() throws Exception {
        Path base = FlowFixtures.baseModel();
        try (NDManager m = NDManager.newBaseManager(); FlowModel model = FlowModel.load(base, m)) {
            int[] labels = {0, 3, 7};
            long[] seeds = {1, 2, 3};
            float[] ode = FlowSampler.sample(model.net(), labels, new Noise(seeds, 196), new double[8], 1.0, m)
                    .images().toFloatArray();
            double[] tiny = new double[8];
            java.util.Arrays.fill(tiny, 1e-7);
            Trajectory sde = FlowSampler.sample(model.net(), labels, new Noise(seeds, 196), tiny, 1.0, m);
            float[] almost = sde.images().toFloatArray();
            for (int i = 0; i < ode.length; i++) {
                assertThat(almost[i]).isCloseTo(ode[i], within(1e-4f));
            }
            assertThat(sde.noisy(0)).isTrue();
            assertThat(sde.noisy(7)).as("the last step is always deterministic").isFalse();
            // The same seed gives the same image alone or in a batch.
            float[] alone = FlowSampler.sample(model.net(), new int[] {3}, new Noise(new long[] {2}, 196), new double[8],
                    1.0, m).images().toFloatArray();
            for (int i = 0; i < 196; i++) {
                assertThat(alone[i]).isCloseTo(ode[196 + i], within(1e-5f));
            }
        }
    }

    @Test
    void odeFromManyEqualsOneCompletionPerStart() throws Exception {
        Path base = FlowFixtures.baseModel();
        try (NDManager m = NDManager.newBaseManager(); FlowModel model = FlowModel.load(base, m)) {
            double[] levels = new double[6];
            java.util.Arrays.fill(levels, 0.7);
            Trajectory t = FlowSampler.sample(model.net(), new int[] {1, 2}, new Noise(new long[] {5, 6}, 196), levels,
                    1.0, m);
            NDArray labels = m.create(new int[] {1, 2});
            double[] sigmas = FlowSampler.sigmas(6);
            NDArray[] many = FlowSampler.odeFromMany(model.net(), new NDArray[] {t.state(1), t.state(4)}, new int[] {1, 4},
                    new NDArray[] {labels, labels}, 1.0, sigmas);
            float[] one = FlowSampler.odeFrom(model.net(), t.state(1), 1, labels, 1.0, sigmas).toFloatArray();
            float[] four = FlowSampler.odeFrom(model.net(), t.state(4), 4, labels, 1.0, sigmas).toFloatArray();
            assertThat(many[0].toFloatArray()).usingComparatorWithPrecision(1e-4f).containsExactly(one);
            assertThat(many[1].toFloatArray()).usingComparatorWithPrecision(1e-4f).containsExactly(four);
        }
    }
}
