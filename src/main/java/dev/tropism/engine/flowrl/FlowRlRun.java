package dev.tropism.engine.flowrl;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.reflect.TypeToken;
import dev.tropism.engine.DeviceInfo;
import dev.tropism.engine.GeneratedImages;
import dev.tropism.engine.MetricNames;
import dev.tropism.engine.RewardBatch;
import dev.tropism.engine.RewardFunction;
import dev.tropism.engine.RewardStats;
import dev.tropism.engine.RunOptions;
import dev.tropism.engine.TrainingRun;
import dev.tropism.engine.flow.FlowModel;
import dev.tropism.engine.flow.FlowNet;
import dev.tropism.engine.flow.FlowNetConfig;
import dev.tropism.engine.flow.FlowSampler;
import dev.tropism.engine.flow.ImageClassifier;
import dev.tropism.engine.flow.ImageMetrics;
import dev.tropism.engine.flow.Noise;
import dev.tropism.engine.flow.Png;
import dev.tropism.engine.flow.Trajectory;
import dev.tropism.engine.nn.AdamW;
import dev.tropism.engine.nn.CheckpointFiles;
import dev.tropism.engine.nn.FiniteCheck;
import dev.tropism.engine.nn.Gradients;
import dev.tropism.engine.nn.LrSchedule;
import dev.tropism.engine.nn.NonFiniteGuard;
import dev.tropism.engine.nn.Scalars;
import dev.tropism.engine.rl.GroupAdvantages;
import dev.tropism.engine.rl.GroupAdvantages.StdEstimator;
import dev.tropism.engine.rl.GrpoConfig.ScaleRewards;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;

/**
 * The shared loop of every flow alignment method ({@link FlowMethodType}): a trainable policy initialised
 * from the base model, a frozen reference copy, AdamW, and the batched helpers the methods are written
 * against: SDE rollouts with per-step log-probs ({@link FlowSampler}), ODE completions from intermediate
 * states, image rewards through the reward-spec system, and the clipped policy-gradient update of Flow-GRPO.
 *
 * <p>Per step it logs the proxy reward ({@code train/reward/*}), the gold reward of the same samples
 * ({@code train/gold/mean}, never optimized), their diversity and the KL to the reference, so
 * over-optimization shows in the curves. Every random draw is a function of (seed, step), so a resumed run
 * continues exactly.
 */
public final class FlowRlRun implements TrainingRun {

    static final String KIND = "flow_rl";
    private static final String METHOD_STATE = "method_state.json";
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

    /**
     * The prompts of one step, each repeated G times in consecutive rows.
     *
     * @param items the dataset item of each row
     * @param labels the class index of each row
     * @param seeds the noise seed of each row
     */
    record StepBatch(List<Map<String, Object>> items, int[] labels, long[] seeds, int groupSize, int step) {
        int size() {
            return labels.length;
        }
    }

    /** Moments of one policy-gradient update, for metrics. */
    record UpdateStats(double loss, double kl, double clipFraction, double ratioMean, double ratioVar, double gradNorm,
            double[] ratioMeanByStep, double[] ratioVarByStep) {
    }

    private final FlowAlignSpec spec;
    private final FlowRlConfig cfg;
    private final NDManager root;
    private final FlowNet policy;
    private final FlowNet reference;
    private final AdamW optimizer;
    private final LrSchedule schedule;
    private final FiniteCheck check;
    private final NonFiniteGuard guard;
    private final List<String> classes;
    private final int[] promptLabels;
    private final List<Map<String, Object>> evalItems;
    private final int[] evalLabels;
    private final ImageClassifier featureSpace;
    private final FlowMethod method;
    private final double[] sigmas;
    private final int imageSize;
    private int step;
    private int optimizerSteps;
    private byte[] lastSamples;

    public FlowRlRun(FlowAlignSpec spec, Path checkpoint) throws IOException {
        this(spec, checkpoint, RunOptions.DEFAULTS);
    }

