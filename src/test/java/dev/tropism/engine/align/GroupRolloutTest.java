package dev.tropism.engine.align;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.engine.RewardResult;
import dev.tropism.engine.lm.Sampler.Completions;
import dev.tropism.engine.lm.Sampler.PromptBatch;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GroupRolloutTest {

    /** One rollout of groups of 2 over prompts given as unpadded token rows, left-padded with 0 as PromptBatch pads. */
    private static GroupRollout rollout(int[][] prompts, double[] reward) {
        int width = 0;
        for (int[] p : prompts) {
            width = Math.max(width, p.length);
        }
        int[][] padded = new int[prompts.length][width];
        int[] lengths = new int[prompts.length];
        int[][] completion = new int[prompts.length][];
        for (int b = 0; b < prompts.length; b++) {
            System.arraycopy(prompts[b], 0, padded[b], width - prompts[b].length, prompts[b].length);
            lengths[b] = prompts[b].length;
            completion[b] = new int[] {100 + b};
        }
        List<RewardResult> results = java.util.Arrays.stream(reward).mapToObj(RewardResult::of).toList();
        return new GroupRollout(java.util.Collections.nCopies(prompts.length, Map.<String, Object>of()),
                java.util.Collections.nCopies(prompts.length, "p"), new PromptBatch(padded, lengths, width),
                new Completions(completion, ones(prompts.length),
                        new boolean[prompts.length], new String[prompts.length]), results, reward, 0, 0);
    }

    private static int[] ones(int n) {
        int[] out = new int[n];
        java.util.Arrays.fill(out, 1);
        return out;
    }

    @Test
    void joinRepadsPromptsOfRolloutsWithDifferentWidths() {
        // rollout 1: prompts of 2 tokens (width 2); rollout 2: prompts of 4 and 3 tokens (width 4)
        GroupRollout narrow = rollout(new int[][] {{1, 2}, {1, 2}, {5, 6}, {5, 6}}, new double[] {0, 1, 1, 1});
        GroupRollout wide = rollout(new int[][] {{7, 8, 9, 10}, {7, 8, 9, 10}, {3, 4, 5}, {3, 4, 5}},
                new double[] {1, 0, 0, 1});
        GroupRollout joined = GroupRollout.join(List.of(narrow, wide), List.of(List.of(0), List.of(0, 1)), 2, 3);
        assertThat(joined.rows()).isEqualTo(6);
        assertThat(joined.batch().width()).isEqualTo(4);
        assertThat(joined.batch().lengths()).containsExactly(2, 2, 4, 4, 3, 3);
        assertThat(joined.batch().tokens()[0]).containsExactly(0, 0, 1, 2);
        assertThat(joined.batch().tokens()[2]).containsExactly(7, 8, 9, 10);
        assertThat(joined.batch().tokens()[4]).containsExactly(0, 3, 4, 5);
        assertThat(joined.reward()).containsExactly(0, 1, 1, 0, 0, 1);
        assertThat(joined.completions().tokens()[2]).containsExactly(100);
        // a CompletionBatch over it puts every prompt token at its position, padding masked
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager()) {
            CompletionBatch u = CompletionBatch.of(joined.batch(), joined.completions(), false, 0, m);
            float[] keyMask = u.keyMask.toFloatArray();
            assertThat(java.util.Arrays.copyOfRange(keyMask, 0, 4)).containsExactly(0f, 0f, 1f, 1f);
            assertThat(java.util.Arrays.copyOfRange(keyMask, 16, 20)).containsExactly(0f, 1f, 1f, 1f);
        }
    }
}
