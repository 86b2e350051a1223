package dev.tropism.catalog;

import dev.tropism.engine.RewardFunction;
import dev.tropism.engine.RewardResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A compiled grader as an engine reward function: thread-safe and never throws. */
final class GraderRewardFunction implements RewardFunction {

    private final Grader grader;

    GraderRewardFunction(Grader grader) {
        this.grader = grader;
    }

    @Override
    public RewardResult score(Map<String, Object> item, String outputText) {
        try {
            Map<String, Double> subRewards = new LinkedHashMap<>();
            List<String> errors = new ArrayList<>();
            double reward = grader.score(item, outputText, subRewards, errors);
            return new RewardResult(reward, subRewards, errors);
        } catch (RuntimeException e) {
            return RewardResult.error(grader.name() + ": " + e);
        }
    }
}