    /** A run on {@code options}' device, which may turn on anomaly mode ({@link RunOptions#checkFinite()}). */
    public FlowRlRun(FlowAlignSpec spec, Path checkpoint, RunOptions options) throws IOException {
        this.check = FiniteCheck.of(options.checkFinite());
        this.guard = new NonFiniteGuard(check);
        this.spec = spec;
        this.cfg = spec.config();
        this.root = NDManager.newBaseManager(options.device()); // every model, state and step array descends from it
        try (FlowModel base = FlowModel.load(spec.baseModel(), root)) {
            classes = base.classes();
            imageSize = base.imageSize();
            FlowNetConfig netConfig = base.net().config();
            JsonObject state = null;
            if (checkpoint != null) {
                state = CheckpointFiles.readState(checkpoint, KIND, spec.seed());
                policy = FlowNet.load(netConfig, checkpoint.resolve(CheckpointFiles.MODEL_DIR).resolve(FlowModel.WEIGHTS),
                        root);
            } else {
                policy = base.net().copy(root);
            }
            reference = base.net().copy(root);
            policy.checkFinite(check);
            reference.checkFinite(check);
            Path gold = spec.baseModel().resolve(FlowModel.GOLD_CLASSIFIER_DIR);
            featureSpace = Files.exists(gold.resolve(ImageClassifier.META)) ? ImageClassifier.load(gold, root) : null;
            optimizer = new AdamW(policy.parameters(), new HashSet<>(policy.decayedParameterNames()), 0.9, 0.999, 1e-8,
                    cfg.weightDecay(), root);
            method = spec.method().create(spec.methodConfig());
            if (state != null) {
                CheckpointFiles.readOptimizer(checkpoint, optimizer, state);
                step = state.get("step").getAsInt();
                optimizerSteps = (int) optimizer.steps();
                Path methodState = checkpoint.resolve(METHOD_STATE);
                if (Files.exists(methodState)) {
                    method.restore(GSON.fromJson(Files.readString(methodState, StandardCharsets.UTF_8),
                            new TypeToken<Map<String, Object>>() { }.getType()));
                }
            }
        } catch (IOException | RuntimeException e) {
            root.close();
            throw e;
        }
        schedule = new LrSchedule(cfg.learningRate(), cfg.warmupSteps() * cfg.numIterations(),
                cfg.maxSteps() * cfg.numIterations(), 1.0);
        sigmas = FlowSampler.sigmas(cfg.sampleSteps());
        evalItems = spec.evalPrompts().isEmpty() ? distinct(spec.prompts()) : spec.evalPrompts();
        try {
            promptLabels = labelsOf(spec.prompts());
            evalLabels = labelsOf(evalItems);
        } catch (RuntimeException e) {
            root.close();
            throw e;
        }
    }

    private int[] labelsOf(List<Map<String, Object>> items) {
        int[] out = new int[items.size()];
        for (int i = 0; i < out.length; i++) {
            Object prompt = items.get(i).get("prompt");
            out[i] = classes.indexOf(String.valueOf(prompt));
            if (out[i] < 0) {
                throw new IllegalArgumentException("prompt " + i + " names class '" + prompt + "', which the model "
                        + "does not know; its classes: " + String.join(", ", classes));
            }
        }
        return out;
    }

    private static List<Map<String, Object>> distinct(List<Map<String, Object>> items) {
        Map<Object, Map<String, Object>> byPrompt = new LinkedHashMap<>();
        for (Map<String, Object> item : items) {
            byPrompt.putIfAbsent(item.get("prompt"), item);
        }
        return List.copyOf(byPrompt.values());
    }

    @Override
    public Device device() {
        return root.getDevice();
    }

    @Override
    public int step() {
        return step;
    }

    @Override
    public int totalSteps() {
        return cfg.maxSteps();
    }

    @Override
    public int evalInterval() {
        return cfg.evalInterval();
    }

