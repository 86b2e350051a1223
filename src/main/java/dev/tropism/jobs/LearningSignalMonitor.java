package dev.tropism.jobs;

import dev.tropism.engine.MetricNames;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Tells the user when the reward gives GRPO-style methods nothing to learn from. A group whose samples all score the
 * same has advantages of 0 and no gradient (TRL's {@code frac_reward_zero_std}; DAPO, Yu et al. 2025, Sec. 3.2); when
 * {@code train/frac_reward_zero_std} stays at or above {@code threshold} for {@code window} consecutive steps, the job
 * gets a {@value #EVENT} warning with the fractions measured and the usual cures. It warns once per episode: the
 * fraction must drop below the threshold before it can warn again.
 *
 * <p>Measured on a user's own task: a default {@code tiny-gpt} solved 0% of its problems, nearly every group had zero
 * reward variance, and 150 GRPO steps moved held-out accuracy from 0.0% to 3.6% with nothing saying why.
 */
final class LearningSignalMonitor {

    static final String EVENT = "no_learning_signal";
    static final List<String> CURES = List.of(
            "fine-tune the base model on correct answers first (supervised fine-tuning), so that some samples succeed",
            "use a denser or shaped reward (partial credit, a likelihood or shaped grader) instead of pass/fail",
            "use easier prompts, or mix easier ones in, so that groups contain both successes and failures",
            "sample more completions per prompt (num_generations), so that a rare success shows up in a group");

    private final double threshold;
    private final int window;
    /** (step, fraction) of the last {@code window} steps. */
    private final ArrayDeque<double[]> recent = new ArrayDeque<>();
    private boolean warned;

    /**
     * @param threshold the fraction of zero-variance groups at or above which a step gives (almost) no signal
     * @param window how many consecutive such steps before the warning
     */
    LearningSignalMonitor(double threshold, int window) {
        this.threshold = threshold;
        this.window = window;
    }

    /** Feeds one step's metrics; the warning's evidence when it fires at this step. */
    Optional<Map<String, Object>> observe(int step, Map<String, Double> metrics) {
        Double fraction = metrics.get(MetricNames.TRAIN_FRAC_REWARD_ZERO_STD);
        if (fraction == null || fraction.isNaN()) {
            return Optional.empty();
        }
        recent.addLast(new double[] {step, fraction});
        while (recent.size() > window) {
            recent.removeFirst();
        }
        if (fraction < threshold) {
            warned = false;
            return Optional.empty();
        }
        if (warned || recent.size() < window || recent.stream().anyMatch(p -> p[1] < threshold)) {
            return Optional.empty();
        }
        warned = true;
        List<Double> fractions = new ArrayList<>();
        double sum = 0;
        for (double[] p : recent) {
            fractions.add(p[1]);
            sum += p[1];
        }
        Map<String, Object> evidence = new LinkedHashMap<>();
        evidence.put("step", step);
        evidence.put("metric", MetricNames.TRAIN_FRAC_REWARD_ZERO_STD);
        evidence.put("threshold", threshold);
        evidence.put("window", window);
        evidence.put("from_step", (int) recent.peekFirst()[0]);
        evidence.put("fractions", fractions);
        evidence.put("mean_fraction", sum / fractions.size());
        evidence.put("cures", CURES);
        return Optional.of(evidence);
    }

    /** The warning's text for {@code evidence}. */
    static String message(Map<String, Object> evidence) {
        return String.format("No learning signal: in the last %d steps, %.0f%% of the prompt groups on average had"
                        + " samples that all scored the same, so their advantages are 0 and they teach the model"
                        + " nothing. Cures: %s.", (int) evidence.get("window"),
                100 * (double) evidence.get("mean_fraction"), String.join("; ", CURES));
    }
}
