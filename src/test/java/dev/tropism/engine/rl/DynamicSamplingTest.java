package dev.tropism.engine.rl;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DynamicSamplingTest {

    @Test
    void keepsExactlyTheGroupsWhoseRewardsDiffer() {
        // G = 3: group 0 all right, group 1 mixed, group 2 all wrong, group 3 mixed by a hair.
        double[] reward = {1, 1, 1, 0, 1, 0, 0, 0, 0, 0.5, 0.5, 0.5000001};
        assertThat(DynamicSampling.informativeGroups(reward, 3)).containsExactly(1, 3);
        assertThat(DynamicSampling.informativeGroups(new double[] {2, 2, 2, 2}, 2)).isEmpty();
    }

    @Test
    void drawsWhatTheBatchLacksUntilItIsFullOrTheCapIsReached() {
        assertThat(DynamicSampling.toDraw(5, 8, 1, 4)).isEqualTo(3);
        assertThat(DynamicSampling.toDraw(8, 8, 1, 4)).isZero(); // full
        assertThat(DynamicSampling.toDraw(9, 8, 2, 4)).isZero();
        assertThat(DynamicSampling.toDraw(0, 8, 4, 4)).isZero(); // the cap holds, even with nothing kept
        assertThat(DynamicSampling.toDraw(0, 8, 3, 4)).isEqualTo(8);
    }
}
