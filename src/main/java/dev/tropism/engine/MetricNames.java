package dev.tropism.engine;

/**
 * Every metric name, in one place. Names are slash-namespaced and identical in the database, in the
 * REST API, in the UI and in Prometheus (as the {@code name} tag of the {@code tropism_job_metric} gauge).
 */
public final class MetricNames {

    private MetricNames() {
    }

    // --- training (per optimizer step) ---
    public static final String TRAIN_LOSS = "train/loss";
    public static final String TRAIN_GRAD_NORM = "train/grad_norm";
    /** 1 when this step's update was skipped because its gradient was not finite, else 0. */
    public static final String TRAIN_SKIPPED_STEPS = "train/skipped_steps";
    public static final String TRAIN_LR = "train/lr";
    public static final String TRAIN_REWARD_MEAN = "train/reward/mean";
    public static final String TRAIN_REWARD_STD = "train/reward/std";
    public static final String TRAIN_REWARD_ERRORS = "train/reward/errors";
    public static final String TRAIN_FRAC_REWARD_ZERO_STD = "train/frac_reward_zero_std";
    /** GRPO with dynamic sampling: the fraction of zero-variance groups in the step's first rollout, before the filter. */
    public static final String TRAIN_FRAC_REWARD_ZERO_STD_BEFORE_FILTER = "train/frac_reward_zero_std_before_filter";
    /** GRPO with dynamic sampling: prompt groups drawn beyond the first rollout. */
    public static final String TRAIN_RESAMPLED_GROUPS = "train/resampled_groups";
    /** GRPO with dynamic sampling: rollouts made this step, the first included. */
    public static final String TRAIN_SAMPLING_ROUNDS = "train/sampling_rounds";
    public static final String TRAIN_KL = "train/kl";
    public static final String TRAIN_CLIP_RATIO = "train/clip_ratio";
    public static final String TRAIN_ENTROPY = "train/entropy";
    public static final String TRAIN_COMPLETION_LENGTH_MEAN = "train/completion_length/mean";
    public static final String TRAIN_TRUNCATED_RATIO = "train/completion_truncated_ratio";
    /** PPO: the clipped policy loss L_π, averaged over the step's updates ({@code train/loss} adds c_V·L_V). */
    public static final String TRAIN_POLICY_LOSS = "train/policy_loss";
    /** PPO: the clipped value loss L_V of the value head, averaged over the step's updates. */
    public static final String TRAIN_VALUE_LOSS = "train/value_loss";
    /** PPO: share of completion tokens whose value loss is the clipped term. */
    public static final String TRAIN_VALUE_CLIP_RATIO = "train/value_clip_ratio";
    /** PPO: mean V(s_t) of the rollout's completion tokens. */
    public static final String TRAIN_VALUE_MEAN = "train/value/mean";
    /** PPO: mean GAE advantage of the rollout's completion tokens, before whitening. */
    public static final String TRAIN_ADVANTAGE_MEAN = "train/advantage/mean";
    /** PPO: 1 − Var(returns − values) / Var(returns) over the rollout's completion tokens. */
    public static final String TRAIN_EXPLAINED_VARIANCE = "train/explained_variance";
    /** Reward models: share of the batch's pairs where r(chosen) &gt; r(rejected). */
    public static final String TRAIN_ACCURACY = "train/accuracy";
    /** Reward models: mean margin r(chosen) − r(rejected) over the batch's pairs. */
    public static final String TRAIN_MARGIN_MEAN = "train/margin/mean";
    /** SFT: share of the step's counted (completion) tokens that are the argmax of their logits, as TRL logs it. */
    public static final String TRAIN_MEAN_TOKEN_ACCURACY = "train/mean_token_accuracy";
    /** SFT: the step's counted (completion) tokens, over which its loss is the mean. */
    public static final String TRAIN_TOKENS = "train/tokens";
    /** PRIME: the implicit PRM's cross-entropy on the step's outcome labels (before its update). */
    public static final String TRAIN_PRM_LOSS = "train/prm/loss";
    /** PRIME: share of the step's completions whose implicit reward has the outcome label's sign (before the update). */
    public static final String TRAIN_PRM_ACCURACY = "train/prm/accuracy";
    /** PRIME: mean sequence-level implicit reward β·Σ_t log(π_φ/π_ref) of the step's completions (updated PRM). */
    public static final String TRAIN_IMPLICIT_REWARD_MEAN = "train/implicit_reward/mean";
    /** PRIME: share of the step's prompt groups left out by the online accuracy filter. */
    public static final String TRAIN_FILTERED_FRACTION = "train/filtered_fraction";
    /** SuperHF: mean reward of the completions kept for the supervised update (the best of each prompt's N). */
    public static final String TRAIN_KEPT_REWARD_MEAN = "train/kept_reward/mean";
    /** Completions scored by the reward so far, this step included (cumulative). */
    public static final String TRAIN_REWARD_CALLS = "train/reward_calls";
    /** GFlowNet: mean learned log Z(x) over the step's prompts (SubTB: the implied log F(s_0)). */
    public static final String TRAIN_LOG_Z_MEAN = "train/log_z/mean";
    /** Mean number of distinct completions per prompt whose reward reaches the accuracy threshold, in the rollout. */
    public static final String TRAIN_DISTINCT_CORRECT = "train/distinct_correct";
    /** GFlowNet: share of the step's training rows drawn from the replay buffer. */
    public static final String TRAIN_REPLAY_FRACTION = "train/replay_fraction";
    /**
     * DPO and online DPO (TRL's names): the mean implicit reward β·log(π_θ(y|x)/π_ref(y|x)) of the step's chosen and
     * rejected completions, their mean margin, and the share of pairs whose chosen reward is strictly the larger.
     */
    public static final String TRAIN_REWARDS_CHOSEN = "train/rewards/chosen";
    public static final String TRAIN_REWARDS_REJECTED = "train/rewards/rejected";
    public static final String TRAIN_REWARDS_MARGINS = "train/rewards/margins";
    public static final String TRAIN_REWARDS_ACCURACIES = "train/rewards/accuracies";

