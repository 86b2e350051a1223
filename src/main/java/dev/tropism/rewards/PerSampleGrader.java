package dev.tropism.rewards;

import dev.tropism.engine.RewardError;

/**
 * A grader that scores each sample on its own. A sample whose scoring fails with a
 * {@link GradingException}, or gives a non-finite score, scores {@link #FALLBACK} and carries an error
 * of that kind; any other exception on one sample is an {@code exception} error of that sample only.
 */
public abstract class PerSampleGrader implements Grader {

    /** The documented score of a sample its grader could not score. */
    public static final double FALLBACK = 0.0;

    private final String name;

    protected PerSampleGrader(String name) {
        this.name = name;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final double[] score(GradingBatch batch, Outcomes out) {
        double[] scores = new double[batch.size()];
        for (int i = 0; i < scores.length; i++) {
            double v;
            try {
                v = out.finite(i, name, scoreOne(batch.sample(i)), FALLBACK);
            } catch (GradingException e) {
                out.error(i, e.kind(), name + ": " + e.getMessage());
                v = FALLBACK;
            } catch (RuntimeException | StackOverflowError e) {
                // A library edge case on one sample (or very deep output JSON) costs that sample only.
                out.error(i, RewardError.EXCEPTION, name + ": " + e.getClass().getSimpleName() + ": " + e.getMessage());
                v = FALLBACK;
            }
            scores[i] = v;
            out.sub(i, name, v);
        }
        return scores;
    }

    /** The score of one sample. */
    protected abstract double scoreOne(Sample sample) throws GradingException;
}
