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
    /** Reward models: share of the batch's pairs where r(chosen) &gt; r(rejected). */
    public static final String TRAIN_ACCURACY = "train/accuracy";
    /** Reward models: mean margin r(chosen) − r(rejected) over the batch's pairs. */
    public static final String TRAIN_MARGIN_MEAN = "train/margin/mean";
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

    // --- evaluation (every eval_interval steps) ---
    public static final String EVAL_LOSS = "eval/loss";
    public static final String EVAL_REWARD_MEAN = "eval/reward/mean";
    /** Share of correct eval samples; for reward models, held-out pairwise accuracy. */
    public static final String EVAL_ACCURACY = "eval/accuracy";
    /** Reward models: expected calibration error of σ(r_c − r_r) on the held-out pairs (10 bins). */
    public static final String EVAL_CALIBRATION_ECE = "eval/calibration_ece";
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