    @Override
    public Map<String, Double> trainStep() {
        Gradients.gradModeOff();
        check.atStep(step + 1);
        Map<String, Double> metrics = new LinkedHashMap<>();
        if (step == 0 && optimizerSteps == 0) {
            method.prepare(this, metrics);
        }
        long t0 = System.nanoTime();
        method.step(this, batchFor(step), metrics);
        metrics.put(MetricNames.PERF_STEP_SECONDS, (System.nanoTime() - t0) / 1e9);
        DeviceInfo.putMemoryInUse(root.getDevice(), metrics);
        step++;
        return metrics;
    }

    /** The prompts of step {@code s}: {@code prompts_per_step} drawn with a (seed, step) RNG, G rows each. */
    StepBatch batchFor(int s) {
        Random rng = new Random(Noise.mix(spec.seed(), s));
        int g = cfg.numGenerations();
        int b = cfg.batchSize();
        List<Map<String, Object>> items = new ArrayList<>(b);
        int[] labels = new int[b];
        for (int p = 0; p < cfg.promptsPerStep(); p++) {
            int idx = rng.nextInt(spec.prompts().size());
            for (int i = 0; i < g; i++) {
                items.add(spec.prompts().get(idx));
                labels[p * g + i] = promptLabels[idx];
            }
        }
        return new StepBatch(items, labels, Noise.seeds(Noise.mix(spec.seed(), 1_000_003L + s), b), g, s);
    }

    // ------------------------------------------------------------------ helpers for the methods

    FlowRlConfig config() {
        return cfg;
    }

    double[] sigmas() {
        return sigmas.clone();
    }

    int imageSize() {
        return imageSize;
    }

    FlowNet policy() {
        return policy;
    }

    FlowNet reference() {
        return reference;
    }

    NDManager root() {
        return root;
    }

    long seed() {
        return spec.seed();
    }

    /**
     * Per-step noise levels of a rollout: a on the first T−1 steps, or only on a random window of
     * {@code sde_window} steps (Flow-GRPO-Fast), 0 (ODE) elsewhere. {@code base} overrides a per step
     * (DenseGRPO's calibrated ψ); null means the config's a.
     */
    double[] noiseLevels(int s, double[] base) {
        int t = cfg.sampleSteps();
        double[] levels = new double[t];
        int from = 0;
        int to = t - 1;
        if (cfg.sdeWindow() > 0) {
            from = new Random(Noise.mix(spec.seed(), 2_000_003L + s)).nextInt(t - cfg.sdeWindow());
            to = from + cfg.sdeWindow();
        }
        for (int k = from; k < to; k++) {
            levels[k] = base == null ? cfg.noiseLevel() : base[k];
        }
        return levels;
    }

    /** An SDE rollout of the current policy (θ_old) for {@code batch}, in {@code m}. */
    Trajectory rollout(StepBatch batch, double[] levels, NDManager m) {
        return FlowSampler.sample(policy, batch.labels(), new Noise(batch.seeds(), imageSize * imageSize), levels,
                cfg.guidanceScale(), m);
    }

    /** A rollout with its final rewards. */
    record Scored(Trajectory trajectory, double[] rewards) {
    }

    /**
     * The common start of a step: an SDE rollout with the given noise levels, then the proxy reward of its
     * images with the step's reward, gold and diversity metrics; puts {@code perf/rollout_seconds} and
     * {@code perf/reward_seconds}.
     */
    Scored rolloutAndScore(StepBatch batch, double[] levels, NDManager m, Map<String, Double> metrics) {
        long t0 = System.nanoTime();
        Trajectory t = rollout(batch, levels, m);
        long t1 = System.nanoTime();
        double[] rewards = score(batch, t.images(), true, metrics);
        metrics.put(MetricNames.PERF_ROLLOUT_SECONDS, (t1 - t0) / 1e9);
        metrics.put(MetricNames.PERF_REWARD_SECONDS, (System.nanoTime() - t1) / 1e9);
        return new Scored(t, rewards);
    }

