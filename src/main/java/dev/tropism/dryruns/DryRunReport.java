package dev.tropism.dryruns;

import dev.tropism.engine.RewardError;
import dev.tropism.engine.lm.LmDryRun;
import dev.tropism.engine.rl.GroupAdvantages;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;
import org.apache.commons.statistics.descriptive.DoubleStatistics;
import org.apache.commons.statistics.descriptive.Statistic;

/**
 * What a dry-run found, computed from its scored samples (pure: no I/O, no Spring). Self-describing so
 * that a UI can draw it as is: every distribution carries its histogram's bin edges and counts.
 *
 * @param prompts prompts sampled
 * @param samplesPerPrompt G, samples per prompt (one GRPO group)
 * @param samples prompts × G
 * @param reward the distribution of the total reward (what GRPO optimizes)
 * @param components the distribution of each named sub-reward (one per grader), by grader name; each
 *     over the samples that reported it
 * @param zeroVarianceGroups groups whose G total rewards are all equal: their GRPO advantages are all 0,
 *     so they give no learning signal (TRL's {@code frac_reward_zero_std}; DAPO's dynamic sampling,
 *     Yu et al. 2025, Sec. 3.2, filters them out)
 * @param zeroVarianceGroupFraction zeroVarianceGroups ÷ prompts, as {@code train/frac_reward_zero_std}
 * @param errorsByKind per-sample reward errors by kind (a sample may have several)
 * @param errorExamples the first message of each error kind
 * @param samplesWithErrors samples with at least one error
 * @param completions length statistics of the sampled completions
 * @param examples samples at the low, median and high end of the total reward
 * @param timings where the time went
 * @param warnings what the user should know before training on this reward: {@code no_learning_signal} when at least
 *     {@value #NO_SIGNAL_FRACTION} of the groups have zero reward variance (the training job warns the same way)
 */
