package dev.tropism.jobs;

import dev.tropism.engine.ConfigException;

/**
 * Settings of a job's reward-hacking monitor ({@code reward_options.hacking_monitor}), bound from
 * snake_case JSON like the methods' hyperparameters.
 *
 * @param window steps looked back over; default 20. The proxy-vs-gold rule needs at least two gold
 *     evaluations in it, so it must be at least twice the method's {@code eval_interval}.
 * @param minTrainRise least rise of {@code train/reward/mean} over the window (least-squares slope ×
 *     the steps it spans) that counts as "rising"; default 0.05
 * @param minGoldDrop least fall of {@code eval/gold/mean} over the window that counts as "falling";
 *     default 0.05. It must exceed the noise of the gold evaluation: an accuracy p measured on n eval
 *     items has a standard error of sqrt(p(1 − p)/n), 0.035 at p = 0.6 and n = 200, and a healthy run
 *     measured that way raised a false alarm at 0.02 (docs/benchmarks.md, reward hacking)
 * @param klBound upper bound on the mean {@code train/kl} over the last five steps; default 0 = no KL
 *     rule
 * @param onHacking what an alarm does besides the {@code reward_hacking_suspected} event: {@code warn}
 *     (default) or {@code pause} (checkpoint, then pause the job)
 */
public record HackingMonitorConfig(int window, double minTrainRise, double minGoldDrop, double klBound, Action onHacking) {

    /** What an alarm does. */
    public enum Action {
        WARN, PAUSE
    }

    public static final HackingMonitorConfig DEFAULT = new HackingMonitorConfig(20, 0.05, 0.05, 0.0, Action.WARN);

    public HackingMonitorConfig {
        if (window < 4 || window > 100_000) {
            throw new ConfigException("window", "must be from 4 to 100000 steps, got " + window);
        }
        if (!Double.isFinite(minTrainRise) || minTrainRise < 0) {
            throw new ConfigException("min_train_rise", "must be a finite number ≥ 0, got " + minTrainRise);
        }
        if (!Double.isFinite(minGoldDrop) || minGoldDrop < 0) {
            throw new ConfigException("min_gold_drop", "must be a finite number ≥ 0, got " + minGoldDrop);
        }
        if (!Double.isFinite(klBound) || klBound < 0) {
            throw new ConfigException("kl_bound", "must be a finite number ≥ 0 (0 turns the KL rule off), got " + klBound);
        }
        if (onHacking == null) {
            throw new ConfigException("on_hacking", "must be warn or pause");
        }
    }
}