    /** ODE completions of the policy from several starts, batched ({@link FlowSampler#odeFromMany}). */
    NDArray[] complete(NDArray[] starts, int[] fromStep, NDArray[] labels) {
        return FlowSampler.odeFromMany(policy, starts, fromStep, labels, cfg.guidanceScale(), sigmas);
    }

    /**
     * Proxy rewards of images (B, 1, S, S) for {@code batch}'s rows; when {@code record}, also puts the train
     * reward metrics, the gold reward of the same images and their diversity.
     */
    double[] score(StepBatch batch, NDArray images, boolean record, Map<String, Double> metrics) {
        float[][] unit = FlowSampler.toUnitImages(images);
        RewardStats stats = new RewardStats(unit.length);
        stats.addAll(RewardFunction.scoreSafely(spec.reward(),
                RewardBatch.ofImages(batch.items(), new GeneratedImages(imageSize, Arrays.asList(unit)), batch.groupSize())));
        double[] rewards = stats.rewards();
        if (record) {
            metrics.put(MetricNames.TRAIN_REWARD_MEAN, stats.mean());
            metrics.put(MetricNames.TRAIN_REWARD_STD, std(rewards));
            stats.componentMeans().forEach((name, mean) -> metrics.put(MetricNames.trainRewardComponent(name), mean));
            metrics.put(MetricNames.TRAIN_REWARD_ERRORS, (double) stats.errors());
            stats.errorsByKind().forEach((kind, n) -> metrics.put(MetricNames.trainRewardErrors(kind), (double) n));
            metrics.put(MetricNames.TRAIN_FRAC_REWARD_ZERO_STD,
                    GroupAdvantages.fracZeroStd(rewards, batch.groupSize()));
            if (spec.goldReward() != null) {
                RewardStats gold = new RewardStats(unit.length);
                gold.addAll(RewardFunction.scoreSafely(spec.goldReward(), RewardBatch.ofImages(batch.items(),
                        new GeneratedImages(imageSize, Arrays.asList(unit)), batch.groupSize())));
                metrics.put(MetricNames.TRAIN_GOLD_MEAN, gold.mean());
            }
            metrics.put(MetricNames.TRAIN_DIVERSITY, ImageMetrics.diversity(features(unit), groupIds(batch)));
        }
        return rewards;
    }

    /**
     * Proxy rewards of several image sets for the same rows at once (one reward call): {@code sets[j]} is
     * (B, 1, S, S) for {@code batch}; returns rewards[j][b].
     */
    double[][] scoreAll(StepBatch batch, NDArray[] sets) {
        NDArray all = sets.length == 1 ? sets[0] : NDArrays.concat(new NDList(sets));
        float[][] unit = FlowSampler.toUnitImages(all);
        List<Map<String, Object>> items = new ArrayList<>(unit.length);
        for (int j = 0; j < sets.length; j++) {
            items.addAll(batch.items());
        }
        RewardStats stats = new RewardStats(unit.length);
        stats.addAll(RewardFunction.scoreSafely(spec.reward(),
                RewardBatch.ofImages(items, new GeneratedImages(imageSize, Arrays.asList(unit)), batch.groupSize())));
        double[] flat = stats.rewards();
        double[][] out = new double[sets.length][batch.size()];
        for (int j = 0; j < sets.length; j++) {
            System.arraycopy(flat, j * batch.size(), out[j], 0, batch.size());
        }
        return out;
    }

    private int[] groupIds(StepBatch batch) {
        int[] ids = new int[batch.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = i / batch.groupSize();
        }
        return ids;
    }

    private float[][] features(float[][] unit) {
        return featureSpace == null ? unit : featureSpace.features(unit);
    }

    /**
     * Group-normalized advantages (GRPO, Shao et al. 2024, Eq. 3; Flow-GRPO Eq. 4): (r − mean_g)/(std_g + 1e-4)
     * within each consecutive group, with the biased std of flow_grpo's reference code
     * ({@link StdEstimator#BIASED}), clamped to ±{@code advantage_clip}. Every flow method takes its advantages
     * from here.
     */
    static double[] groupAdvantages(double[] r, int g, double clip) {
        double[] a = GroupAdvantages.compute(r, g, ScaleRewards.GROUP, StdEstimator.BIASED);
        for (int i = 0; i < a.length; i++) {
            a[i] = Math.max(-clip, Math.min(clip, a[i]));
        }
        return a;
    }

