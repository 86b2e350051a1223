package dev.tropism.engine.flow;

import ai.djl.ndarray.NDManager;
import dev.tropism.bench.BenchmarkDocs;
import dev.tropism.bench.LinePlot;
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
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The flow family's science check: does each method do what its paper claims, at this scale, with the same
 * budget for every method and 3 seeds each? Writes tables into docs/benchmarks.md and plots into docs/img.
 *
 * <p>Run: {@code ./mvnw -Pbench test -Dtest=FlowScienceBenchmark} (all parts, about an hour on 2 idle cores) or
 * one part with {@code -Dtest='FlowScienceBenchmark#task1'}. {@code -Dflow.bench.steps}, {@code .seeds},
 * {@code .methods} (comma-separated types), {@code .lr} and {@code .beta} change the budget for quick looks. The base model is the {@code tiny-flow} recipe at
 * its defaults (seed 1), pretrained once into {@code target/bench/tiny-flow} and reused.
 *
 * <p>Rewards are computed with the recipe's classifiers directly ({@link ImageClassifier}), the same math as
 * the {@code classifier} and {@code image_stat} graders, so the benchmark does not need the service.
 */
@Tag("bench")
class FlowScienceBenchmark {

    static final Path BASE = Path.of("target", "bench", "tiny-flow");
    static final int SEEDS = Integer.getInteger("flow.bench.seeds", 3);
    static final int STEPS = Integer.getInteger("flow.bench.steps", 40);
    static final int EVAL_EVERY = 5;