public record DryRunReport(int prompts, int samplesPerPrompt, int samples, Distribution reward,
        Map<String, Distribution> components, int zeroVarianceGroups, double zeroVarianceGroupFraction,
        Map<String, Integer> errorsByKind, Map<String, String> errorExamples, int samplesWithErrors,
        Completions completions, Examples examples, Timings timings, List<Warning> warnings) {

    /** The zero-variance group fraction at or above which the reward gives (almost) no learning signal. */
    public static final double NO_SIGNAL_FRACTION = 0.9;

    /** Something to fix before training, with the cures. */
    public record Warning(String code, String message, List<String> cures) {
    }

    /** Equal-width bins of each histogram (as TensorBoard's default of 30 or numpy's 10, a middle road). */
    public static final int BINS = 20;
    /** Samples shown at each end of the reward range and around its median. */
    public static final int EXAMPLES_PER_END = 3;

    /**
     * Summary statistics and histogram of one reward.
     *
     * @param std sample standard deviation (n − 1, Bessel's correction, as {@code train/reward/std}); 0
     *     for a single value
     */
    public record Distribution(int count, double mean, double std, double min, double max, Histogram histogram) {
    }

    /**
     * {@code counts[i]} values fall in {@code [binEdges[i], binEdges[i+1])}; the last bin also holds
     * {@code max}. {@code BINS} equal-width bins from min to max; one bin {@code [v, v]} when every value is
     * {@code v}.
     */
    public record Histogram(double[] binEdges, int[] counts) {
    }

    /** @param meanTokens mean generated tokens per sample (EOS included); @param truncatedFraction samples cut at max_new_tokens */
    public record Completions(double meanTokens, double truncatedFraction) {
    }

    /** Samples by total reward, each list ordered from low to high reward. */
    public record Examples(List<Example> low, List<Example> median, List<Example> high) {
    }

    /** One sample as a grader saw it. */
    public record Example(Map<String, Object> item, String output, double reward, Map<String, Double> subRewards,
            List<RewardError> errors) {
    }

    /** @param samplesPerSecond samples ÷ total seconds (model loading included) */
    public record Timings(double samplingSeconds, double scoringSeconds, double totalSeconds, double samplesPerSecond) {
    }

    /** The report of a finished dry-run. */
    public static DryRunReport of(LmDryRun.Result run) {
        List<LmDryRun.Scored> s = run.samples();
        int n = s.size();
        int g = run.samplesPerPrompt();
        if (n == 0 || n % g != 0) {
            throw new IllegalArgumentException(n + " samples do not form groups of " + g);
        }
        double[] total = new double[n];
        Map<String, double[]> byName = new TreeMap<>();
        Map<String, int[]> filled = new TreeMap<>();
        Map<String, Integer> errorsByKind = new TreeMap<>();
        Map<String, String> errorExamples = new TreeMap<>();
        int withErrors = 0;
        double tokens = 0;
        int truncated = 0;
        for (int i = 0; i < n; i++) {
            LmDryRun.Scored x = s.get(i);
            total[i] = x.result().reward();
            for (Map.Entry<String, Double> e : x.result().subRewards().entrySet()) {
                double[] values = byName.computeIfAbsent(e.getKey(), k -> new double[n]);
                int[] count = filled.computeIfAbsent(e.getKey(), k -> new int[1]);
                values[count[0]++] = e.getValue();
            }
            for (RewardError e : x.result().errors()) {
                errorsByKind.merge(e.kind(), 1, Integer::sum);
                errorExamples.putIfAbsent(e.kind(), e.message());
            }
            withErrors += x.result().errors().isEmpty() ? 0 : 1;
            tokens += x.tokens();
            truncated += x.truncated() ? 1 : 0;
        }
        Map<String, Distribution> components = new TreeMap<>();
        byName.forEach((name, values) -> components.put(name, distribution(Arrays.copyOf(values, filled.get(name)[0]))));
        int prompts = n / g;
        double zeroFraction = GroupAdvantages.fracZeroStd(total, g);
        double seconds = run.totalSeconds();
        List<Warning> warnings = new ArrayList<>();
        if (zeroFraction >= NO_SIGNAL_FRACTION) {
            warnings.add(new Warning("no_learning_signal", String.format("%.0f%% of the prompt groups have samples"
                    + " that all score the same: their GRPO advantages are 0, so training on this reward would teach"
                    + " the model (almost) nothing.", 100 * zeroFraction), List.of(
                    "fine-tune the base model on correct answers first (supervised fine-tuning)",
                    "use a denser or shaped reward (partial credit) instead of pass/fail",
                    "use easier prompts, or mix easier ones in",
                    "sample more completions per prompt (num_generations)")));
        }
        return new DryRunReport(prompts, g, n, distribution(total), components,
                (int) Math.round(zeroFraction * prompts), zeroFraction, errorsByKind, errorExamples, withErrors,
                new Completions(tokens / n, (double) truncated / n), examples(s, total),
                new Timings(run.samplingSeconds(), run.scoringSeconds(), seconds, seconds > 0 ? n / seconds : 0),
                List.copyOf(warnings));
    }

    /** Count, mean, sample std, min, max and a {@link #BINS}-bin histogram of non-empty {@code values}. */
    static Distribution distribution(double[] values) {
        DoubleStatistics stats = DoubleStatistics.of(
                EnumSet.of(Statistic.MIN, Statistic.MAX, Statistic.MEAN, Statistic.STANDARD_DEVIATION), values);
        double min = stats.getAsDouble(Statistic.MIN);
        double max = stats.getAsDouble(Statistic.MAX);
        return new Distribution(values.length, stats.getAsDouble(Statistic.MEAN),
                stats.getAsDouble(Statistic.STANDARD_DEVIATION), min, max, histogram(values, min, max, BINS));
    }

    /** Equal-width histogram of {@code values} over [min, max]; one bin when min == max. */
    static Histogram histogram(double[] values, double min, double max, int bins) {
        if (min == max) {
            return new Histogram(new double[] {min, max}, new int[] {values.length});
        }
        double width = (max - min) / bins;
        double[] edges = new double[bins + 1];
        for (int i = 0; i < bins; i++) {
            edges[i] = min + i * width;
        }
        edges[bins] = max; // exactly, not min + bins·width rounded
        int[] counts = new int[bins];
        for (double v : values) {
            int b = (int) Math.min(bins - 1, Math.floor((v - min) / width));
            // The division can round across an edge: settle on the bin the published edges say.
            while (b < bins - 1 && v >= edges[b + 1]) {
                b++;
            }
            while (b > 0 && v < edges[b]) {
                b--;
            }
            counts[b]++;
        }
        return new Histogram(edges, counts);
    }

    /**
     * The {@link #EXAMPLES_PER_END} samples with the lowest total reward, those around the median and
     * those with the highest; ties keep sampling order. With fewer than 3 × EXAMPLES_PER_END samples the
     * lists overlap.
     */
    static Examples examples(List<LmDryRun.Scored> s, double[] total) {
        int n = total.length;
        int k = Math.min(EXAMPLES_PER_END, n);
        Integer[] order = IntStream.range(0, n).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble(i -> total[i])); // stable: ties keep sampling order
        int medianFrom = Math.max(0, Math.min(n - k, (n - 1) / 2 - (k - 1) / 2)); // centred on the lower median
        return new Examples(pick(s, order, 0, k), pick(s, order, medianFrom, medianFrom + k), pick(s, order, n - k, n));
    }

    private static List<Example> pick(List<LmDryRun.Scored> s, Integer[] order, int from, int to) {
        List<Example> out = new ArrayList<>(to - from);
        for (int j = from; j < to; j++) {
            LmDryRun.Scored x = s.get(order[j]);
            out.add(new Example(x.item(), x.output(), x.result().reward(), new TreeMap<>(x.result().subRewards()),
                    x.result().errors()));
        }
        return out;
    }
}