    /** Body of one optimizer step: builds losses in {@code m} and calls {@code backward} one or more times. */
    interface UpdateBody {
        void run(NDManager m, java.util.function.Consumer<NDArray> backward);
    }

    /**
     * One optimizer step: gradients of everything {@code body} back-propagates (accumulated), global-norm
     * clipping, AdamW; returns the gradient norm (not finite when the update was skipped).
     */
    double optimizerStep(UpdateBody body) {
        Gradients.COLLECTOR_LOCK.lock();
        try (NDManager m = root.newSubManager()) {
            policy.requireGradients(true);
            try (GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                body.run(m, gc::backward);
            }
            double lr = schedule.at(optimizerSteps);
            double norm = guard.clippedStep(optimizer, policy.parameters(), lr, cfg.gradClip(), m, step + 1);
            optimizerSteps++;
            return norm;
        } finally {
            policy.requireGradients(false);
            Gradients.gradModeOff();
            Gradients.COLLECTOR_LOCK.unlock();
        }
    }

    double learningRate() {
        return schedule.at(optimizerSteps);
    }

    /**
     * The per-step hook of the clipped objective {@link #policyGradient}: how one denoising step's log-ratio and
     * loss weight are formed. {@link #FLOW_GRPO} leaves both as Flow-GRPO has them; a method that changes them
     * ({@link GrpoGuard}) implements this in its own file.
     */
    interface StepObjective {

        /** Flow-GRPO's objective: the plain log-ratio, every step weighted alike. */
        StepObjective FLOW_GRPO = new StepObjective() {
        };

        /**
         * @param logRatio (B) log π_θ(x_{k+1}|x_k) − log π_old(x_{k+1}|x_k)
         * @param mean (B, 1, S, S) μ_θ of the step
         * @param oldMean (B, 1, S, S) μ_old of the step
         * @param std the step's std σ_k = s_k·sqrt(−dt)
         * @return (B) the log-ratio the clipped objective uses
         */
        default NDArray logRatio(NDArray logRatio, NDArray mean, NDArray oldMean, double std) {
            return logRatio;
        }

        /** The step's loss scale, from Flow-GRPO's {@code scale} (weight_k / K) and the step's dt (negative). */
        default double stepScale(double scale, double dt) {
            return scale;
        }
    }

    /**
     * One noisy denoising step of a batch of rows, as the policy gradient needs it.
     *
     * @param k the step index (σ_k → σ_{k+1})
     * @param state (B, 1, S, S) x_k
     * @param next (B, 1, S, S) the sampled x_{k+1}
     * @param logProbOld (B) log π_old(x_{k+1} | x_k)
     * @param meanOld (B, 1, S, S) μ_old
     * @param noiseLevel a (or ψ_k) the step was sampled with
     * @param labels class of each row
     * @param advantages A_b of each row for this step
     * @param weight the step's loss weight
     */
    record StepSample(int k, NDArray state, NDArray next, NDArray logProbOld, NDArray meanOld, double noiseLevel,
            int[] labels, double[] advantages, double weight) {
    }

    /** The noisy steps of {@code t} with per-(row, step) advantages A[b][k] and step weights (0 leaves a step out). */
    static List<StepSample> stepsOf(Trajectory t, double[][] advantages, double[] weights) {
        List<StepSample> out = new ArrayList<>();
        for (int k = 0; k < t.steps(); k++) {
            if (t.noisy(k) && weights[k] != 0) {
                double[] a = new double[t.batchSize()];
                for (int i = 0; i < a.length; i++) {
                    a[i] = advantages[i][k];
                }
                out.add(new StepSample(k, t.states[k], t.states[k + 1], t.logProbs[k], t.means[k], t.noiseLevels[k],
                        t.labels, a, weights[k]));
            }
        }
        return out;
    }

