package dev.tropism.engine.rl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tropism.engine.rl.GroupAdvantages.StdEstimator;
import dev.tropism.engine.rl.GrpoConfig.ScaleRewards;
import org.junit.jupiter.api.Test;

class GroupAdvantagesTest {

    // Two groups of G = 4: group 0 has a learning signal, group 1 is constant.
    private static final double[] REWARDS = {1, 0, 0, 1, 1, 1, 1, 1};

    @Test
    void groupScalingDividesByTheUnbiasedGroupStdPlusEps() {
        // Group 0: mean 0.5, deviations ±0.5, Σd² = 1, unbiased var = 1/3, std = 0.5773502691896257.
        // A = ±0.5 / (0.5773502691896257 + 1e-4) = ±0.8658754297607016.
        // Group 1: all equal → mean 1, every deviation 0 → A = 0 / (0 + 1e-4) = 0.
        double a = 0.8658754297607016;
        assertArrayEquals(new double[] {a, -a, -a, a, 0, 0, 0, 0},
                GroupAdvantages.compute(REWARDS, 4, ScaleRewards.GROUP, StdEstimator.UNBIASED), 1e-12);
    }

    @Test
    void batchScalingCentersOnTheGroupMeanButDividesByTheBatchStd() {
        // Batch mean 6/8 = 0.75; deviations 0.25 (×6) and −0.75 (×2): Σd² = 6·0.0625 + 2·0.5625 = 1.5;
        // unbiased var = 1.5 / 7, std = 0.4629100498862757.
        // Group 0: ±0.5 / (0.4629100498862757 + 1e-4) = ±1.0798901667961847; group 1: 0.
        double a = 1.0798901667961847;
        assertArrayEquals(new double[] {a, -a, -a, a, 0, 0, 0, 0},
                GroupAdvantages.compute(REWARDS, 4, ScaleRewards.BATCH, StdEstimator.UNBIASED), 1e-12);
    }

    @Test
    void noScalingOnlyCenters() {
        // Dr. GRPO: A = r − mean_group = ±0.5 in group 0, 0 in group 1.
        assertArrayEquals(new double[] {0.5, -0.5, -0.5, 0.5, 0, 0, 0, 0},
                GroupAdvantages.compute(REWARDS, 4, ScaleRewards.NONE, StdEstimator.UNBIASED), 0.0);
    }

    @Test
    void groupScalingWithUnequalGroups() {
        // G = 2: [3, 1] → mean 2, deviations ±1, std = sqrt(2/1) = 1.4142135623730951;
        // A = ±1 / 1.4143135623730951 = ±0.70705678...; [5, 5] → 0.
        double a = 1 / (Math.sqrt(2) + 1e-4);
        assertEquals(0.70705678, a, 1e-8);
        assertArrayEquals(new double[] {a, -a, 0, 0},
                GroupAdvantages.compute(new double[] {3, 1, 5, 5}, 2, ScaleRewards.GROUP, StdEstimator.UNBIASED), 1e-12);
    }

    @Test
    void fracZeroStdCountsConstantGroups() {
        assertEquals(0.5, GroupAdvantages.fracZeroStd(REWARDS, 4));
        assertEquals(0.0, GroupAdvantages.fracZeroStd(new double[] {1, 0, 0, 1}, 2));
        assertEquals(1.0, GroupAdvantages.fracZeroStd(new double[] {0, 0, 1, 1}, 2));
    }

    @Test
    void fracZeroStdCountsConstantGroupsOfNonDyadicRewards() {
        // Partial-credit graders give rewards like 0.1; (0.1+0.1+0.1)/3 = 0.10000000000000002 in
        // doubles, so a "std == 0" test would miss these constant groups.
        assertEquals(1.0, GroupAdvantages.fracZeroStd(new double[] {0.1, 0.1, 0.1, 0.7, 0.7, 0.7}, 3));
        for (double a : GroupAdvantages.compute(new double[] {0.1, 0.1, 0.1, 0.7, 0.7, 0.7}, 3, ScaleRewards.GROUP,
                StdEstimator.UNBIASED)) {
            assertEquals(0.0, a, 1e-9);
        }
    }

    @Test
    void unbiasedStd() {
        // [2, 4, 4, 4, 5, 5, 7, 9]: mean 5, Σd² = 32, unbiased var = 32/7.
        assertEquals(Math.sqrt(32.0 / 7), GroupAdvantages.std(new double[] {2, 4, 4, 4, 5, 5, 7, 9}, 0, 8), 1e-12);
        assertEquals(0.0, GroupAdvantages.std(new double[] {3}, 0, 1));
    }

    @Test
    void rejectsRewardsThatDoNotSplitIntoGroups() {
        assertThrows(IllegalArgumentException.class,
                () -> GroupAdvantages.compute(new double[] {1, 0, 1}, 2, ScaleRewards.GROUP, StdEstimator.UNBIASED));
        assertThrows(IllegalArgumentException.class,
                () -> GroupAdvantages.compute(new double[] {1, 0}, 0, ScaleRewards.GROUP, StdEstimator.UNBIASED));
    }

    @Test
    void flowGrpoUsesTheBiasedStdOfItsReferenceCode() {
        // group {1, 3}: mean 2, biased std 1 (np.std), unbiased sqrt(2) (torch.std)
        assertArrayEquals(new double[] {-1 / (1 + 1e-4), 1 / (1 + 1e-4)},
                GroupAdvantages.compute(new double[] {1, 3}, 2, ScaleRewards.GROUP, StdEstimator.BIASED), 1e-12);
        assertArrayEquals(new double[] {-1 / (Math.sqrt(2) + 1e-4), 1 / (Math.sqrt(2) + 1e-4)},
                GroupAdvantages.compute(new double[] {1, 3}, 2, ScaleRewards.GROUP, StdEstimator.UNBIASED), 1e-12);
    }
}