    // --- flow-matching jobs ---
    /** The gold (evaluation-only) reward of the step's training samples: never optimized. */
    public static final String TRAIN_GOLD_MEAN = "train/gold/mean";
    /** Mean pairwise L2 distance between a step's samples in the diversity feature space (gold classifier). */
    public static final String TRAIN_DIVERSITY = "train/diversity";
    /** The same over the fixed-seed eval samples. */
    public static final String EVAL_DIVERSITY = "eval/diversity";
    /** Mean and variance of the importance ratio over the trained steps (GRPO-Guard's diagnosis). */
    public static final String TRAIN_RATIO_MEAN = "train/ratio/mean";
    public static final String TRAIN_RATIO_VAR = "train/ratio/var";
    /** Share of noisy steps whose dense reward gain is positive (DenseGRPO, TP-GRPO). */
    public static final String TRAIN_POSITIVE_GAIN_FRACTION = "train/positive_gain_fraction";
    /** TP-GRPO: share of (sample, step) pairs detected as turning points. */
    public static final String TRAIN_TURNING_POINT_FRACTION = "train/turning_point_fraction";
    /** Flow-DPO: share of pairs whose implicit reward ranks the winner first. */
    public static final String TRAIN_PREFERENCE_ACCURACY = "train/preference_accuracy";
    /** Wall time of ODE completions from intermediate states (DenseGRPO, TempFlow, TP-GRPO). */
    public static final String PERF_COMPLETION_SECONDS = "perf/completion_seconds";

    /** GRPO-Guard: {@code train/ratio/step<k>/mean} and {@code /var}, the ratio's moments at denoising step k. */
    public static String trainRatioAtStep(int k, String moment) {
        return "train/ratio/step" + k + "/" + moment;
    }

    /** Pretraining of {@code tiny-flow}: {@code train/classifier/<role>/heldout_accuracy}. */
    public static String classifierAccuracy(String role) {
        return "train/classifier/" + role + "/heldout_accuracy";
    }