    /** {@link #policyGradient(List, StepObjective)} over a trajectory's noisy steps. */
    UpdateStats policyGradient(Trajectory t, double[][] advantages, double[] weights, StepObjective objective) {
        return policyGradient(stepsOf(t, advantages, weights), objective);
    }

    /**
     * The clipped policy-gradient update of Flow-GRPO (Eq. 6–8), μ = {@code num_iterations} optimizer steps on
     * one rollout: for every given step k,
     * <pre>
     *   ratio = exp(log π_θ(x_{k+1}|x_k) − log π_old(x_{k+1}|x_k))
     *   L_k   = mean_b[ max(−A_bk·ratio, −A_bk·clip(ratio, 1−ε, 1+ε)) + β·KL_bk ],
     *   KL_bk = mean((μ_θ − μ_ref)²) / (2 s_k²)
     * </pre>
     * and the loss is Σ_k weight_k·L_k / K. Gradients accumulate over steps (one backward per step).
     * {@code objective} may change each step's log-ratio and weight ({@link StepObjective}).
     */
    UpdateStats policyGradient(List<StepSample> steps, StepObjective objective) {
        if (steps.isEmpty()) {
            throw new IllegalStateException("no noisy step to train on");
        }
        int kCount = steps.size();
        int tSteps = cfg.sampleSteps();
        double[] lossSum = new double[1];
        double[] klSum = new double[1];
        double[] clipped = new double[1];
        double[] ratioSum = new double[1];
        double[] ratioSq = new double[1];
        long[] rows = new long[1];
        double[] ratioMeanByStep = new double[tSteps];
        double[] ratioVarByStep = new double[tSteps];
        Arrays.fill(ratioMeanByStep, Double.NaN);
        Arrays.fill(ratioVarByStep, Double.NaN);
        double gradNorm = Double.NaN;
        // μ_ref of every step, once (no gradient).
        NDArray[] refMeans = new NDArray[kCount];
        for (int j = 0; j < kCount; j++) {
            StepSample st = steps.get(j);
            double s = FlowSampler.noiseScale(st.noiseLevel(), sigmas, st.k());
            NDManager sm = st.state().getManager();
            NDArray vRef = FlowSampler.velocity(reference, st.state(), sigmas[st.k()], sm.create(st.labels()),
                    cfg.guidanceScale());
            refMeans[j] = FlowSampler.sdeMean(st.state(), vRef, sigmas[st.k()], sigmas[st.k() + 1] - sigmas[st.k()], s);
        }
        for (int iteration = 0; iteration < cfg.numIterations(); iteration++) {
            boolean first = iteration == 0;
            gradNorm = optimizerStep((m, backward) -> {
                for (int j = 0; j < kCount; j++) {
                    StepSample st = steps.get(j);
                    int k = st.k();
                    int b = st.labels().length;
                    double s = FlowSampler.noiseScale(st.noiseLevel(), sigmas, k);
                    double dt = sigmas[k + 1] - sigmas[k];
                    double std = s * Math.sqrt(-dt);
                    NDArray x = st.state().duplicate();
                    x.attach(m);
                    NDArray v = FlowSampler.velocity(policy, x, sigmas[k], m.create(st.labels()), cfg.guidanceScale());
                    NDArray mean = FlowSampler.sdeMean(x, v, sigmas[k], dt, s); // (B, 1, S, S)
                    NDArray logProb = FlowSampler.logProb(st.next(), mean, std); // (B)
                    NDArray logRatio = objective.logRatio(logProb.sub(st.logProbOld()), mean, st.meanOld(), std); // (B)
                    NDArray ratio = logRatio.exp(); // (B)
                    float[] adv = new float[b];
                    for (int i = 0; i < b; i++) {
                        adv[i] = (float) st.advantages()[i];
                    }
                    NDArray advantage = m.create(adv); // (B)
                    NDArray unclipped = advantage.neg().mul(ratio);
                    NDArray clippedRatio = ratio.clip(1 - cfg.clipRange(), 1 + cfg.clipRange());
                    NDArray policyLoss = NDArrays.maximum(unclipped, advantage.neg().mul(clippedRatio)); // (B)
                    NDArray kl = mean.sub(refMeans[j]).square().reshape(b, -1).mean(new int[] {1})
                            .div(Scalars.of(mean, 2 * s * s)); // (B)
                    NDArray perSample = policyLoss.add(kl.mul(Scalars.of(kl, cfg.beta()))); // (B)
                    double scale = objective.stepScale(st.weight() / kCount, dt);
                    if (first) {
                        float[] r = ratio.toFloatArray();
                        double sum = 0;
                        double sq = 0;
                        for (float value : r) {
                            sum += value;
                            sq += value * value;
                        }
                        double mk = sum / b;
                        ratioMeanByStep[k] = mk;
                        ratioVarByStep[k] = Math.max(0, sq / b - mk * mk);
                        ratioSum[0] += sum;
                        ratioSq[0] += sq;
                        rows[0] += b;
                        for (float value : ratio.sub(clippedRatio).abs().toFloatArray()) {
                            clipped[0] += value > 0 ? 1 : 0;
                        }
                        klSum[0] += kl.mean().getFloat();
                        lossSum[0] += perSample.mean().getFloat() * st.weight() / kCount;
                    }
                    backward.accept(perSample.mean().mul(Scalars.of(perSample, scale)));
                }
            });
        }
        double ratioMean = ratioSum[0] / rows[0];
        return new UpdateStats(lossSum[0], klSum[0] / kCount, clipped[0] / rows[0], ratioMean,
                Math.max(0, ratioSq[0] / rows[0] - ratioMean * ratioMean), gradNorm, ratioMeanByStep, ratioVarByStep);
    }

