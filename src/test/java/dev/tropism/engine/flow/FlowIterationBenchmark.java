package dev.tropism.engine.flow;

import ai.djl.ndarray.NDManager;
import dev.tropism.bench.BenchmarkDocs;
import dev.tropism.engine.MetricNames;
import dev.tropism.engine.RewardFunction;
import dev.tropism.engine.RewardResult;
import dev.tropism.engine.flowrl.FlowAlignSpec;
import dev.tropism.engine.flowrl.FlowMethodType;
import dev.tropism.engine.flowrl.FlowRlConfig;
import dev.tropism.engine.flowrl.FlowRlRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Speed and memory of one flow alignment iteration (G = 8, T = 10, 4 prompts): the split into rollout, reward,
 * completion and update; resident memory across 40 iterations; and the same iteration at 28×28, which is why the
 * recipe uses 14×14. Run: {@code ./mvnw -Pbench test -Dtest=FlowIterationBenchmark}.
 */
@Tag("bench")
class FlowIterationBenchmark {

    private static final String[] PARTS = {MetricNames.PERF_ROLLOUT_SECONDS, MetricNames.PERF_REWARD_SECONDS,
        MetricNames.PERF_COMPLETION_SECONDS, MetricNames.PERF_UPDATE_SECONDS, MetricNames.PERF_STEP_SECONDS};

    static FlowRlConfig config(int steps) {
        return new FlowRlConfig(steps, 4, 8, 10, 0.7, 1.0, 0, 3e-4, 0, 0.0, 1.0, 0.0, 1e-4, 5.0, 1, 0, 8, 0.5);
    }

    static RewardFunction brightness() {
        return batch -> {
            List<RewardResult> out = new ArrayList<>();
            for (float[] image : batch.images().pixels()) {
                double s = 0;
                for (float v : image) {
                    s += v;
                }
                out.add(RewardResult.of(s / image.length));
            }
            return out;
        };
    }

    /** Mean of each part over iterations {@code from}…end, plus RSS (MiB) after iterations {@code from} and the last. */
    static Map<String, Double> measure(Path model, FlowMethodType method, RewardFunction reward, int iterations,
            int from) throws IOException {
        List<Map<String, Object>> prompts = new ArrayList<>();
        for (String c : FashionMnist.CLASSES) {
            prompts.add(Map.of("prompt", c));
        }
        Map<String, Double> sums = new LinkedHashMap<>();
        double rssFrom = Double.NaN;
        try (FlowRlRun run = new FlowRlRun(new FlowAlignSpec(model, method, config(iterations), null, prompts, List.of(),
                reward, null, 3), null)) {
            while (run.step() < iterations) {
                Map<String, Double> m = run.trainStep();
                if (run.step() > from) {
                    for (String part : PARTS) {
                        sums.merge(part, m.getOrDefault(part, 0.0), Double::sum);
                    }
                }
                if (run.step() == from) {
                    rssFrom = rssMiB();
                }
            }
        }
        Map<String, Double> out = new LinkedHashMap<>();
        sums.forEach((k, v) -> out.put(k, v / (iterations - from)));
        out.put("rss_from", rssFrom);
        out.put("rss_end", rssMiB());
        return out;
    }

    static double rssMiB() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Double.parseDouble(line.replaceAll("[^0-9]", "")) / 1024.0;
            }
        }
        return Double.NaN;
    }

    @Test
    void iteration() throws IOException {
        Path base = FlowScienceBenchmark.base();
        RewardFunction reward;
        StringBuilder table = new StringBuilder("| run | rollout s | reward s | completion s | update s | iteration s |"
                + " RSS MiB (iter 5 → last) |\n|---|---|---|---|---|---|---|\n");
        try (NDManager m = NDManager.newBaseManager();
                ImageClassifier classifier = ImageClassifier.load(base.resolve(FlowModel.REWARD_CLASSIFIER_DIR), m)) {
            reward = FlowScienceBenchmark.classProbability(classifier);
            Map<String, Double> grpo = measure(base, FlowMethodType.FLOW_GRPO, reward, 40, 5);
            table.append(line("flow_grpo, 14×14, classifier reward, 40 iterations", grpo));
            Map<String, Double> dense = measure(base, FlowMethodType.DENSE_GRPO, reward, 8, 3);
            table.append(line("dense_grpo (T−1 = 9 completions per sample), 14×14", dense));
            Map<String, Double> tempflow = measure(base, FlowMethodType.TEMPFLOW_GRPO, reward, 8, 3);
            table.append(line("tempflow_grpo (3 branching steps), 14×14", tempflow));
        }
        // 28×28: an untrained net of the same design (3 levels), timing only.
        Path dir = Files.createTempDirectory("tiny-flow-28");
        try (NDManager m = NDManager.newBaseManager()) {
            FlowNet net = FlowNet.initialize(new FlowNetConfig(28, 32, 3, 10, 64, 8), 1, m);
            FlowModel.save(dir, net, FashionMnist.CLASSES, 10, 1.0);
        }
        Map<String, Double> big = measure(dir, FlowMethodType.FLOW_GRPO, brightness(), 8, 3);
        table.append(line("flow_grpo, 28×28 (untrained, brightness reward)", big));
        table.append("\nG = 8, T = 10, 4 prompts (B = 32), no CFG, μ = 1; means over the iterations after warm-up."
                + " Rollouts, completions and rewards are batched over the whole group and all prompts. The 28×28 row is"
                + " why the recipe works at 14×14.\n");
        BenchmarkDocs.writeSection("flow-iteration", "./mvnw -Pbench test -Dtest=FlowIterationBenchmark", table.toString());
    }

    private static String line(String name, Map<String, Double> m) {
        return "| " + name + " | " + FlowScienceBenchmark.fmt(m.get(MetricNames.PERF_ROLLOUT_SECONDS)) + " | "
                + FlowScienceBenchmark.fmt(m.get(MetricNames.PERF_REWARD_SECONDS)) + " | "
                + FlowScienceBenchmark.fmt(m.get(MetricNames.PERF_COMPLETION_SECONDS)) + " | "
                + FlowScienceBenchmark.fmt(m.get(MetricNames.PERF_UPDATE_SECONDS)) + " | "
                + FlowScienceBenchmark.fmt(m.get(MetricNames.PERF_STEP_SECONDS)) + " | "
                + String.format(java.util.Locale.ROOT, "%.0f → %.0f", m.get("rss_from"), m.get("rss_end")) + " |\n";
    }
}