    // --- speed ---
    public static final String PERF_TOKENS_PER_SECOND = "perf/tokens_per_second";
    public static final String PERF_ROLLOUT_SECONDS = "perf/rollout_seconds";
    public static final String PERF_REWARD_SECONDS = "perf/reward_seconds";
    public static final String PERF_UPDATE_SECONDS = "perf/update_seconds";
    /** Wall time between two optimizer steps spent outside the engine and outside evaluation: database
     * writes, events, checkpoint scheduling and batch bookkeeping (recorded by the job machinery). */
    public static final String PERF_BOOKKEEPING_SECONDS = "perf/bookkeeping_seconds";
    /** Wall time of the engine's trainStep (rollout, reward, update). */
    public static final String PERF_STEP_SECONDS = "perf/step_seconds";
    /** Resident set size of the training process after the step, in MiB. */
    public static final String PERF_RSS_MIB = "perf/rss_mib";
    /** Memory in use on the run's GPU after the step, in MiB (total − free, as nvidia-smi counts it: PyTorch's cache
     * and other processes included); absent on the CPU. See {@link DeviceInfo#memoryInUseMiB}. */
    public static final String PERF_DEVICE_MEMORY_MIB = "perf/device_memory_mib";

    // --- cost (recorded by the job machinery, issue 17) ---
    /** The job's spend so far, cumulative, in {@code tropism.pricing.currency}: device-seconds × their price. */
    public static final String COST_SPEND = "cost/spend";
    /** The device-seconds the job's launches held their device so far, cumulative (evaluation and checkpoints
     * included). */
    public static final String COST_DEVICE_SECONDS = "cost/device_seconds";

    // --- evaluation (every eval_interval steps) ---
    public static final String EVAL_LOSS = "eval/loss";
    public static final String EVAL_REWARD_MEAN = "eval/reward/mean";
    /** Share of correct eval samples; for reward models, held-out pairwise accuracy. */
    public static final String EVAL_ACCURACY = "eval/accuracy";
    /** Reward models: expected calibration error of σ(r_c − r_r) on the held-out pairs (10 bins). */
    public static final String EVAL_CALIBRATION_ECE = "eval/calibration_ece";
    /** SFT: {@link #TRAIN_MEAN_TOKEN_ACCURACY} on the eval set's counted tokens. */
    public static final String EVAL_MEAN_TOKEN_ACCURACY = "eval/mean_token_accuracy";
    /** Mean number of distinct correct completions among fixed-seed samples per eval prompt (GFlowNet). */
    public static final String EVAL_DISTINCT_CORRECT = "eval/distinct_correct";
    /** DPO: the same implicit-reward statistics as {@link #TRAIN_REWARDS_CHOSEN} and its siblings, on the eval pairs. */
    public static final String EVAL_REWARDS_CHOSEN = "eval/rewards/chosen";
    public static final String EVAL_REWARDS_REJECTED = "eval/rewards/rejected";
    public static final String EVAL_REWARDS_MARGINS = "eval/rewards/margins";
    public static final String EVAL_REWARDS_ACCURACIES = "eval/rewards/accuracies";

    public static final String EVAL_REWARD_PREFIX = "eval/reward";
    /** The gold (evaluation-only) reward of a job's {@code eval_reward_spec}: never optimized. */
    public static final String EVAL_GOLD_PREFIX = "eval/gold";
    public static final String EVAL_GOLD_MEAN = "eval/gold/mean";
    public static final String EVAL_GOLD_ACCURACY = "eval/gold/accuracy";

    /** {@code train/reward/<grader>/mean} for one named reward component. */
    public static String trainRewardComponent(String grader) {
        return "train/reward/" + grader + "/mean";
    }

    /** {@code train/reward/errors/<kind>}: this step's per-sample reward errors of one kind. */
    public static String trainRewardErrors(String kind) {
        return "train/reward/errors/" + kind;
    }

    /** {@code <prefix>/<grader>/mean}, e.g. {@code eval/gold/correct/mean}. */
    public static String component(String prefix, String grader) {
        return prefix + "/" + grader + "/mean";
    }
}