    /** Puts the metrics of a policy-gradient update. */
    void putUpdateMetrics(UpdateStats u, Map<String, Double> metrics) {
        metrics.put(MetricNames.TRAIN_LOSS, u.loss());
        metrics.put(MetricNames.TRAIN_KL, u.kl());
        metrics.put(MetricNames.TRAIN_CLIP_RATIO, u.clipFraction());
        metrics.put(MetricNames.TRAIN_RATIO_MEAN, u.ratioMean());
        metrics.put(MetricNames.TRAIN_RATIO_VAR, u.ratioVar());
        NonFiniteGuard.putUpdateMetrics(metrics, u.gradNorm(), learningRate());
    }

    /** KL of the current policy to the reference along {@code t}'s noisy steps (for methods without a ratio). */
    double klToReference(Trajectory t) {
        NDArray labels = t.manager.create(t.labels);
        double sum = 0;
        int n = 0;
        for (int k = 0; k < t.steps(); k++) {
            if (!t.noisy(k)) {
                continue;
            }
            double s = FlowSampler.noiseScale(t.noiseLevels[k], t.sigmas, k);
            double dt = t.sigmas[k + 1] - t.sigmas[k];
            NDArray vRef = FlowSampler.velocity(reference, t.states[k], t.sigmas[k], labels, cfg.guidanceScale());
            NDArray muRef = FlowSampler.sdeMean(t.states[k], vRef, t.sigmas[k], dt, s);
            NDArray vPol = FlowSampler.velocity(policy, t.states[k], t.sigmas[k], labels, cfg.guidanceScale());
            NDArray muPol = FlowSampler.sdeMean(t.states[k], vPol, t.sigmas[k], dt, s);
            sum += muPol.sub(muRef).square().mean().getFloat() / (2 * s * s);
            n++;
        }
        return n == 0 ? 0 : sum / n;
    }

    // ------------------------------------------------------------------ evaluation, checkpoints

