package dev.tropism.rewards;

import dev.tropism.engine.RewardBatch;
import dev.tropism.engine.RewardError;
import dev.tropism.engine.RewardFunction;
import dev.tropism.engine.RewardResult;
import java.util.ArrayList;
import java.util.List;

/**
 * A compiled grader as an engine reward function: thread-safe and never throws. A grader bug (an
 * unexpected exception) scores the whole batch 0 with an {@code exception} error.
 */
final class GraderRewardFunction implements RewardFunction {

    private final Grader grader;

    GraderRewardFunction(Grader grader) {
        this.grader = grader;
    }

    @Override
    public List<RewardResult> score(RewardBatch batch) {
        try {
            Outcomes out = new Outcomes(batch.size());
            double[] scores = grader.score(GradingBatch.of(batch), out);
            for (int i = 0; i < scores.length; i++) {
                scores[i] = out.finite(i, grader.name(), scores[i], PerSampleGrader.FALLBACK);
            }
            return out.results(scores);
        } catch (RuntimeException | StackOverflowError e) {
            List<RewardResult> failed = new ArrayList<>(batch.size());
            for (int i = 0; i < batch.size(); i++) {
                failed.add(RewardResult.error(RewardError.EXCEPTION, grader.name() + ": " + e));
            }
            return failed;
        }
    }
}
