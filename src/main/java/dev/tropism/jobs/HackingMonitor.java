package dev.tropism.jobs;

import dev.tropism.engine.MetricNames;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Watches a job's metrics for signs of reward hacking, after the over-optimization picture of Gao et
 * al. 2023 ("Scaling Laws for Reward Model Overoptimization"): the proxy reward that is optimized
 * keeps rising while a gold reward that is never optimized falls. Two rules, checked after every
 * step over the last {@code window} steps:
 *
 * <ul>
 *   <li>{@code proxy_up_gold_down}: the change of {@code train/reward/mean} over the window is at least
 *       {@code min_train_rise} while the change of {@code eval/gold/mean} is at most
 *       {@code −min_gold_drop}. A change is the least-squares slope of the points in the window times
 *       the steps they span, so single noisy points move it little. It needs at least half a window
 *       of train points and two gold evaluations.
 *   <li>{@code kl_bound}: the mean {@code train/kl} of the last five steps exceeds {@code kl_bound}
 *       (when it is positive): the policy has drifted further from the reference than allowed.
 * </ul>
 *
 * After an alarm the monitor stays quiet for a full window, so one episode raises one alarm. Not
 * thread-safe: one training loop feeds it.
 */
final class HackingMonitor {

    /** Alarm type, as the job event's {@code type}. */
    static final String EVENT = "reward_hacking_suspected";
    private static final int KL_STEPS = 5;

    /** A suspicion with its evidence (stored as the event's data). */
    record Alarm(String rule, String message, Map<String, Object> evidence) {
    }

    private final HackingMonitorConfig cfg;
    private final NavigableMap<Integer, Double> train = new TreeMap<>();
    private final NavigableMap<Integer, Double> gold = new TreeMap<>();
    private final NavigableMap<Integer, Double> kl = new TreeMap<>();
    private int quietThrough;

    /** @param quietThrough no alarm is raised at or before this step (the step of the last alarm + window) */
    HackingMonitor(HackingMonitorConfig cfg, int quietThrough) {
        this.cfg = cfg;
        this.quietThrough = quietThrough;
    }

    /** Feeds earlier metrics (a resumed job's history) without raising alarms. */
    void replay(Map<String, List<JobMetrics.Point>> series) {
        load(series.get(MetricNames.TRAIN_REWARD_MEAN), train);
        load(series.get(MetricNames.EVAL_GOLD_MEAN), gold);
        load(series.get(MetricNames.TRAIN_KL), kl);
    }

    private static void load(List<JobMetrics.Point> points, Map<Integer, Double> into) {
        if (points != null) {
            points.forEach(p -> into.put(p.step(), p.value()));
        }
    }

    /** Adds the metrics recorded at {@code step} (training and/or evaluation) and checks the rules. */
    Optional<Alarm> observe(int step, Map<String, Double> metrics) {
        put(metrics, MetricNames.TRAIN_REWARD_MEAN, step, train);
        put(metrics, MetricNames.EVAL_GOLD_MEAN, step, gold);
        put(metrics, MetricNames.TRAIN_KL, step, kl);
        int from = step - cfg.window() + 1;
        train.headMap(from - cfg.window(), false).clear(); // keep two windows: enough for any check
        gold.headMap(from - cfg.window(), false).clear();
        kl.headMap(from - cfg.window(), false).clear();
        if (step <= quietThrough) {
            return Optional.empty();
        }
        Optional<Alarm> alarm = klRule(step).or(() -> goldRule(from, step));
        alarm.ifPresent(a -> quietThrough = step + cfg.window());
        return alarm;
    }

    private static void put(Map<String, Double> metrics, String name, int step, Map<Integer, Double> into) {
        Double v = metrics.get(name);
        if (v != null && Double.isFinite(v)) {
            into.put(step, v);
        }
    }

    private Optional<Alarm> klRule(int step) {
        if (cfg.klBound() <= 0) {
            return Optional.empty();
        }
        NavigableMap<Integer, Double> recent = kl.subMap(step - KL_STEPS + 1, true, step, true);
        if (recent.isEmpty()) {
            return Optional.empty();
        }
        double mean = recent.values().stream().mapToDouble(Double::doubleValue).average().orElse(0);
        if (mean <= cfg.klBound()) {
            return Optional.empty();
        }
        Map<String, Object> evidence = new LinkedHashMap<>();
        evidence.put("rule", "kl_bound");
        evidence.put("step", step);
        evidence.put("kl_mean", mean);
        evidence.put("kl_bound", cfg.klBound());
        evidence.put("kl_points", points(recent));
        evidence.put("action", action());
        return Optional.of(new Alarm("kl_bound", String.format(java.util.Locale.ROOT,
                "Reward hacking suspected at step %d: mean KL of the last %d steps is %.4g, above the bound %.4g.",
                step, recent.size(), mean, cfg.klBound()), evidence));
    }

    private Optional<Alarm> goldRule(int from, int step) {
        NavigableMap<Integer, Double> t = train.subMap(from, true, step, true);
        NavigableMap<Integer, Double> g = gold.subMap(from, true, step, true);
        if (t.size() < Math.max(2, cfg.window() / 2) || g.size() < 2) {
            return Optional.empty();
        }
        double trainChange = change(t);
        double goldChange = change(g);
        if (trainChange < cfg.minTrainRise() || goldChange > -cfg.minGoldDrop()) {
            return Optional.empty();
        }
        Map<String, Object> evidence = new LinkedHashMap<>();
        evidence.put("rule", "proxy_up_gold_down");
        evidence.put("step", step);
        evidence.put("window", List.of(from, step));
        evidence.put("train_reward_change", trainChange);
        evidence.put("gold_reward_change", goldChange);
        evidence.put("min_train_rise", cfg.minTrainRise());
        evidence.put("min_gold_drop", cfg.minGoldDrop());
        evidence.put("gold_points", points(g));
        evidence.put("train_reward_first", t.firstEntry().getValue());
        evidence.put("train_reward_last", t.lastEntry().getValue());
        evidence.put("action", action());
        return Optional.of(new Alarm("proxy_up_gold_down", String.format(java.util.Locale.ROOT,
                "Reward hacking suspected at step %d: over steps %d–%d the training reward rose by %.4g while the gold "
                        + "reward fell by %.4g.", step, Math.max(0, from), step, trainChange, -goldChange), evidence));
    }

    private String action() {
        return cfg.onHacking().name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Least-squares slope of value against step, times the steps the points span. */
    static double change(NavigableMap<Integer, Double> points) {
        int n = points.size();
        double mx = 0;
        double my = 0;
        for (Map.Entry<Integer, Double> e : points.entrySet()) {
            mx += e.getKey() / (double) n;
            my += e.getValue() / n;
        }
        double sxy = 0;
        double sxx = 0;
        for (Map.Entry<Integer, Double> e : points.entrySet()) {
            double dx = e.getKey() - mx;
            sxy += dx * (e.getValue() - my);
            sxx += dx * dx;
        }
        return sxx == 0 ? 0 : sxy / sxx * (points.lastKey() - points.firstKey());
    }

    private static List<List<Number>> points(NavigableMap<Integer, Double> series) {
        return series.entrySet().stream().map(e -> List.<Number>of(e.getKey(), e.getValue())).toList();
    }
}