    @Override
    public Map<String, Double> evaluate() {
        check.atStep(0);
        Gradients.gradModeOff();
        int per = cfg.evalSamplesPerPrompt();
        int n = evalItems.size() * per;
        int[] labels = new int[n];
        List<Map<String, Object>> items = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            labels[i] = evalLabels[i / per];
            items.add(evalItems.get(i / per));
        }
        float[][] unit;
        try (NDManager m = root.newSubManager()) {
            Noise noise = new Noise(Noise.seeds(Noise.mix(spec.seed(), -7), n), imageSize * imageSize);
            unit = FlowSampler.toUnitImages(FlowSampler.sample(policy, labels, noise, new double[cfg.sampleSteps()],
                    cfg.guidanceScale(), m).images());
        }
        Map<String, Double> metrics = new LinkedHashMap<>();
        GeneratedImages images = new GeneratedImages(imageSize, Arrays.asList(unit));
        RewardStats proxy = new RewardStats(n);
        proxy.addAll(RewardFunction.scoreSafely(spec.reward(), RewardBatch.ofImages(items, images, per)));
        metrics.put(MetricNames.EVAL_REWARD_MEAN, proxy.mean());
        proxy.componentMeans().forEach((name, mean) ->
                metrics.put(MetricNames.component(MetricNames.EVAL_REWARD_PREFIX, name), mean));
        if (spec.goldReward() != null) {
            RewardStats gold = new RewardStats(n);
            gold.addAll(RewardFunction.scoreSafely(spec.goldReward(), RewardBatch.ofImages(items, images, per)));
            metrics.put(MetricNames.EVAL_GOLD_MEAN, gold.mean());
            double[] g = gold.rewards();
            int correct = 0;
            for (double value : g) {
                correct += value >= cfg.accuracyThreshold() ? 1 : 0;
            }
            metrics.put(MetricNames.EVAL_GOLD_ACCURACY, (double) correct / n);
            gold.componentMeans().forEach((name, mean) ->
                    metrics.put(MetricNames.component(MetricNames.EVAL_GOLD_PREFIX, name), mean));
        }
        int[] groups = new int[n];
        for (int i = 0; i < n; i++) {
            groups[i] = i / per;
        }
        metrics.put(MetricNames.EVAL_DIVERSITY, ImageMetrics.diversity(features(unit), groups));
        lastSamples = Png.grid(unit, imageSize, per, 2);
        return metrics;
    }

    @Override
    public Optional<byte[]> evalSamplesPng() {
        return Optional.ofNullable(lastSamples);
    }

    @Override
    public void saveCheckpoint(Path dir) throws IOException {
        CheckpointFiles.write(dir, KIND, step, spec.seed(), this::exportModel, optimizer,
                Map.of("method", spec.method().wireName(), "config", cfg));
        Files.writeString(dir.resolve(METHOD_STATE), GSON.toJson(method.state()), StandardCharsets.UTF_8);
    }

    /** The aligned generator, with the base model's classifiers copied along (diversity features, lineage). */
    @Override
    public void exportModel(Path dir) throws IOException {
        try (FlowModel base = FlowModel.load(spec.baseModel(), root)) {
            FlowModel.save(dir, policy, classes, base.defaultSteps(), base.defaultGuidance());
        }
        Path classifiers = spec.baseModel().resolve("classifiers");
        if (Files.isDirectory(classifiers)) {
            try (Stream<Path> files = Files.walk(classifiers)) {
                for (Path source : (Iterable<Path>) files::iterator) {
                    Path target = dir.resolve(spec.baseModel().relativize(source).toString());
                    if (Files.isDirectory(source)) {
                        Files.createDirectories(target);
                    } else {
                        Files.copy(source, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
        }
    }

    static double std(double[] v) {
        double mean = 0;
        for (double x : v) {
            mean += x;
        }
        mean /= v.length;
        double var = 0;
        for (double x : v) {
            var += (x - mean) * (x - mean);
        }
        return Math.sqrt(var / v.length);
    }

    @Override
    public void close() {
        root.close();
    }
}
