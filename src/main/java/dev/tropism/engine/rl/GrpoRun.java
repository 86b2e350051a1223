package dev.tropism.engine.rl;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.google.gson.JsonObject;
import dev.tropism.engine.ConfigException;
import dev.tropism.engine.DeviceInfo;
import dev.tropism.engine.MetricNames;
import dev.tropism.engine.NumericalInstabilityException;
import dev.tropism.engine.RewardBatch;
import dev.tropism.engine.RewardFunction;
import dev.tropism.engine.RewardResult;
import dev.tropism.engine.RewardStats;
import dev.tropism.engine.RunOptions;
import dev.tropism.engine.TrainingRun;
import dev.tropism.engine.hf.AdaptersOff;
import dev.tropism.engine.hf.HfCausalLm;
import dev.tropism.engine.hf.HfDirectory;
import dev.tropism.engine.hf.Lora;
import dev.tropism.engine.hf.ModelFormatException;
import dev.tropism.engine.lm.CausalLm;
import dev.tropism.engine.lm.GreedyEval;
import dev.tropism.engine.lm.LanguageModel;
import dev.tropism.engine.lm.LmScoringContext;
import dev.tropism.engine.lm.Sampler;
import dev.tropism.engine.lm.Sampler.Completions;
import dev.tropism.engine.lm.Sampler.Decoding;
import dev.tropism.engine.lm.Sampler.PromptBatch;
import dev.tropism.engine.nn.AdamW;
import dev.tropism.engine.nn.CheckpointFiles;
import dev.tropism.engine.nn.FiniteCheck;
import dev.tropism.engine.nn.Gradients;
import dev.tropism.engine.nn.LrSchedule;
import dev.tropism.engine.nn.NonFiniteGuard;
import dev.tropism.engine.nn.Scalars;
import dev.tropism.engine.rl.GroupAdvantages.StdEstimator;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * GRPO (Shao et al. 2024, "DeepSeekMath", Algorithm 1) on a language model, one optimizer step per
 * {@link #trainStep()} call, in TRL's GRPOTrainer formulation:
 *
 * <ol>
 *   <li>rollout: sample G completions for each of P prompts from π_θold (the current weights);
 *   <li>reward: score every completion with the reward function (errors count, never throw);
 *   <li>advantage: {@link GroupAdvantages};
 *   <li>update: μ optimizer steps on {@link GrpoObjective}, with π_ref the frozen base model.
 * </ol>
 *
 * With {@link GrpoSpec#lora()} set, only LoRA adapters train (Hu et al. 2021) and hold optimizer state; π_ref is the
 * same weights with the adapters off ({@link AdaptersOff}), so there is no second copy of the model. Without it
 * (full fine-tuning) π_ref is the loaded base and the policy a copy.
 *
 * One {@code trainStep()} is one rollout batch with its μ updates. Every random choice is a function
 * of (seed, step), so a run resumed from a checkpoint continues exactly.
 */
public final class GrpoRun implements TrainingRun {

    static final String KIND = "grpo";

    private final GrpoSpec spec;
    private final GrpoConfig cfg;
    private final NDManager root;
    private final LanguageModel base;
    private final LanguageModel policy;
    private final CausalLm reference;
    /** What the optimizer updates: every policy weight, or the adapters only under LoRA. */
    private final Map<String, NDArray> trainable;
    /** What graders may ask of the policy and the reference model (likelihood and shaped rewards). */
    private final LmScoringContext scoring;
    private final AdamW optimizer;
    private final LrSchedule schedule;
    private final int maxPromptTokens;
    private int step;
    private final FiniteCheck check;
    private final NonFiniteGuard guard;
    private int epochCached = -1;
    private List<Integer> epochOrder;

    public GrpoRun(GrpoSpec spec, Path checkpoint) throws IOException {
        this(spec, checkpoint, RunOptions.DEFAULTS);
    }

    /** A run on {@code options}' device, which may turn on anomaly mode ({@link RunOptions#checkFinite()}). */
    public GrpoRun(GrpoSpec spec, Path checkpoint, RunOptions options) throws IOException {
        this.check = FiniteCheck.of(options.checkFinite());
        this.guard = new NonFiniteGuard(check);
        this.spec = spec;
        this.cfg = spec.config();
        this.root = NDManager.newBaseManager(options.device()); // every model, state and step array descends from it
        try {
            base = LanguageModel.load(spec.baseModel(), root);
            int block = base.lm().contextLength();
            maxPromptTokens = block - cfg.maxCompletionLength();
            if (maxPromptTokens < 2) {
                base.close();
                throw new ConfigException("max_completion_length", "must leave room for the prompt within the model's "
                        + "context of " + block + " tokens, got " + cfg.maxCompletionLength());
            }
            JsonObject state = null;
            if (checkpoint != null) {
                state = CheckpointFiles.readState(checkpoint, KIND, spec.seed());
            }
            LanguageModel referenceModel;
            if (spec.lora() != null) {
                HfCausalLm hf = imported(base);
                hf.attach(checkpoint == null ? Lora.initialize(spec.lora(), hf, spec.seed(), root)
                        : adapters(checkpoint.resolve(CheckpointFiles.MODEL_DIR), hf, root));
                policy = base;
                reference = new AdaptersOff(hf);
                referenceModel = base.with(reference);
                trainable = hf.lora().parameters();
            } else {
                reference = base.lm(); // frozen: never requires gradients, never updated
                policy = checkpoint != null ? LanguageModel.load(checkpoint.resolve(CheckpointFiles.MODEL_DIR), root)
                        : base.with(reference.copy(root));
                referenceModel = base;
                trainable = policy.lm().parameters();
            }
            policy.lm().checkFinite(check);
            reference.checkFinite(check);
            optimizer = new AdamW(trainable, matrices(trainable), 0.9, 0.99, 1e-8, cfg.weightDecay(), root);
            if (state != null) {
                CheckpointFiles.readOptimizer(checkpoint, optimizer, state);
                step = state.get("step").getAsInt();
            }
            // Constant after warmup (TRL's GRPO default schedule is linear decay; constant keeps resumed
            // and extended runs comparable). minRatio 1 turns the cosine off.
            schedule = new LrSchedule(cfg.learningRate(), cfg.warmupSteps(), cfg.maxSteps(), 1.0);
            scoring = new LmScoringContext(policy, referenceModel, spec.seed(), maxPromptTokens, cfg.maxCompletionLength(),
                    cfg.temperature(), cfg.topP(), root);
        } catch (IOException | RuntimeException e) {
            root.close();
            throw e;
        }
    }

    /** The imported model LoRA adapts; tiny-gpt has no adapters (its full fine-tuning is cheap). */
    static HfCausalLm imported(LanguageModel base) {
        if (base.lm() instanceof HfCausalLm hf) {
            return hf;
        }
        throw new ConfigException("lora", "LoRA adapts imported models (gpt2, llama, qwen2); align a tiny-gpt with "
                + "full fine-tuning (lora: null)");
    }

    /** The adapters a checkpoint's model directory holds in PEFT's layout. */
    static Lora adapters(Path modelDir, HfCausalLm model, NDManager parent) throws IOException {
        try {
            return Lora.loadPeft(modelDir.resolve(HfDirectory.PEFT_DIR), model, parent);
        } catch (ModelFormatException e) {
            throw new IOException("checkpoint adapters: " + e.getMessage(), e);
        }
    }

    /** The names of the matrices among {@code params}: weight decay applies to these only. */
    static HashSet<String> matrices(Map<String, NDArray> params) {
        HashSet<String> out = new HashSet<>();
        params.forEach((name, a) -> {
            if (a.getShape().dimension() >= 2) {
                out.add(name);
            }
        });
        return out;
    }

    public LanguageModel policy() {
        return policy;
    }

    /** The manager every array of this run descends from (tests). */
    NDManager root() {
        return root;
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
        return spec.evalPrompts().isEmpty() ? 0 : cfg.evalInterval();
    }

    /** The items of this step: walks seeded per-epoch permutations of the prompt set. */
    private List<Map<String, Object>> promptsFor(int s) {
        int n = spec.prompts().size();
        List<Map<String, Object>> out = new ArrayList<>(cfg.promptsPerStep());
        for (int j = 0; j < cfg.promptsPerStep(); j++) {
            long k = (long) s * cfg.promptsPerStep() + j;
            int epoch = (int) (k / n);
            if (epoch != epochCached) {
                List<Integer> order = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    order.add(i);
                }
                Collections.shuffle(order, new Random(spec.seed() * 7_919L + epoch));
                epochOrder = order;
                epochCached = epoch;
            }
            out.add(spec.prompts().get(epochOrder.get((int) (k % n))));
        }
        return out;
    }

    /**
     * One rollout of G completions per prompt from π_θold, scored: rows are grouped by prompt, G consecutive rows per
     * group.
     */
    private record Rollout(List<String> prompts, PromptBatch batch, Completions completions, List<RewardResult> results,
            double[] reward, long rolloutNanos, long rewardNanos) {

        /** The first {@code limit} kept groups of several rollouts, as one batch. */
        static Rollout join(List<Rollout> parts, List<List<Integer>> keptGroups, int g, int limit) {
            List<String> prompts = new ArrayList<>();
            List<int[]> promptRows = new ArrayList<>();
            List<int[]> tokens = new ArrayList<>();
            List<Integer> lengths = new ArrayList<>();
            List<Boolean> truncated = new ArrayList<>();
            List<String> texts = new ArrayList<>();
            List<RewardResult> results = new ArrayList<>();
            int groups = 0;
            for (int p = 0; p < parts.size() && groups < limit; p++) {
                Rollout r = parts.get(p);
                for (int group : keptGroups.get(p)) {
                    if (groups == limit) {
                        break;
                    }
                    for (int row = group * g; row < (group + 1) * g; row++) {
                        prompts.add(r.prompts.get(row));
                        promptRows.add(r.batch.tokens()[row]);
                        tokens.add(r.completions.tokens()[row]);
                        lengths.add(r.completions.lengths()[row]);
                        truncated.add(r.completions.truncated()[row]);
                        texts.add(r.completions.texts()[row]);
                        results.add(r.results.get(row));
                    }
                    groups++;
                }
            }
            int rows = prompts.size();
            int width = 1;
            int[] promptLengths = new int[rows];
            boolean[] cut = new boolean[rows];
            int[] completionLengths = new int[rows];
            for (int b = 0; b < rows; b++) {
                width = Math.max(width, promptRows.get(b).length);
                promptLengths[b] = promptRows.get(b).length;
                cut[b] = truncated.get(b);
                completionLengths[b] = lengths.get(b);
            }
            RewardStats scores = new RewardStats(rows);
            scores.addAll(results);
            return new Rollout(prompts, new PromptBatch(promptRows.toArray(int[][]::new), promptLengths, width),
                    new Completions(tokens.toArray(int[][]::new), completionLengths, cut, texts.toArray(String[]::new)),
                    results, scores.rewards(), 0, 0);
        }
    }

    /** Samples G completions for each of {@code items} and scores them; {@code round} seeds the sampling. */
    private Rollout rollout(List<Map<String, Object>> items, int round) {
        long t0 = System.nanoTime();
        int g = cfg.numGenerations();
        List<String> prompts = new ArrayList<>(items.size() * g);
        List<Map<String, Object>> rowItems = new ArrayList<>(items.size() * g);
        for (Map<String, Object> item : items) {
            for (int i = 0; i < g; i++) {
                prompts.add(String.valueOf(item.get("prompt")));
                rowItems.add(item);
            }
        }
        PromptBatch batch = PromptBatch.of(policy.tokenizer(), prompts, maxPromptTokens);
        // Round 0 draws exactly what plain GRPO draws; each further round of dynamic sampling a stream of its own.
        long seed = spec.seed() * 1_000_003L + step + round * 1_000_000_007L;
        Decoding decoding = new Decoding(cfg.temperature(), cfg.topP(), new Random(seed));
        Completions completions = Sampler.sample(policy, batch, cfg.maxCompletionLength(), decoding, true, root);
        long t1 = System.nanoTime();
        RewardStats scores = new RewardStats(prompts.size());
        List<RewardResult> results = RewardFunction.scoreSafely(spec.reward(),
                new RewardBatch(rowItems, List.of(completions.texts()), g, scoring));
        scores.addAll(results);
        long t2 = System.nanoTime();
        return new Rollout(prompts, batch, completions, results, scores.rewards(), t1 - t0, t2 - t1);
    }

    /**
     * The {@code count} prompts of dynamic sampling's round {@code round} at step {@code s}: drawn uniformly from the
     * prompt set by a stream seeded with the job's seed, the step and the round, so a resumed job draws the same.
     */
    private List<Map<String, Object>> extraPrompts(int s, int round, int count) {
        Random draw = new Random(spec.seed() * 1_000_033L + s * 131L + round);
        List<Map<String, Object>> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(spec.prompts().get(draw.nextInt(spec.prompts().size())));
        }
        return out;
    }

    @Override
    public Map<String, Double> trainStep() {
        Gradients.gradModeOff();
        check.atStep(step + 1);
        long t0 = System.nanoTime();
        int g = cfg.numGenerations();
        // 1-2. Rollout from π_θold and reward. With dynamic sampling (DAPO Sec. 3.2), groups whose rewards are all
        // equal are dropped and more prompts drawn, up to max_sampling_rounds rollouts.
        Rollout first = rollout(promptsFor(step), 0);
        Rollout used = first;
        int rounds = 1;
        int resampled = 0;
        long rolloutNanos = first.rolloutNanos;
        long rewardNanos = first.rewardNanos;
        if (cfg.dynamicSampling()) {
            List<Rollout> parts = new ArrayList<>();
            List<List<Integer>> keptGroups = new ArrayList<>();
            List<Integer> kept = DynamicSampling.informativeGroups(first.reward(), g);
            parts.add(first);
            keptGroups.add(kept);
            int keptCount = kept.size();
            for (int draw = DynamicSampling.toDraw(keptCount, cfg.promptsPerStep(), rounds, cfg.maxSamplingRounds());
                    draw > 0; draw = DynamicSampling.toDraw(keptCount, cfg.promptsPerStep(), rounds,
                            cfg.maxSamplingRounds())) {
                Rollout more = rollout(extraPrompts(step, rounds, draw), rounds);
                rolloutNanos += more.rolloutNanos;
                rewardNanos += more.rewardNanos;
                List<Integer> informative = DynamicSampling.informativeGroups(more.reward(), g);
                parts.add(more);
                keptGroups.add(informative);
                keptCount += informative.size();
                resampled += draw;
                rounds++;
            }
            if (keptCount > 0) {
                used = Rollout.join(parts, keptGroups, g, cfg.promptsPerStep());
            }
        }
        PromptBatch batch = used.batch();
        Completions completions = used.completions();
        RewardStats scores = new RewardStats(used.results().size());
        scores.addAll(used.results());
        double[] reward = scores.rewards();
        List<String> prompts = used.prompts();

        // 3. Advantage
        double[] advantage = GroupAdvantages.compute(reward, g, cfg.scaleRewards(), StdEstimator.UNBIASED); // as TRL

        // 4. Update: μ optimizer steps on the same rollout batch
        Map<String, Double> metrics = new LinkedHashMap<>();
        long t2 = System.nanoTime();
        UpdateStats stats = update(batch, completions, advantage);
        long t3 = System.nanoTime();

        double lr = schedule.at(step);
        step++;
        int rows = prompts.size();
        double lengthSum = 0;
        int truncated = 0;
        for (int b = 0; b < rows; b++) {
            lengthSum += completions.lengths()[b];
            truncated += completions.truncated()[b] ? 1 : 0;
        }
        metrics.put(MetricNames.TRAIN_LOSS, stats.loss);
        metrics.put(MetricNames.TRAIN_REWARD_MEAN, scores.mean());
        metrics.put(MetricNames.TRAIN_REWARD_STD, GroupAdvantages.std(reward, 0, rows));
        scores.componentMeans().forEach((name, mean) -> metrics.put(MetricNames.trainRewardComponent(name), mean));
        metrics.put(MetricNames.TRAIN_REWARD_ERRORS, (double) scores.errors());
        scores.errorsByKind().forEach((kind, n) -> metrics.put(MetricNames.trainRewardErrors(kind), (double) n));
        metrics.put(MetricNames.TRAIN_FRAC_REWARD_ZERO_STD, GroupAdvantages.fracZeroStd(reward, g));
        if (cfg.dynamicSampling()) {
            metrics.put(MetricNames.TRAIN_FRAC_REWARD_ZERO_STD_BEFORE_FILTER,
                    GroupAdvantages.fracZeroStd(first.reward(), g));
            metrics.put(MetricNames.TRAIN_RESAMPLED_GROUPS, (double) resampled);
            metrics.put(MetricNames.TRAIN_SAMPLING_ROUNDS, (double) rounds);
        }
        metrics.put(MetricNames.TRAIN_KL, stats.kl);
        metrics.put(MetricNames.TRAIN_CLIP_RATIO, stats.clipRatio);
        metrics.put(MetricNames.TRAIN_ENTROPY, stats.entropy);
        metrics.put(MetricNames.TRAIN_COMPLETION_LENGTH_MEAN, lengthSum / rows);
        metrics.put(MetricNames.TRAIN_TRUNCATED_RATIO, (double) truncated / rows);
        metrics.put(MetricNames.TRAIN_GRAD_NORM, stats.gradNorm);
        metrics.put(MetricNames.TRAIN_SKIPPED_STEPS, (double) stats.skipped);
        metrics.put(MetricNames.TRAIN_LR, lr);
        double seconds = (t3 - t0) / 1e9;
        metrics.put(MetricNames.PERF_TOKENS_PER_SECOND, (rows * (double) batch.width() + lengthSum) / seconds);
        metrics.put(MetricNames.PERF_ROLLOUT_SECONDS, rolloutNanos / 1e9);
        metrics.put(MetricNames.PERF_REWARD_SECONDS, rewardNanos / 1e9);
        metrics.put(MetricNames.PERF_UPDATE_SECONDS, (t3 - t2) / 1e9);
        DeviceInfo.putMemoryInUse(root.getDevice(), metrics);
        return metrics;
    }

    private static final class UpdateStats {
        double loss;
        double kl;
        double clipRatio;
        double entropy;
        double gradNorm;
        int skipped;
    }

    /** The rollout as update tensors: left-padded prompt + completion, shifted for next-token targets. */
    static final class UpdateBatch {
        NDArray inputs; // (B, Tp + Tc − 1) int32
        NDArray positions; // (B, Tp + Tc − 1) int32
        NDArray keyMask; // (B, Tp + Tc − 1) float32
        NDArray targets; // (B, Tc) int64 completion tokens
        NDArray mask; // (B, Tc) float32, 1 for tokens that count in the loss
        int promptWidth;

        /** Lends the forward inputs to {@code m} until it closes, so that a forward's arrays land in {@code m}. */
        void attachInputs(NDManager m) {
            inputs.tempAttach(m);
            positions.tempAttach(m);
            keyMask.tempAttach(m);
        }
    }

    UpdateBatch tensors(PromptBatch prompts, Completions c, NDManager m) {
        int rows = prompts.tokens().length;
        int tp = prompts.width();
        int tc = 1;
        for (int len : c.lengths()) {
            tc = Math.max(tc, len);
        }
        int width = tp + tc - 1;
        int[] in = new int[rows * width];
        int[] pos = new int[rows * width];
        float[] keyMask = new float[rows * width];
        long[] targets = new long[rows * tc];
        float[] mask = new float[rows * tc];
        for (int b = 0; b < rows; b++) {
            int pad = tp - prompts.lengths()[b];
            for (int t = 0; t < width; t++) {
                int tok = t < tp ? prompts.tokens()[b][t] : c.tokens()[b][t - tp];
                in[b * width + t] = tok;
                pos[b * width + t] = Math.max(0, t - pad);
                keyMask[b * width + t] = t < pad ? 0f : 1f;
            }
            boolean drop = cfg.maskTruncatedCompletions() && c.truncated()[b];
            for (int t = 0; t < tc; t++) {
                targets[b * tc + t] = t < c.tokens()[b].length ? c.tokens()[b][t] : policy.tokenizer().pad();
                mask[b * tc + t] = (!drop && t < c.lengths()[b]) ? 1f : 0f;
            }
        }
        UpdateBatch u = new UpdateBatch();
        u.inputs = m.create(in, new Shape(rows, width));
        u.positions = m.create(pos, new Shape(rows, width));
        u.keyMask = m.create(keyMask, new Shape(rows, width));
        u.targets = m.create(targets, new Shape(rows, tc));
        u.mask = m.create(mask, new Shape(rows, tc));
        u.promptWidth = tp;
        return u;
    }

    /**
     * (B, Tc, V) logits of the completion positions (position Tp − 1 predicts the first completion
     * token), divided by the sampling temperature so that log-probs are those of the distribution the
     * completions were drawn from (as TRL does).
     */
    /**
     * The logits that predict the completion tokens: the hidden states of positions Tp − 1 … Tp + Tc − 2, projected
     * onto the vocabulary. Only those positions are projected, not the prompt's, whose logits the loss never reads.
     */
    static NDArray completionLogits(CausalLm model, UpdateBatch u, double temperature) {
        NDArray hidden = model.hidden(u.inputs, u.positions, u.keyMask, null); // (B, Tp + Tc − 1, d)
        NDArray completion = model.logits(hidden.get(new NDIndex(":, " + (u.promptWidth - 1) + ":, :"))); // (B, Tc, V)
        return temperature == 1.0 ? completion : completion.div(Scalars.of(completion, temperature));
    }

    static NDArray tokenLogp(NDArray logits, NDArray targets) {
        return logits.logSoftmax(-1).gather(targets.expandDims(-1), -1).squeeze(-1); // (B, Tc)
    }

    private UpdateStats update(PromptBatch prompts, Completions c, double[] advantage) {
        UpdateStats stats = new UpdateStats();
        CausalLm lm = policy.lm();
        try (NDManager m = root.newSubManager()) {
            UpdateBatch u = tensors(prompts, c, m);
            float[] adv = new float[advantage.length];
            for (int i = 0; i < adv.length; i++) {
                adv[i] = (float) advantage[i];
            }
            NDArray advantages = m.create(adv); // (B)
            NDArray refLogp = scoredApart(reference, u, m); // (B, Tc), no gradient
            // With μ = 1, π_θold = π_θ and the ratio is exp(logp − logp.detach()) = 1 (TRL); otherwise
            // π_θold is fixed before the first update.
            NDArray oldLogp = cfg.numIterations() > 1 ? scoredApart(lm, u, m) : null;
            double tokenCount = Math.max(1, u.mask.sum().getFloat());
            for (int it = 0; it < cfg.numIterations(); it++) {
                Gradients.COLLECTOR_LOCK.lock();
                try (NDManager s = m.newSubManager()) {
                    u.attachInputs(s); // this iteration's forward and backward arrays are freed with s
                    requireGradients(true);
                    try (GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                        NDArray logits = completionLogits(lm, u, cfg.temperature()); // (B, Tc, V)
                        NDArray logp = tokenLogp(logits, u.targets); // (B, Tc)
                        NDArray old = oldLogp != null ? oldLogp : logp.stopGradient();
                        GrpoObjective.Result r = GrpoObjective.compute(logp, old, refLogp, advantages, u.mask, cfg,
                                cfg.maxCompletionLength());
                        double loss = r.loss().getFloat();
                        if (!Double.isFinite(loss)) {
                            throw new NumericalInstabilityException("GRPO loss is " + loss + " at step " + (step + 1));
                        }
                        if (it == 0) {
                            NDArray lp = logits.stopGradient().logSoftmax(-1); // (B, Tc, V)
                            NDArray entropy = lp.exp().mul(lp).sum(new int[] {-1}).neg(); // (B, Tc)
                            stats.entropy = entropy.mul(u.mask).sum().getFloat() / tokenCount;
                            stats.kl = r.klMean();
                        }
                        stats.loss += loss / cfg.numIterations();
                        stats.clipRatio += r.clipRatio() / cfg.numIterations();
                        gc.backward(r.loss());
                    }
                    double norm = Gradients.globalNorm(trainable, s);
                    if (!guard.admit(norm, trainable, s, step + 1)) {
                        stats.skipped = 1;
                        continue;
                    }
                    stats.gradNorm += norm / cfg.numIterations();
                    optimizer.step(trainable, schedule.at(step), Gradients.clipScale(norm, cfg.gradClip()));
                } finally {
                    requireGradients(false);
                    Gradients.COLLECTOR_LOCK.unlock();
                }
            }
        }
        return stats;
    }

    /**
     * (B, Tc) log-probs of the completion tokens under {@code model}, no gradient, kept in {@code m}. A forward's arrays
     * join the manager of its inputs, so the forward runs on inputs lent to a manager of its own: its (B, T, V) logits
     * and every layer's activations are freed here, before the next forward, instead of living through the update.
     */
    private NDArray scoredApart(CausalLm model, UpdateBatch u, NDManager m) {
        try (NDManager f = m.newSubManager()) {
            u.attachInputs(f);
            NDArray logp = tokenLogp(completionLogits(model, u, cfg.temperature()), u.targets); // (B, Tc)
            logp.attach(m);
            return logp;
        }
    }

    private void requireGradients(boolean on) {
        for (NDArray a : trainable.values()) {
            a.setRequiresGradient(on);
        }
    }

    /** Greedy decoding on up to {@code evalLimit} eval items: mean reward and accuracy. */
    @Override
    public Map<String, Double> evaluate() {
        check.atStep(0);
        Gradients.gradModeOff();
        List<Map<String, Object>> items = spec.evalPrompts().subList(0, Math.min(cfg.evalLimit(), spec.evalPrompts().size()));
        return GreedyEval.evaluate(policy, items, spec.reward(), spec.goldReward(), maxPromptTokens,
                cfg.maxCompletionLength(), cfg.accuracyThreshold(), scoring, root);
    }

    @Override
    public void saveCheckpoint(Path dir) throws IOException {
        CheckpointFiles.write(dir, KIND, step, spec.seed(), policy::save, optimizer, cfg);
    }

    @Override
    public void exportModel(Path dir) throws IOException {
        policy.save(dir);
    }

    @Override
    public void close() {
        if (policy != base) {
            policy.close();
        }
        base.close(); // frees the native tokenizer too
        root.close();
    }
}
