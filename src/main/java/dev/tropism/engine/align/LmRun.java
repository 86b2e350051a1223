package dev.tropism.engine.align;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import dev.tropism.engine.ConfigException;
import dev.tropism.engine.MetricNames;
import dev.tropism.engine.RewardStats;
import dev.tropism.engine.RunOptions;
import dev.tropism.engine.TrainingRun;
import dev.tropism.engine.lm.GreedyEval;
import dev.tropism.engine.lm.LanguageModel;
import dev.tropism.engine.lm.LmScoringContext;
import dev.tropism.engine.lm.Sampler.Decoding;
import dev.tropism.engine.nn.CheckpointFiles;
import dev.tropism.engine.nn.FiniteCheck;
import dev.tropism.engine.nn.Gradients;
import dev.tropism.engine.nn.LrSchedule;
import dev.tropism.engine.nn.NonFiniteGuard;
import dev.tropism.engine.rl.GroupAdvantages;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * What every {@link LmMethodType} run shares and no paper describes: the policy and its reference
 * ({@link AlignedPolicy}), the learning-rate schedule, the order of the training items, sampling and scoring, greedy
 * evaluation, checkpoints and native memory. A subclass holds one algorithm: its {@link #trainStep()} and, when it
 * trains more than the policy (a value head, an implicit PRM, log Z), that state's checkpoint files.
 *
 * <p>Every random choice is a function of (seed, step), so a run resumed from a checkpoint continues exactly.
 */
public abstract class LmRun implements TrainingRun {

    /** The sampling settings of a method that samples completions. */
    protected record Sampling(int maxCompletionLength, double temperature, double topP) {
    }

    protected final LmAlignSpec spec;
    protected final NDManager root;
    protected final AlignedPolicy model;
    protected final LanguageModel policy;
    protected final LrSchedule schedule;
    protected final PromptCycle<Map<String, Object>> cycle;
    protected final FiniteCheck check;
    protected final NonFiniteGuard guard;
    /** Prompt tokens kept at most (a longer prompt keeps its tail). */
    protected final int maxPromptTokens;
    /** What graders may ask of the policy and reference; null for methods without a reward. */
    protected final LmScoringContext scoring;
    /** The checkpoint this run resumes from, or null; its state is {@link #state}. */
    protected final Path checkpoint;
    protected final JsonObject state;
    private final String kind;
    private final Sampling sampling;
    private final LmMethodConfig config;
    protected int step;

    /**
     * Loads the models (from {@code checkpoint} when it is not null) and sets the run up.
     *
     * @param kind the checkpoint kind (the method's wire name), checked on resume
     * @param learningRate AdamW's peak learning rate, constant after warmup
     * @param weightDecay AdamW's decoupled weight decay
     * @param beta2 AdamW's β₂
     * @param sampling the method's sampling settings; null when it samples nothing
     */
    protected LmRun(LmAlignSpec spec, Path checkpoint, RunOptions options, String kind, double learningRate,
            double weightDecay, double beta2, Sampling sampling) throws IOException {
        this.spec = spec;
        this.kind = kind;
        this.sampling = sampling;
        this.config = spec.config();
        this.checkpoint = checkpoint;
        this.check = FiniteCheck.of(options.checkFinite());
        this.guard = new NonFiniteGuard(check);
        this.cycle = new PromptCycle<>(spec.items(), spec.seed());
        this.root = NDManager.newBaseManager(options.device()); // every model, state and step array descends from it
        try {
            state = checkpoint == null ? null : CheckpointFiles.readState(checkpoint, kind, spec.seed());
            model = new AlignedPolicy(spec.baseModel(), spec.lora(), checkpoint, state, spec.seed(), weightDecay, beta2,
                    root);
            policy = model.policy();
            int block = policy.lm().contextLength();
            int completion = sampling == null ? 0 : sampling.maxCompletionLength();
            maxPromptTokens = block - completion;
            if (sampling != null && maxPromptTokens < 2) {
                model.close();
                throw new ConfigException("max_completion_length", "must leave room for the prompt within the model's "
                        + "context of " + block + " tokens, got " + completion);
            }
            model.checkFinite(check);
            if (state != null) {
                step = state.get("step").getAsInt();
            }
            // Constant after warmup, as GRPO: resumed and extended runs stay comparable. minRatio 1 turns the cosine off.
            schedule = new LrSchedule(learningRate, config.warmupSteps(), config.maxSteps(), 1.0);
            scoring = sampling == null ? null : new LmScoringContext(policy, model.referenceModel(), spec.seed(),
                    maxPromptTokens, completion, sampling.temperature(), sampling.topP(), root);
        } catch (IOException | RuntimeException e) {
            root.close();
            throw e;
        }
    }

    public LanguageModel policy() {
        return policy;
    }

    /** The manager every array of this run descends from (tests). */
    public NDManager root() {
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
        return config.maxSteps();
    }

    @Override
    public int evalInterval() {
        return spec.evalItems().isEmpty() ? 0 : config.evalInterval();
    }

    /** This step's learning rate. */
    protected double lr() {
        return schedule.at(step);
    }

    /**
     * Samples {@code g} completions for each of {@code items} at the current step and scores them with the reward;
     * {@code stream} tells apart several rollouts of one step (0 for the first).
     */
    protected GroupRollout rollout(List<Map<String, Object>> items, int g, int stream) {
        long seed = spec.seed() * 1_000_003L + step + stream * 1_000_000_007L;
        Decoding decoding = new Decoding(sampling.temperature(), sampling.topP(), new Random(seed));
        return GroupRollout.draw(policy, items, g, maxPromptTokens, sampling.maxCompletionLength(), decoding,
                spec.reward(), scoring, root);
    }

    /**
     * The metrics every sampling method reports of its rollout: reward mean, std and per-grader means, reward errors,
     * the share of zero-variance groups, completion lengths and truncation, and the time spent sampling and scoring.
     */
    protected static void putRolloutMetrics(Map<String, Double> metrics, GroupRollout r, int g) {
        RewardStats scores = r.stats();
        int rows = r.rows();
        double lengthSum = 0;
        int truncated = 0;
        for (int b = 0; b < rows; b++) {
            lengthSum += r.completions().lengths()[b];
            truncated += r.completions().truncated()[b] ? 1 : 0;
        }
        metrics.put(MetricNames.TRAIN_REWARD_MEAN, scores.mean());
        metrics.put(MetricNames.TRAIN_REWARD_STD, GroupAdvantages.std(r.reward(), 0, rows));
        scores.componentMeans().forEach((name, m) -> metrics.put(MetricNames.trainRewardComponent(name), m));
        metrics.put(MetricNames.TRAIN_REWARD_ERRORS, (double) scores.errors());
        scores.errorsByKind().forEach((kind, n) -> metrics.put(MetricNames.trainRewardErrors(kind), (double) n));
        metrics.put(MetricNames.TRAIN_FRAC_REWARD_ZERO_STD, GroupAdvantages.fracZeroStd(r.reward(), g));
        metrics.put(MetricNames.TRAIN_COMPLETION_LENGTH_MEAN, lengthSum / rows);
        metrics.put(MetricNames.TRAIN_TRUNCATED_RATIO, (double) truncated / rows);
        metrics.put(MetricNames.PERF_ROLLOUT_SECONDS, r.rolloutNanos() / 1e9);
        metrics.put(MetricNames.PERF_REWARD_SECONDS, r.rewardNanos() / 1e9);
    }

    /**
     * Greedy decoding on up to {@code evalLimit} eval items scored by the reward (and the gold reward): mean reward
     * and accuracy. Methods without a reward override it.
     */
    protected Map<String, Double> greedyEval(int evalLimit, double accuracyThreshold) {
        check.atStep(0);
        Gradients.gradModeOff();
        List<Map<String, Object>> items = spec.evalItems().subList(0, Math.min(evalLimit, spec.evalItems().size()));
        return GreedyEval.evaluate(policy, items, spec.reward(), spec.goldReward(), maxPromptTokens,
                sampling.maxCompletionLength(), accuracyThreshold, scoring, root);
    }

    @Override
    public void saveCheckpoint(Path dir) throws IOException {
        model.save(dir, kind, step, spec.seed(), (Record) config);
        saveExtra(dir);
    }

    /** Writes the run's further trained state (beside the policy's) into the checkpoint {@code dir}. */
    protected void saveExtra(Path dir) throws IOException {
    }

    @Override
    public void exportModel(Path dir) throws IOException {
        policy.save(dir);
    }

    /** Frees the run's further native state; called before the models and the root manager close. */
    protected void closeExtra() {
    }

    @Override
    public final void close() {
        try {
            closeExtra();
        } finally {
            model.close();
            root.close();
        }
    }
}