    /** The base model: pretrained at the recipe defaults once, reused afterwards. */
    static synchronized Path base() throws IOException {
        if (!Files.exists(BASE.resolve("model.json"))) {
            long t0 = System.nanoTime();
            Map<String, Double> last = new LinkedHashMap<>();
            Map<String, Double> classifiers = new LinkedHashMap<>();
            try (FlowPretrainRun run = new FlowPretrainRun(new FlowPretrainSpec(FlowNetConfig.DEFAULT,
                    FlowPretrainConfig.DEFAULT, 1), null)) {
                classifiers.putAll(run.trainStep());
                while (run.step() < run.totalSteps()) {
                    run.trainStep();
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                last.putAll(run.evaluate());
                run.exportModel(BASE);
                Files.write(Path.of("docs", "img", "flow-base-samples.png"), run.evalSamplesPng().orElseThrow());
                String table = "| measure | value |\n|---|---|\n"
                        + row("parameters", String.valueOf(run.net().parameterCount()))
                        + row("wall time (classifiers + " + run.totalSteps() + " generator steps)", fmt(seconds / 60) + " min")
                        + row("reward classifier (cnn) held-out accuracy", fmt(classifiers.get(MetricNames.classifierAccuracy("reward"))))
                        + row("gold classifier (mlp) held-out accuracy", fmt(classifiers.get(MetricNames.classifierAccuracy("gold"))))
                        + row("gold-classifier accuracy of 80 fixed-seed samples (CFG 2, 10 steps)", fmt(last.get(MetricNames.EVAL_ACCURACY)))
                        + row("reward-classifier accuracy of those samples", fmt(last.get(MetricNames.EVAL_REWARD_PREFIX + "/accuracy")))
                        + row("held-out flow-matching loss", fmt(last.get(MetricNames.EVAL_LOSS)))
                        + "\nSamples (rows: t-shirt, trouser, pullover, dress, coat, sandal, shirt, sneaker, bag, ankle boot): "
                        + "![tiny-flow samples](img/flow-base-samples.png)\n";
                BenchmarkDocs.writeSection("flow-recipe", "./mvnw -Pbench test -Dtest=FlowScienceBenchmark#recipe", table);
            }
        }
        return BASE;
    }

    @Test
    void recipe() throws IOException {
        base();
    }

    // ------------------------------------------------------------------ rewards

    /** P(prompt class) under a classifier: the {@code classifier} grader's math. */
    static RewardFunction classProbability(ImageClassifier classifier) {
        return batch -> {
            float[][] images = batch.images().pixels().toArray(new float[0][]);
            float[][] p = classifier.probabilities(images);
            List<RewardResult> out = new ArrayList<>();
            for (int i = 0; i < images.length; i++) {
                int label = classifier.classes().indexOf(String.valueOf(batch.items().get(i).get("prompt")));
                out.add(RewardResult.of(p[i][label]));
            }
            return out;
        };
    }

    /** Share of pixels brighter than 0.5: the {@code image_stat} grader's {@code ink_mass}. */
    static RewardFunction inkMass() {
        return batch -> {
            List<RewardResult> out = new ArrayList<>();
            for (float[] image : batch.images().pixels()) {
                int ink = 0;
                for (float v : image) {
                    ink += v > 0.5f ? 1 : 0;
                }
                out.add(RewardResult.of((double) ink / image.length));
            }
            return out;
        };
    }

    // ------------------------------------------------------------------ runs

    /** The curves of one run: eval metrics every {@link #EVAL_EVERY} steps, per-step train metrics. */
    record Curves(Map<Integer, Map<String, Double>> eval, Map<Integer, Map<String, Double>> train, double seconds) {
    }

    static Curves run(FlowMethodType method, FlowRlConfig cfg, Record extra, RewardFunction reward, RewardFunction gold,
            long seed) throws IOException {
        List<Map<String, Object>> prompts = new ArrayList<>();
        for (String c : FashionMnist.CLASSES) {
            prompts.add(Map.of("prompt", c));
        }
        FlowAlignSpec spec = new FlowAlignSpec(base(), method, cfg, extra, prompts, List.of(), reward, gold, seed);
        Map<Integer, Map<String, Double>> eval = new LinkedHashMap<>();
        Map<Integer, Map<String, Double>> train = new LinkedHashMap<>();
        long t0 = System.nanoTime();
        try (FlowRlRun run = new FlowRlRun(spec, null)) {
            eval.put(0, run.evaluate());
            while (run.step() < run.totalSteps()) {
                train.put(run.step() + 1, run.trainStep());
                if (run.step() % EVAL_EVERY == 0) {
                    eval.put(run.step(), run.evaluate());
                }
            }
        }
        return new Curves(eval, train, (System.nanoTime() - t0) / 1e9);
    }

    static FlowRlConfig config(double beta, double learningRate) {
        return new FlowRlConfig(STEPS, 4, 8, 10, 0.7, 1.0, 0, learningRate, 0, 0.0, 1.0, beta, 1e-4, 5.0, 1, 0, 8, 0.5);
    }

    // ------------------------------------------------------------------ task 1

    /** The proxy-reward gain whose first eval step is reported. */
    static final double GAIN = 0.03;
    static final double LEARNING_RATE = Double.parseDouble(System.getProperty("flow.bench.lr", "3e-4"));

    @Test
    void task1() throws IOException {
        Path base = base();
        FlowMethodType[] methods = java.util.Arrays.stream(System.getProperty("flow.bench.methods",
                "flow_grpo,dense_grpo,tempflow_grpo,tp_grpo,grpo_guard,flow_dpo").split(","))
                .map(name -> FlowMethodType.of(name).orElseThrow()).toArray(FlowMethodType[]::new);
        StringBuilder table = new StringBuilder("| method | proxy @0 | proxy @" + STEPS / 2 + " | proxy @" + STEPS
                + " | gold @" + STEPS + " | gold accuracy @" + STEPS + " | steps to proxy +" + GAIN + " | diversity @0 → @" + STEPS
                + " | s/step |\n|---|---|---|---|---|---|---|---|---|\n");
        LinePlot proxyPlot = new LinePlot("Task 1: proxy reward (reward classifier P(class)), mean of 3 seeds", "step",
                "eval proxy reward");
        LinePlot goldPlot = new LinePlot("Task 1: gold reward (gold classifier P(class)), mean of 3 seeds", "step",
                "eval gold reward");
        try (NDManager m = NDManager.newBaseManager();
                ImageClassifier rewardClassifier = ImageClassifier.load(base.resolve(FlowModel.REWARD_CLASSIFIER_DIR), m);
                ImageClassifier goldClassifier = ImageClassifier.load(base.resolve(FlowModel.GOLD_CLASSIFIER_DIR), m)) {
            for (FlowMethodType method : methods) {
                List<Curves> runs = new ArrayList<>();
                for (int seed = 1; seed <= SEEDS; seed++) {
                    runs.add(run(method, config(0.0, LEARNING_RATE), null, classProbability(rewardClassifier),
                            classProbability(goldClassifier), seed));
                    progress("task1 " + method.wireName() + " seed " + seed + ": " + summary(runs.get(runs.size() - 1)));
                }
                for (int step : runs.get(0).eval().keySet()) {
                    proxyPlot.point(method.wireName(), step, mean(runs, c -> c.eval().get(step).get(MetricNames.EVAL_REWARD_MEAN)));
                    goldPlot.point(method.wireName(), step, mean(runs, c -> c.eval().get(step).get(MetricNames.EVAL_GOLD_MEAN)));
                }
                table.append("| ").append(method.wireName())
                        .append(" | ").append(stat(runs, 0, MetricNames.EVAL_REWARD_MEAN))
                        .append(" | ").append(stat(runs, STEPS / 2, MetricNames.EVAL_REWARD_MEAN))
                        .append(" | ").append(stat(runs, STEPS, MetricNames.EVAL_REWARD_MEAN))
                        .append(" | ").append(stat(runs, STEPS, MetricNames.EVAL_GOLD_MEAN))
                        .append(" | ").append(stat(runs, STEPS, MetricNames.EVAL_GOLD_ACCURACY))
                        .append(" | ").append(stepsTo(runs, GAIN))
                        .append(" | ").append(stat(runs, 0, MetricNames.EVAL_DIVERSITY)).append(" → ")
                        .append(stat(runs, STEPS, MetricNames.EVAL_DIVERSITY))
                        .append(" | ").append(fmt(mean(runs, c -> c.seconds() / STEPS)))
                        .append(" |\n");
                System.out.println(table);
            }
        }
        proxyPlot.write(Path.of("docs", "img", "flow-task1-proxy.png"));
        goldPlot.write(Path.of("docs", "img", "flow-task1-gold.png"));
        table.append("\nMean ± std over ").append(SEEDS).append(" seeds; ").append(STEPS).append(" steps of 4 prompts × G = 8,"
                + " T = 10, a = 0.7, lr ").append(LEARNING_RATE).append(", β = 0, eval on 8 fixed-seed samples per class"
                + " (ODE). \"steps to +" + GAIN + "\": first eval step whose proxy reward is " + GAIN + " above the run's start (runs that"
                + " never got there count as ∞).\n\n![proxy](img/flow-task1-proxy.png) ![gold](img/flow-task1-gold.png)\n");
        BenchmarkDocs.writeSection("flow-task1", "./mvnw -Pbench test -Dtest='FlowScienceBenchmark#task1'", table.toString());
    }

    // ------------------------------------------------------------------ task 2

    static final double TASK2_BETA = Double.parseDouble(System.getProperty("flow.bench.beta", "10"));

    @Test
    void task2() throws IOException {
        Path base = base();
        record Variant(String name, FlowMethodType method, double beta) {
        }
        List<Variant> variants = List.of(new Variant("flow_grpo β=0", FlowMethodType.FLOW_GRPO, 0.0),
                new Variant("flow_grpo β=" + TASK2_BETA, FlowMethodType.FLOW_GRPO, TASK2_BETA),
                new Variant("grpo_guard β=0", FlowMethodType.GRPO_GUARD, 0.0));
        StringBuilder table = new StringBuilder("| run | ink mass @0 → @" + STEPS + " | gold accuracy @0 → @" + STEPS / 2
                + " → @" + STEPS + " | diversity @0 → @" + STEPS + " | KL @" + STEPS + " |\n|---|---|---|---|---|\n");
        LinePlot accuracy = new LinePlot("Task 2 (maximize ink mass): gold class accuracy, mean of 3 seeds", "step",
                "eval gold accuracy");
        LinePlot diversity = new LinePlot("Task 2: diversity (gold-classifier features), mean of 3 seeds", "step",
                "eval diversity");
        LinePlot ink = new LinePlot("Task 2: proxy reward (ink mass), mean of 3 seeds", "step", "eval ink mass");
        try (NDManager m = NDManager.newBaseManager();
                ImageClassifier goldClassifier = ImageClassifier.load(base.resolve(FlowModel.GOLD_CLASSIFIER_DIR), m)) {
            for (Variant v : variants) {
                List<Curves> runs = new ArrayList<>();
                for (int seed = 1; seed <= SEEDS; seed++) {
                    runs.add(run(v.method(), config(v.beta(), LEARNING_RATE), null, inkMass(),
                            classProbability(goldClassifier), seed));
                    progress("task2 " + v.name() + " seed " + seed + ": " + summary(runs.get(runs.size() - 1)));
                }
                for (int step : runs.get(0).eval().keySet()) {
                    accuracy.point(v.name(), step, mean(runs, c -> c.eval().get(step).get(MetricNames.EVAL_GOLD_ACCURACY)));
                    diversity.point(v.name(), step, mean(runs, c -> c.eval().get(step).get(MetricNames.EVAL_DIVERSITY)));
                    ink.point(v.name(), step, mean(runs, c -> c.eval().get(step).get(MetricNames.EVAL_REWARD_MEAN)));
                }
                table.append("| ").append(v.name())
                        .append(" | ").append(stat(runs, 0, MetricNames.EVAL_REWARD_MEAN)).append(" → ")
                        .append(stat(runs, STEPS, MetricNames.EVAL_REWARD_MEAN))
                        .append(" | ").append(stat(runs, 0, MetricNames.EVAL_GOLD_ACCURACY)).append(" → ")
                        .append(stat(runs, STEPS / 2, MetricNames.EVAL_GOLD_ACCURACY)).append(" → ")
                        .append(stat(runs, STEPS, MetricNames.EVAL_GOLD_ACCURACY))
                        .append(" | ").append(stat(runs, 0, MetricNames.EVAL_DIVERSITY)).append(" → ")
                        .append(stat(runs, STEPS, MetricNames.EVAL_DIVERSITY))
                        .append(" | ").append(fmt(mean(runs, c -> c.train().get(STEPS).get(MetricNames.TRAIN_KL))))
                        .append(" |\n");
                System.out.println(table);
            }
        }
        accuracy.write(Path.of("docs", "img", "flow-task2-gold-accuracy.png"));
        diversity.write(Path.of("docs", "img", "flow-task2-diversity.png"));
        ink.write(Path.of("docs", "img", "flow-task2-ink.png"));
        table.append("\nMean ± std over ").append(SEEDS).append(" seeds, ").append(STEPS).append(" steps, same settings as"
                + " task 1; the gold classifier's accuracy (argmax = prompt class, judged as P ≥ 0.5) measures whether"
                + " the images still show the class.\n\n![gold accuracy](img/flow-task2-gold-accuracy.png)"
                + " ![diversity](img/flow-task2-diversity.png) ![ink](img/flow-task2-ink.png)\n");
        BenchmarkDocs.writeSection("flow-task2", "./mvnw -Pbench test -Dtest='FlowScienceBenchmark#task2'", table.toString());
    }

    // ------------------------------------------------------------------ FK steering

    @Test
    void steering() throws IOException {
        Path base = base();
        int[] particleCounts = {1, 2, 4, 8, 16};
        StringBuilder table = new StringBuilder("| N | best-of-N proxy | FK proxy | best-of-N gold | FK gold | FK resamplings |"
                + "\n|---|---|---|---|---|---|\n");
        LinePlot plot = new LinePlot("Inference-time steering: reward of the returned image vs N (equal network evaluations)",
                "particles / candidates N", "reward-classifier P(class)");
        try (NDManager m = NDManager.newBaseManager(); FlowModel model = FlowModel.load(base, m);
                ImageClassifier rewardClassifier = ImageClassifier.load(base.resolve(FlowModel.REWARD_CLASSIFIER_DIR), m);
                ImageClassifier goldClassifier = ImageClassifier.load(base.resolve(FlowModel.GOLD_CLASSIFIER_DIR), m)) {
            FkSteering.ImageScorer proxy = (images, label) -> column(rewardClassifier.probabilities(images), label);
            for (int n : particleCounts) {
                double[] sums = new double[5];
                int count = 0;
                for (int seed = 1; seed <= SEEDS; seed++) {
                    for (int label = 0; label < FashionMnist.CLASSES.size(); label++) {
                        long[] seeds = Noise.seeds(Noise.mix(seed, label), n);
                        FkSteering.Result bon = FkSteering.generate(model.net(), label, seeds, 10, 1.0,
                                new SteeringConfig("best_of_n", n, "max", 10, 2, 0.5, 0.7), proxy, m);
                        FkSteering.Result fk = FkSteering.generate(model.net(), label, seeds, 10, 1.0,
                                new SteeringConfig("fk", n, "max", 10, 2, 0.5, 0.7), proxy, m);
                        sums[0] += bon.reward();
                        sums[1] += fk.reward();
                        sums[2] += goldClassifier.probabilities(new float[][] {bon.image()})[0][label];
                        sums[3] += goldClassifier.probabilities(new float[][] {fk.image()})[0][label];
                        sums[4] += fk.resamplings();
                        count++;
                    }
                }
                plot.point("best-of-N", n, sums[0] / count).point("FK (max, λ=10)", n, sums[1] / count);
                table.append("| ").append(n).append(" | ").append(fmt(sums[0] / count)).append(" | ")
                        .append(fmt(sums[1] / count)).append(" | ").append(fmt(sums[2] / count)).append(" | ")
                        .append(fmt(sums[3] / count)).append(" | ").append(fmt(sums[4] / count)).append(" |\n");
                System.out.println(table);
            }
        }
        plot.write(Path.of("docs", "img", "flow-steering.png"));
        table.append("\nMeans over 10 classes × ").append(SEEDS).append(" seeds; the same N noise seeds for both; T = 10, no"
                + " CFG. Best-of-N samples N ODE trajectories and keeps the best under the proxy; FK runs N particles with SDE"
                + " steps (a = 0.7), the max potential with λ = 10, resampling every 2 steps when ESS < N/2, and returns its"
                + " best final particle. Both cost N·T network evaluations; FK also scores every 2nd step.\n\n"
                + "![steering](img/flow-steering.png)\n");
        BenchmarkDocs.writeSection("flow-steering", "./mvnw -Pbench test -Dtest='FlowScienceBenchmark#steering'",
                table.toString());
    }

    // ------------------------------------------------------------------ helpers

    /** Eval proxy/gold per eval step, and train reward and KL averaged over each fifth of the run. */
    static String summary(Curves c) {
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%.0fs eval", c.seconds()));
        c.eval().forEach((step, m) -> out.append(String.format(Locale.ROOT, " %d:%.3f/%.3f", step,
                m.get(MetricNames.EVAL_REWARD_MEAN), m.getOrDefault(MetricNames.EVAL_GOLD_MEAN, Double.NaN))));
        out.append(" | train reward/kl");
        int n = c.train().size();
        for (int from = 1; from <= n; from += Math.max(1, n / 5)) {
            int to = Math.min(n, from + Math.max(1, n / 5) - 1);
            double r = 0;
            double kl = 0;
            for (int s = from; s <= to; s++) {
                r += c.train().get(s).getOrDefault(MetricNames.TRAIN_REWARD_MEAN, Double.NaN);
                kl += c.train().get(s).getOrDefault(MetricNames.TRAIN_KL, Double.NaN);
            }
            out.append(String.format(Locale.ROOT, " %.3f/%.2g", r / (to - from + 1), kl / (to - from + 1)));
        }
        return out.toString();
    }

    /** Appends a line to target/bench/flow-progress.log (surefire shows stdout only at the end). */
    static void progress(String line) throws IOException {
        Files.createDirectories(BASE.getParent());
        Files.writeString(BASE.getParent().resolve("flow-progress.log"), java.time.LocalTime.now() + " " + line + "\n",
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    }

    static double[] column(float[][] p, int label) {
        double[] out = new double[p.length];
        for (int i = 0; i < p.length; i++) {
            out[i] = p[i][label];
        }
        return out;
    }

    static double mean(List<Curves> runs, ToDoubleFunction<Curves> f) {
        return runs.stream().mapToDouble(f).average().orElse(Double.NaN);
    }

    static String stat(List<Curves> runs, int step, String metric) {
        double[] v = runs.stream().mapToDouble(c -> c.eval().get(step).getOrDefault(metric, Double.NaN)).toArray();
        double mean = java.util.Arrays.stream(v).average().orElse(Double.NaN);
        double var = java.util.Arrays.stream(v).map(x -> (x - mean) * (x - mean)).sum() / Math.max(1, v.length - 1);
        return fmt(mean) + " ± " + fmt(Math.sqrt(var));
    }

    /** Mean over runs of the first eval step whose proxy reward is {@code gain} above step 0 ("∞" if one never did). */
    static String stepsTo(List<Curves> runs, double gain) {
        double total = 0;
        for (Curves c : runs) {
            double start = c.eval().get(0).get(MetricNames.EVAL_REWARD_MEAN);
            Integer hit = null;
            for (Map.Entry<Integer, Map<String, Double>> e : c.eval().entrySet()) {
                if (e.getKey() > 0 && e.getValue().get(MetricNames.EVAL_REWARD_MEAN) >= start + gain) {
                    hit = e.getKey();
                    break;
                }
            }
            if (hit == null) {
                return "∞ (" + runs.stream().filter(r -> reached(r, gain)).count() + "/" + runs.size() + " reached)";
            }
            total += hit;
        }
        return fmt(total / runs.size());
    }

    private static boolean reached(Curves c, double gain) {
        double start = c.eval().get(0).get(MetricNames.EVAL_REWARD_MEAN);
        return c.eval().entrySet().stream().anyMatch(e -> e.getKey() > 0
                && e.getValue().get(MetricNames.EVAL_REWARD_MEAN) >= start + gain);
    }

    static String row(String a, String b) {
        return "| " + a + " | " + b + " |\n";
    }

    static String fmt(Double v) {
        return v == null || v.isNaN() ? "–" : String.format(Locale.ROOT, "%.3f", v);
    }
}
