package dev.tropism.engine.rl;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import dev.tropism.engine.ConfigException;
import dev.tropism.engine.DeviceInfo;
import dev.tropism.engine.MetricNames;
import dev.tropism.engine.RewardStats;
import dev.tropism.engine.RunOptions;
import dev.tropism.engine.TrainingRun;
import dev.tropism.engine.align.AlignedPolicy;
import dev.tropism.engine.align.CompletionBatch;
import dev.tropism.engine.align.GroupRollout;
import dev.tropism.engine.align.PromptCycle;
import dev.tropism.engine.lm.CausalLm;
import dev.tropism.engine.lm.GreedyEval;
import dev.tropism.engine.lm.LanguageModel;
import dev.tropism.engine.lm.LmScoringContext;
import dev.tropism.engine.lm.Sampler.Completions;
import dev.tropism.engine.lm.Sampler.Decoding;
import dev.tropism.engine.lm.Sampler.PromptBatch;
import dev.tropism.engine.nn.CheckpointFiles;
import dev.tropism.engine.nn.FiniteCheck;
import dev.tropism.engine.nn.Gradients;
import dev.tropism.engine.nn.LrSchedule;
import dev.tropism.engine.nn.NonFiniteGuard;
import dev.tropism.engine.rl.GroupAdvantages.StdEstimator;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
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
    private final AlignedPolicy model;
    private final LanguageModel policy;
    /** What graders may ask of the policy and the reference model (likelihood and shaped rewards). */
    private final LmScoringContext scoring;
    private final LrSchedule schedule;
    private final PromptCycle<Map<String, Object>> cycle;
    private final int maxPromptTokens;
    private int step;
    private final FiniteCheck check;
    private final NonFiniteGuard guard;

    public GrpoRun(GrpoSpec spec, Path checkpoint) throws IOException {
        this(spec, checkpoint, RunOptions.DEFAULTS);
    }

    /** A run on {@code options}' device, which may turn on anomaly mode ({@link RunOptions#checkFinite()}). */
    public GrpoRun(GrpoSpec spec, Path checkpoint, RunOptions options) throws IOException {
        this.check = FiniteCheck.of(options.checkFinite());
        this.guard = new NonFiniteGuard(check);
        this.spec = spec;
        this.cfg = spec.config();
        this.cycle = new PromptCycle<>(spec.prompts(), spec.seed());
        this.root = NDManager.newBaseManager(options.device()); // every model, state and step array descends from it
        try {
            JsonObject state = checkpoint == null ? null : CheckpointFiles.readState(checkpoint, KIND, spec.seed());
            model = new AlignedPolicy(spec.baseModel(), spec.lora(), checkpoint, state, spec.seed(), cfg.weightDecay(),
                    0.99, root);
            policy = model.policy();
            int block = policy.lm().contextLength();
            maxPromptTokens = block - cfg.maxCompletionLength();
            if (maxPromptTokens < 2) {
                model.close();
                throw new ConfigException("max_completion_length", "must leave room for the prompt within the model's "
                        + "context of " + block + " tokens, got " + cfg.maxCompletionLength());
            }
            model.checkFinite(check);
            if (state != null) {
                step = state.get("step").getAsInt();
            }
            // Constant after warmup (TRL's GRPO default schedule is linear decay; constant keeps resumed
            // and extended runs comparable). minRatio 1 turns the cosine off.
            schedule = new LrSchedule(cfg.learningRate(), cfg.warmupSteps(), cfg.maxSteps(), 1.0);
            scoring = new LmScoringContext(policy, model.referenceModel(), spec.seed(), maxPromptTokens,
                    cfg.maxCompletionLength(), cfg.temperature(), cfg.topP(), root);
        } catch (IOException | RuntimeException e) {
            root.close();
            throw e;
        }
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

    /** Samples G completions for each of {@code items} and scores them; {@code round} seeds the sampling. */
    private GroupRollout rollout(List<Map<String, Object>> items, int round) {
        // Round 0 draws exactly what plain GRPO draws; each further round of dynamic sampling a stream of its own.
        long seed = spec.seed() * 1_000_003L + step + round * 1_000_000_007L;
        Decoding decoding = new Decoding(cfg.temperature(), cfg.topP(), new Random(seed));
        return GroupRollout.draw(policy, items, cfg.numGenerations(), maxPromptTokens, cfg.maxCompletionLength(),
                decoding, spec.reward(), scoring, root);
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
        GroupRollout first = rollout(cycle.at(step, cfg.promptsPerStep()), 0);
        GroupRollout used = first;
        int rounds = 1;
        int resampled = 0;
        long rolloutNanos = first.rolloutNanos();
        long rewardNanos = first.rewardNanos();
        if (cfg.dynamicSampling()) {
            List<GroupRollout> parts = new ArrayList<>();
            List<List<Integer>> keptGroups = new ArrayList<>();
            List<Integer> kept = DynamicSampling.informativeGroups(first.reward(), g);
            parts.add(first);
            keptGroups.add(kept);
            int keptCount = kept.size();
            for (int draw = DynamicSampling.toDraw(keptCount, cfg.promptsPerStep(), rounds, cfg.maxSamplingRounds());
                    draw > 0; draw = DynamicSampling.toDraw(keptCount, cfg.promptsPerStep(), rounds,
                            cfg.maxSamplingRounds())) {
                GroupRollout more = rollout(extraPrompts(step, rounds, draw), rounds);
                rolloutNanos += more.rolloutNanos();
                rewardNanos += more.rewardNanos();
                List<Integer> informative = DynamicSampling.informativeGroups(more.reward(), g);
                parts.add(more);
                keptGroups.add(informative);
                keptCount += informative.size();
                resampled += draw;
                rounds++;
            }
            if (keptCount > 0) {
                used = GroupRollout.join(parts, keptGroups, g, cfg.promptsPerStep());
            }
        }
        PromptBatch batch = used.batch();
        Completions completions = used.completions();
        RewardStats scores = used.stats();
        double[] reward = used.reward();
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

    private UpdateStats update(PromptBatch prompts, Completions c, double[] advantage) {
        UpdateStats stats = new UpdateStats();
        CausalLm lm = policy.lm();
        try (NDManager m = root.newSubManager()) {
            CompletionBatch u = CompletionBatch.of(prompts, c, cfg.maskTruncatedCompletions(), policy.tokenizer().pad(), m);
            float[] adv = new float[advantage.length];
            for (int i = 0; i < adv.length; i++) {
                adv[i] = (float) advantage[i];
            }
            NDArray advantages = m.create(adv); // (B)
            NDArray refLogp = u.logpApart(model.reference(), cfg.temperature(), m); // (B, Tc), no gradient
            // With μ = 1, π_θold = π_θ and the ratio is exp(logp − logp.detach()) = 1 (TRL); otherwise
            // π_θold is fixed before the first update.
            NDArray oldLogp = cfg.numIterations() > 1 ? u.logpApart(lm, cfg.temperature(), m) : null;
            double tokenCount = u.tokenCount();
            for (int it = 0; it < cfg.numIterations(); it++) {
                boolean first = it == 0;
                double[] clipRatio = new double[1];
                AlignedPolicy.Update done = model.update(m, s -> {
                    u.attachInputs(s); // this iteration's forward and backward arrays are freed with s
                    NDArray logits = u.completionLogits(lm, cfg.temperature()); // (B, Tc, V)
                    NDArray logp = CompletionBatch.tokenLogp(logits, u.targets); // (B, Tc)
                    NDArray old = oldLogp != null ? oldLogp : logp.stopGradient();
                    GrpoObjective.Result r = GrpoObjective.compute(logp, old, refLogp, advantages, u.mask, cfg,
                            cfg.maxCompletionLength());
                    if (first) {
                        NDArray lp = logits.stopGradient().logSoftmax(-1); // (B, Tc, V)
                        NDArray entropy = lp.exp().mul(lp).sum(new int[] {-1}).neg(); // (B, Tc)
                        stats.entropy = entropy.mul(u.mask).sum().getFloat() / tokenCount;
                        stats.kl = r.klMean();
                    }
                    clipRatio[0] = r.clipRatio();
                    return r.loss();
                }, schedule.at(step), cfg.gradClip(), guard, "GRPO", step + 1);
                stats.loss += done.loss() / cfg.numIterations();
                stats.clipRatio += clipRatio[0] / cfg.numIterations();
                if (done.skipped()) {
                    stats.skipped = 1;
                    continue;
                }
                stats.gradNorm += done.gradNorm() / cfg.numIterations();
            }
        }
        return stats;
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
        model.save(dir, KIND, step, spec.seed(), cfg);
    }

    @Override
    public void exportModel(Path dir) throws IOException {
        policy.save(dir);
    }

    @Override
    public void close() {
        model.close();
        root.close();
    }
}
