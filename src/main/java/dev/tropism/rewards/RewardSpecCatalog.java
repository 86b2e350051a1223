package dev.tropism.rewards;

import dev.tropism.engine.RewardFunction;
import dev.tropism.teams.Caller;

/** The catalog's public face for reward specs, used by the jobs module. */
public interface RewardSpecCatalog {

    /** The caller's reward spec; another team's or a missing id throws {@code ApiException.notFound}. */
    RewardSpecInfo get(Caller caller, String rewardSpecId);

    /**
     * The spec compiled into an engine reward function. Each named grader's score is reported as a
     * sub-reward under its name; grader errors are reported per sample, never thrown.
     */
    RewardFunction rewardFunction(Caller caller, String rewardSpecId);
}
