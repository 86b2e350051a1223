package dev.tropism.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * Scores a batch of samples. Implemented by the service's graders; the engine only calls it through
 * {@link #scoreSafely}. Implementations must be thread-safe and must not throw for a bad sample:
 * report it in {@link RewardResult#errors()} instead.
 */
@FunctionalInterface
public interface RewardFunction {

    /** One result per sample of {@code batch}, in order. */
    List<RewardResult> score(RewardBatch batch);

    /**
     * Calls {@code reward} and never throws: an exception or a result list of the wrong size scores
     * every sample 0 with an {@link RewardError#EXCEPTION} error, so a broken grader cannot kill a run.
     */
    static List<RewardResult> scoreSafely(RewardFunction reward, RewardBatch batch) {
        String problem;
        try {
            List<RewardResult> results = reward.score(batch);
            if (results != null && results.size() == batch.size()) {
                return results;
            }
            problem = "reward function returned " + (results == null ? "null" : results.size() + " results")
                    + " for " + batch.size() + " samples";
        } catch (RuntimeException | StackOverflowError e) {
            problem = "reward function threw " + e.getClass().getSimpleName() + ": " + e.getMessage();
        }
        List<RewardResult> out = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            out.add(RewardResult.error(RewardError.EXCEPTION, problem));
        }
        return out;
    }

    /** A reward function scoring each sample on its own (tests and simple callers). */
    static RewardFunction perSample(BiFunction<Map<String, Object>, String, RewardResult> f) {
        return batch -> {
            List<RewardResult> out = new ArrayList<>(batch.size());
            for (int i = 0; i < batch.size(); i++) {
                out.add(f.apply(batch.items().get(i), batch.outputs().get(i)));
            }
            return out;
        };
    }
}
