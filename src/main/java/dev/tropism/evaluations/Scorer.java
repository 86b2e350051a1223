package dev.tropism.evaluations;

import dev.tropism.engine.RewardBatch;
import dev.tropism.engine.RewardError;
import dev.tropism.engine.RewardFunction;
import dev.tropism.engine.RewardResult;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Scores samples one at a time with a candidate or baseline reward (a compiled reward spec, or a reward model), and
 * keeps what the evaluation reports besides the scores: each sample's latency and the kinds of errors. One sample per
 * call, so that a latency is a sample's own and not a share of a batch. The first {@value #WARM_UP} calls are made
 * once untimed before any is timed: a reward model loads its weights on its first call, and the JIT compiles a
 * grader over its first calls; a gate measures the steady state a training job sees.
 */
final class Scorer {

    /** Scores r(item, output) for one sample; never throws for a bad sample (errors come back in the result). */
    @FunctionalInterface
    interface One {
        RewardResult score(Map<String, Object> item, String output);
    }

    /** Everything one scorer measured, in the order samples were scored. */
    static final class Tally {
        private final Map<String, Integer> errors = new TreeMap<>();
        private double[] latencyMs = new double[64];
        private int n;

        void add(double ms, List<RewardError> sampleErrors) {
            if (n == latencyMs.length) {
                latencyMs = java.util.Arrays.copyOf(latencyMs, n * 2);
            }
            latencyMs[n++] = ms;
            for (RewardError e : sampleErrors) {
                errors.merge(e.kind(), 1, Integer::sum);
            }
        }

        double[] latencyMs() {
            return java.util.Arrays.copyOf(latencyMs, n);
        }

        Map<String, Integer> errors() {
            return errors;
        }
    }

    /** Untimed calls before the first timed one. */
    static final int WARM_UP = 8;

    private final One one;
    private final Tally tally = new Tally();
    private boolean warm;

    Scorer(One one) {
        this.one = one;
    }

    /** A compiled reward spec: each sample is its own ungrouped batch. */
    static Scorer ofSpec(RewardFunction reward) {
        return new Scorer((item, output) -> RewardFunction.scoreSafely(reward,
                RewardBatch.ungrouped(List.of(item), List.of(output))).get(0));
    }

    /** A reward model's r(prompt ⊕ completion); a failure to score is an {@code exception} error scored 0. */
    static Scorer ofModel(java.util.function.BiFunction<String, String, Double> model) {
        return new Scorer((item, output) -> {
            try {
                double r = model.apply(String.valueOf(item.get("prompt")), output);
                return Double.isFinite(r) ? RewardResult.of(r)
                        : RewardResult.error(RewardError.NON_FINITE, "reward model returned " + r);
            } catch (RuntimeException e) {
                return RewardResult.error(RewardError.EXCEPTION, e.toString());
            }
        });
    }

    /**
     * Scores each sample; checks the thread's interrupt flag between samples.
     *
     * @param progress called after each sample with the number scored so far
     */
    double[] score(List<Map<String, Object>> items, List<String> outputs, java.util.function.IntConsumer progress)
            throws InterruptedException {
        double[] out = new double[outputs.size()];
        if (!warm) {
            for (int i = 0; i < Math.min(WARM_UP, out.length); i++) {
                one.score(items.get(i), outputs.get(i));
            }
            warm = true;
        }
        for (int i = 0; i < out.length; i++) {
            if (Thread.interrupted()) {
                throw new InterruptedException("evaluation interrupted while scoring");
            }
            long t0 = System.nanoTime();
            RewardResult r = one.score(items.get(i), outputs.get(i));
            tally.add((System.nanoTime() - t0) / 1e6, r.errors());
            out[i] = r.reward();
            progress.accept(i + 1);
        }
        return out;
    }

    Tally tally() {
        return tally;
    }
}
