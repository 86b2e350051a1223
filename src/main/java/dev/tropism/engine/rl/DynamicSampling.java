package dev.tropism.engine.rl;

import java.util.ArrayList;
import java.util.List;

/**
 * DAPO's dynamic sampling (Yu et al. 2025, "DAPO: An Open-Source LLM Reinforcement Learning System at Scale", Sec. 3.2,
 * the constraint {@code 0 < |{o_i | is_equivalent(a, o_i)}| < G} of Eq. 11). With group-relative advantages
 * {@code Â_i = (r_i − mean(r)) / std(r)}, a group whose G rewards are all equal has {@code Â_i = 0} for every sample
 * and contributes no gradient; as the policy gets better (or is hopeless) more groups are like that, and the effective
 * batch shrinks. Dynamic sampling over-samples: it drops such groups and draws more prompts until the batch holds
 * {@code prompts_per_step} informative groups, with a cap on the rollouts per step.
 */
final class DynamicSampling {

    private DynamicSampling() {
    }

    /**
     * The informative groups of one rollout: those whose G rewards are not all equal.
     *
     * @param reward rewards of G consecutive rows per group // (groups · G)
     * @return group indices, in order
     */
    static List<Integer> informativeGroups(double[] reward, int g) {
        List<Integer> kept = new ArrayList<>();
        for (int group = 0; group * g < reward.length; group++) {
            double first = reward[group * g];
            for (int i = 1; i < g; i++) {
                if (reward[group * g + i] != first) {
                    kept.add(group);
                    break;
                }
            }
        }
        return kept;
    }

    /**
     * How many more groups to draw in the next rollout: what the batch still lacks, or 0 when it is full or the cap
     * of {@code maxRounds} rollouts is reached.
     *
     * @param kept informative groups kept so far
     * @param roundsDone rollouts made so far this step (the first included)
     */
    static int toDraw(int kept, int promptsPerStep, int roundsDone, int maxRounds) {
        return kept >= promptsPerStep || roundsDone >= maxRounds ? 0 : promptsPerStep - kept;
    }
}
