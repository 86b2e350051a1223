package dev.tropism.engine.align;

import static dev.tropism.engine.ConfigException.require;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import dev.tropism.engine.DeviceInfo;
import dev.tropism.engine.MetricNames;
import dev.tropism.engine.RewardBatch;
import dev.tropism.engine.RewardFunction;
import dev.tropism.engine.RewardResult;
import dev.tropism.engine.RunOptions;
import dev.tropism.engine.lm.CausalLm;
import dev.tropism.engine.lm.Sampler.Completions;
import dev.tropism.engine.lm.Sampler.Decoding;
import dev.tropism.engine.lm.Tokenizer;
import dev.tropism.engine.nn.Gradients;
import dev.tropism.engine.nn.NonFiniteGuard;
import dev.tropism.engine.nn.Scalars;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

/**
 * GFlowNet fine-tuning: the language model becomes an amortized sampler of completions y with probability proportional
 * to R(x, y)^(1/T) (Hu et al. 2024, "Amortizing intractable inference in large language models", ICLR, Sec. 3), trained
 * by trajectory balance (Malkin et al. 2022, "Trajectory balance: Improved credit assignment in GFlowNets", Sec. 3) or
 * by Hu et al.'s modified subtrajectory balance (after Madan et al. 2023, "Learning GFlowNets from partial episodes for
 * improved convergence and stability"). A reward maximizer (RLOO, GRPO) is free to collapse onto one good answer;
 * the GFlowNet's optimum samples every good answer in proportion to its reward, so it keeps several distinct correct
 * answers.
 *
 * <p>A completion y = y_1 … y_n ⊤ is a trajectory s_0 → s_1 → … → s_n → ⊤ through the states s_i = (x, y_{1:i}), and
 * π_θ(⊤ | s) is the model's probability of the end-of-sequence token. Each state has one parent, so the backward policy
 * is 1 and drops out of both losses. The reward enters through
 * <pre>
 *   log R̃(x, y) = log(max(R(x, y), 0) + ε) / T        (ε = reward_floor keeps R = 0 finite; T = reward_temperature)
 * </pre>
 * <b>Trajectory balance</b> ({@code trajectory_balance}), with a learned log Z(x) per prompt:
 * <pre>
 *   δ(x, y) = log Z(x) + Σ_{t=1}^{n+1} log π_θ(y_t | x, y_{&lt;t}) − log R̃(x, y)      (y_{n+1} = ⊤)
 *   L = (1 / B) · Σ_b δ(x_b, y_b)²
 * </pre>
 * At L = 0, π_θ(y | x) = R̃(x, y) / Z(x) for every y and Z(x) = Σ_y R̃(x, y). log Z(x) is a table with one entry per
 * dataset prompt (initialised to 0). Its gradient is ∂L/∂log Z(x) = (2/B)·Σ_{b: x_b = x} δ_b; each entry takes its own
 * Adam step at {@code log_z_learning_rate} when its prompt is in the batch (a row-wise, "lazy" Adam: a dense Adam over the
 * table would keep moving the entries of absent prompts on stale momentum).
 *
 * <p><b>Subtrajectory balance</b> ({@code subtb}), as in Hu et al.'s code ({@code modified_subtb_loss}): every state may
 * terminate, so the flow of a state is F(s_i) = R̃(s_i ⊤) / π_θ(⊤ | s_i), where R̃(s_i ⊤) is the reward of the prefix
 * y_{1:i} scored as a completion, and no log Z is learned. Each transition s_i → s_{i+1} (i = 0 … n − 1) has the
 * residual
 * <pre>
 *   δ_i = log R̃(s_i ⊤) + log π_θ(y_{i+1} | s_i) + log π_θ(⊤ | s_{i+1}) − log R̃(s_{i+1} ⊤) − log π_θ(⊤ | s_i)
 * </pre>
 * and every subtrajectory s_i → s_j (0 ≤ i &lt; j ≤ n) its balance Σ_{k=i}^{j−1} δ_k, weighted by λ^{j−i−1}:
 * <pre>
 *   L = Σ_b Σ_{0≤i&lt;j≤n_b} λ^{j−i−1} · (Σ_{k=i}^{j−1} δ_{b,k})²  /  Σ_b Σ_{0≤i&lt;j≤n_b} λ^{j−i−1}
 * </pre>
 * The reward spec scores every prefix (n extra reward calls per completion). A completion that ends at once (n = 0)
 * has no transition and adds nothing. {@code train/log_z/mean} then reports the implied log Z(x) = log F(s_0) =
 * log R̃(x ⊤) − log π_θ(⊤ | x).
 *
 * <p><b>Sampling.</b> Each step samples G completions per prompt at {@code temperature} and {@code top_p}: tempered
 * off-policy exploration, as Hu et al. do; the losses always use π_θ itself (temperature 1). A completion cut at
 * {@code max_completion_length} is closed with ⊤ (forced termination, as Hu et al.'s sampler does at its maximum length)
 * and trained on with π_θ's own probability of ⊤ there. With a replay buffer ({@link ReplayBuffer}),
 * k = round(replay_ratio · G) of each prompt's G training rows are drawn from the prompt's buffer instead of the fresh
 * samples (when it holds any); the rollout metrics and {@code train/distinct_correct} describe the G fresh samples, which
 * are then offered to the buffer.
 */
public final class GflowNetRun extends LmRun {

    /** The balance condition trained. */
    public enum LossType {
        /** Trajectory balance with a learned log Z per prompt (Malkin et al. 2022). */
        TRAJECTORY_BALANCE,
        /** Hu et al.'s modified subtrajectory balance over every prefix, λ-weighted (Madan et al. 2023). */
        SUBTB
    }

    /**
     * Hyperparameters of GFlowNet fine-tuning, named after Hu et al.'s code where it has the knob.
     *
     * @param maxSteps rollout batches of the run, one optimizer step each; default 150
     * @param promptsPerStep distinct prompts per rollout batch; default 16
     * @param numGenerations G, completions sampled per prompt; default 8
     * @param lossType {@code trajectory_balance} (default) or {@code subtb}
     * @param rewardTemperature T: the sampler targets R^(1/T); below 1 sharpens towards the best answers; default 1.0
     * @param rewardFloor ε of log(R + ε): a zero reward's log stays finite, at log ε; default 1e-6. Every possible
     *     completion keeps target mass ∝ ε, so ε times the number of plausible wrong completions should stay small next
     *     to the total reward of the right ones (on the x/y/z test task, 1e-4 learned more slowly than 1e-6)
     * @param learningRate AdamW learning rate of the policy, constant after warmup; default 3e-4 for the tiny model
     * @param logZLearningRate Adam learning rate of the log Z table (trajectory balance); default 0.1, as Malkin et al.
     *     train log Z ten to a hundred times faster than the policy
     * @param subtbLambda λ, the weight λ^(j−i−1) of a subtrajectory of j − i transitions (subtb); default 1.0, Hu et al.'s
     * @param replayBufferSize distinct completions kept per prompt, highest reward first; default 16; 0 disables replay
     * @param replayRatio share of each prompt's G training rows drawn from its buffer; default 0.25
     * @param warmupSteps linear warmup of the policy's learning rate; default 5
     * @param weightDecay AdamW decoupled weight decay; default 0
     * @param gradClip global L2 norm clip of the policy's gradient; default 1.0 (0 disables)
     * @param maxCompletionLength tokens sampled per completion at most; default 8
     * @param temperature sampling temperature of rollouts (exploration); default 1.0 (on-policy)
     * @param topP nucleus mass of rollouts; default 1.0 (off)
     * @param evalInterval steps between evaluations; default 25; 0 disables
     * @param evalLimit eval items used at most; default 1000
     * @param accuracyThreshold a sample counts as correct when its reward is at least this; default 1.0
     * @param evalSamplesPerPrompt completions sampled (temperature 1, fixed seed) per eval prompt for
     *     {@code eval/distinct_correct}; default 8
     */
    public record Config(int maxSteps, int promptsPerStep, int numGenerations, LossType lossType,
            double rewardTemperature, double rewardFloor, double learningRate, double logZLearningRate,
            double subtbLambda, int replayBufferSize, double replayRatio, int warmupSteps, double weightDecay,
            double gradClip, int maxCompletionLength, double temperature, double topP, int evalInterval, int evalLimit,
            double accuracyThreshold, int evalSamplesPerPrompt) implements LmMethodConfig {

        public static final Config DEFAULT = new Config(150, 16, 8, LossType.TRAJECTORY_BALANCE, 1.0, 1e-6, 3e-4, 0.1,
                1.0, 16, 0.25, 5, 0.0, 1.0, 8, 1.0, 1.0, 25, 1000, 1.0, 8);

        public Config {
            require(maxSteps >= 1 && maxSteps <= 1_000_000, "max_steps", "must be in [1, 1000000], got " + maxSteps);
            require(promptsPerStep >= 1 && promptsPerStep <= 1024, "prompts_per_step",
                    "must be in [1, 1024], got " + promptsPerStep);
            require(numGenerations >= 1 && numGenerations <= 256, "num_generations",
                    "must be in [1, 256], got " + numGenerations);
            require((long) promptsPerStep * numGenerations <= 8192, "num_generations",
                    "prompts_per_step × num_generations must be at most 8192 sequences per rollout, got "
                            + (long) promptsPerStep * numGenerations);
            require(lossType != null, "loss_type", "must be one of trajectory_balance, subtb");
            require(rewardTemperature > 0 && rewardTemperature <= 100, "reward_temperature",
                    "must be in (0, 100], got " + rewardTemperature);
            require(rewardFloor > 0 && rewardFloor <= 1, "reward_floor",
                    "must be in (0, 1] so that log(R + reward_floor) is finite for R = 0, got " + rewardFloor);
            require(logZLearningRate > 0 && logZLearningRate <= 10, "log_z_learning_rate",
                    "must be in (0, 10], got " + logZLearningRate);
            require(subtbLambda > 0 && subtbLambda <= 10, "subtb_lambda", "must be in (0, 10], got " + subtbLambda);
            require(replayBufferSize >= 0 && replayBufferSize <= 10_000, "replay_buffer_size",
                    "must be in [0, 10000] completions per prompt (0 disables replay), got " + replayBufferSize);
            require(replayRatio >= 0 && replayRatio <= 1, "replay_ratio", "must be in [0, 1], got " + replayRatio);
            SamplingChecks.optimizer(learningRate, warmupSteps, maxSteps, weightDecay, gradClip);
            SamplingChecks.sampling(maxCompletionLength, temperature, topP);
            SamplingChecks.evaluation(evalInterval, evalLimit, accuracyThreshold);
            require(evalSamplesPerPrompt >= 1 && evalSamplesPerPrompt <= 256, "eval_samples_per_prompt",
                    "must be in [1, 256], got " + evalSamplesPerPrompt);
        }

        /** For the memory estimate at submission: the rollout batch. */
        @Override
        public int sequencesPerUpdate() {
            return promptsPerStep * numGenerations;
        }

        /** k, the training rows per prompt drawn from the replay buffer. */
        int replayRows() {
            return replayBufferSize == 0 ? 0 : (int) Math.round(replayRatio * numGenerations);
        }
    }

    static final String KIND = "gflownet";
    /** The checkpoint file of the log Z table and the replay buffer, beside the policy's. */
    static final String STATE_FILE = "gflownet.json";
    private static final Gson GSON = new GsonBuilder().serializeSpecialFloatingPointValues().create();
    private static final long REPLAY_STREAM = 2;
    private static final long EVAL_STREAM = 3;
    private static final int EVAL_PROMPTS_PER_BATCH = 32;

    private final Config cfg;
    private final Map<Map<String, Object>, Integer> promptIndex = new IdentityHashMap<>();
    private final LogZTable logZ;
    private final ReplayBuffer buffer;

    public GflowNetRun(LmAlignSpec spec, Path checkpoint, RunOptions options) throws IOException {
        super(spec, checkpoint, options, KIND, spec.config(Config.class).learningRate(),
                spec.config(Config.class).weightDecay(), 0.999,
                new Sampling(spec.config(Config.class).maxCompletionLength(), spec.config(Config.class).temperature(),
                        spec.config(Config.class).topP()));
        this.cfg = spec.config(Config.class);
        for (Map<String, Object> item : spec.items()) {
            promptIndex.putIfAbsent(item, promptIndex.size());
        }
        try {
            Saved saved = checkpoint == null ? null
                    : GSON.fromJson(Files.readString(checkpoint.resolve(STATE_FILE), StandardCharsets.UTF_8),
                            Saved.class);
            if (saved != null && saved.logZ().value().length != spec.items().size()) {
                throw new IOException("checkpoint's log Z table has " + saved.logZ().value().length
                        + " prompts, the dataset " + spec.items().size());
            }
            logZ = saved == null ? new LogZTable(spec.items().size()) : saved.logZ();
            buffer = saved == null ? new ReplayBuffer(cfg.replayBufferSize())
                    : new ReplayBuffer(cfg.replayBufferSize(), saved.buffer());
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** What {@link #STATE_FILE} holds. */
    private record Saved(LogZTable logZ, List<ReplayBuffer.Stored> buffer) {
    }

    /**
     * The learned log Z(x), one entry per dataset prompt, each with its own Adam moments and step count (β₁ 0.9,
     * β₂ 0.999, ε 1e-8, bias-corrected per entry).
     */
    record LogZTable(double[] value, double[] m, double[] v, int[] t) {

        LogZTable(int prompts) {
            this(new double[prompts], new double[prompts], new double[prompts], new int[prompts]);
        }

        /** One Adam step of entry {@code i} on gradient {@code grad} at learning rate {@code lr}. */
        void step(int i, double grad, double lr) {
            t[i]++;
            m[i] = 0.9 * m[i] + 0.1 * grad;
            v[i] = 0.999 * v[i] + 0.001 * grad * grad;
            double mHat = m[i] / (1 - Math.pow(0.9, t[i]));
            double vHat = v[i] / (1 - Math.pow(0.999, t[i]));
            value[i] -= lr * mHat / (Math.sqrt(vHat) + 1e-8);
        }
    }

    /** log R̃ = log(max(R, 0) + ε) / T: the log-reward both losses balance; NaN counts as 0. */
    static double logReward(double reward, double floor, double temperature) {
        return Math.log((reward > 0 ? reward : 0) + floor) / temperature;
    }

    /**
     * (B) trajectory-balance residuals δ_b = log Z(x_b) + Σ_t log π_θ(y_b,t) − log R̃_b (Malkin et al. 2022, with the
     * backward policy 1); the loss is their mean square.
     *
     * @param logZ (B) log Z of each row's prompt
     * @param sequenceLogp (B) Σ_t log π_θ over each completion's tokens, ⊤ included
     * @param logReward (B) log R̃ of each completion
     */
    static NDArray trajectoryBalance(NDArray logZ, NDArray sequenceLogp, NDArray logReward) {
        return logZ.add(sequenceLogp).sub(logReward); // (B)
    }

    /**
     * ∂L/∂log Z(x) = (2/B)·Σ_{b: x_b = x} δ_b of the trajectory-balance loss L = (1/B)·Σ_b δ_b², for each prompt x of
     * the batch: log Z enters each residual once, linearly, so its gradient needs no backward pass.
     *
     * @param rowPrompt each row's prompt index
     * @param delta each row's residual δ_b
     */
    static Map<Integer, Double> logZGradient(int[] rowPrompt, float[] delta) {
        Map<Integer, Double> grad = new TreeMap<>();
        for (int b = 0; b < delta.length; b++) {
            grad.merge(rowPrompt[b], 2.0 * delta[b] / delta.length, Double::sum);
        }
        return grad;
    }

    /**
     * Hu et al.'s modified subtrajectory-balance loss (their {@code modified_subtb_loss}): the λ-weighted mean of
     * (Σ_{k=i}^{j−1} δ_k)² over every subtrajectory 0 ≤ i &lt; j ≤ n_b of every row (see the class comment).
     *
     * @param tokenLogp (B, Tc) log π_θ(y_{t+1} | s_t) at completion position t (⊤'s own at t = n_b)
     * @param eosLogp (B, Tc) log π_θ(⊤ | s_t)
     * @param logReward (B, Tc) log R̃(s_t ⊤) for t ≤ n_b (anything finite beyond)
     * @param transitions n_b of each row: its tokens before ⊤
     * @param lambda λ
     */
    static NDArray subTrajectoryBalance(NDArray tokenLogp, NDArray eosLogp, NDArray logReward, int[] transitions,
            double lambda) {
        int rows = transitions.length;
        int tc = (int) tokenLogp.getShape().get(1);
        double weight = 0; // Σ_b Σ_{ℓ=1}^{n_b} λ^{ℓ−1}·(n_b − ℓ + 1): the subtrajectories of ℓ transitions, weighted
        for (int n : transitions) {
            for (int l = 1; l <= n; l++) {
                weight += Math.pow(lambda, l - 1) * (n - l + 1);
            }
        }
        if (weight == 0 || tc < 2) {
            return tokenLogp.sum().mul(Scalars.of(tokenLogp, 0)); // no transition in the batch: no signal
        }
        NDManager m = tokenLogp.getManager();
        String head = ":, :" + (tc - 1);
        String tail = ":, 1:";
        NDArray delta = logReward.get(head).add(tokenLogp.get(head)).add(eosLogp.get(tail)).sub(logReward.get(tail))
                .sub(eosLogp.get(head)); // (B, Tc − 1): δ_i for the transition s_i → s_{i+1}
        NDArray cumulative = NDArrays.concat(new NDList(m.zeros(new Shape(rows, 1)), delta.cumSum(1)), 1); // (B, Tc)
        float[] n = new float[rows];
        for (int b = 0; b < rows; b++) {
            n[b] = transitions[b];
        }
        NDArray last = m.create(n, new Shape(rows, 1)); // (B, 1)
        NDArray start = m.arange(0f, tc, 1f).reshape(1, tc); // (1, Tc): i
        NDArray total = null;
        for (int l = 1; l < tc; l++) {
            // Σ_{k=i}^{i+ℓ−1} δ_k = C_{i+ℓ} − C_i for the subtrajectory s_i → s_{i+ℓ}, counted when i + ℓ ≤ n_b
            NDArray balance = cumulative.get(":, " + l + ":").sub(cumulative.get(":, :" + (tc - l))); // (B, Tc − ℓ)
            NDArray counted = start.get(":, :" + (tc - l)).add(l).lte(last).toType(DataType.FLOAT32, false); // (B, Tc − ℓ)
            NDArray term = balance.square().mul(counted).sum().mul(Scalars.of(balance, Math.pow(lambda, l - 1)));
            total = total == null ? term : total.add(term);
        }
        return total.div(Scalars.of(total, weight));
    }

    @Override
    public Map<String, Double> trainStep() {
        Gradients.gradModeOff();
        check.atStep(step + 1);
        long t0 = System.nanoTime();
        int g = cfg.numGenerations();
        List<Map<String, Object>> items = cycle.at(step, cfg.promptsPerStep());
        int[] prompts = items.stream().mapToInt(promptIndex::get).toArray();
        GroupRollout r = rollout(items, g, 0);
        long prefixStart = System.nanoTime();
        List<ReplayBuffer.Entry> fresh = trajectories(r);
        long prefixNanos = System.nanoTime() - prefixStart;

        // The training rows: the fresh samples, the last k of each prompt's G replaced by draws from its buffer.
        List<ReplayBuffer.Entry> rows = new ArrayList<>(fresh);
        int k = cfg.replayRows();
        int replayed = 0;
        Random replayRng = new Random(spec.seed() * 1_000_003L + step + REPLAY_STREAM * 1_000_000_007L);
        for (int p = 0; p < prompts.length && k > 0; p++) {
            if (!buffer.of(prompts[p]).isEmpty()) {
                for (int j = g - k; j < g; j++) {
                    rows.set(p * g + j, buffer.draw(prompts[p], replayRng));
                    replayed++;
                }
            }
        }
        for (int b = 0; b < fresh.size(); b++) {
            buffer.add(prompts[b / g], fresh.get(b));
        }

        Map<String, Double> metrics = new LinkedHashMap<>();
        long t1 = System.nanoTime();
        CausalLm lm = policy.lm();
        Tokenizer tok = policy.tokenizer();
        int eos = tok.eos();
        int batchRows = rows.size();
        AlignedPolicy.Update done;
        double logZMean;
        float[] delta = new float[batchRows];
        try (NDManager m = root.newSubManager()) {
            CompletionBatch u = CompletionBatch.of(r.batch(), closed(rows, eos, tok.pad()), false, tok.pad(), m);
            int tc = u.completionWidth;
            int[] transitions = new int[batchRows];
            for (int b = 0; b < batchRows; b++) {
                transitions[b] = rows.get(b).tokens().length;
            }
            boolean tb = cfg.lossType() == LossType.TRAJECTORY_BALANCE;
            float[] logR = tb ? new float[batchRows] : new float[batchRows * tc];
            float[] logZRows = new float[batchRows];
            for (int b = 0; b < batchRows; b++) {
                ReplayBuffer.Entry e = rows.get(b);
                if (tb) {
                    logR[b] = (float) logReward(e.reward(), cfg.rewardFloor(), cfg.rewardTemperature());
                    logZRows[b] = (float) logZ.value()[prompts[b / g]];
                } else {
                    for (int i = 0; i <= transitions[b]; i++) {
                        logR[b * tc + i] = (float) logReward(e.prefixRewards()[i], cfg.rewardFloor(),
                                cfg.rewardTemperature());
                    }
                }
            }
            double[] implied = new double[1];
            done = model.update(m, s -> {
                u.attachInputs(s);
                NDArray lp = u.completionLogits(lm, 1.0).logSoftmax(-1); // (B, Tc, V): π_θ itself, not the sampler
                NDArray tokenLogp = lp.gather(u.targets.expandDims(-1), -1).squeeze(-1); // (B, Tc)
                if (tb) {
                    NDArray residual = trajectoryBalance(s.create(logZRows), u.sequenceSum(tokenLogp),
                            s.create(logR)); // (B)
                    System.arraycopy(residual.stopGradient().toFloatArray(), 0, delta, 0, batchRows);
                    return residual.square().mean();
                }
                NDArray eosLogp = lp.get(new NDIndex(":, :, " + eos)); // (B, Tc)
                NDArray logRewards = s.create(logR, new Shape(batchRows, tc)); // (B, Tc)
                // log F(s_0) = log R̃(x ⊤) − log π_θ(⊤ | x): the implied log Z of each row's prompt
                implied[0] = logRewards.get(":, 0").sub(eosLogp.stopGradient().get(":, 0")).mean().getFloat();
                return subTrajectoryBalance(tokenLogp, eosLogp, logRewards, transitions, cfg.subtbLambda());
            }, lr(), cfg.gradClip(), guard, "GFlowNet", step + 1);
            logZMean = tb ? mean(logZRows) : implied[0];
        }
        if (cfg.lossType() == LossType.TRAJECTORY_BALANCE && !done.skipped()) {
            int[] rowPrompt = new int[batchRows];
            for (int b = 0; b < batchRows; b++) {
                rowPrompt[b] = prompts[b / g];
            }
            logZGradient(rowPrompt, delta).forEach((prompt, gz) -> logZ.step(prompt, gz, cfg.logZLearningRate()));
        }
        long t2 = System.nanoTime();
        double lr = lr();
        step++;
        metrics.put(MetricNames.TRAIN_LOSS, done.loss());
        metrics.put(MetricNames.TRAIN_LOG_Z_MEAN, logZMean);
        putRolloutMetrics(metrics, r, g);
        metrics.put(MetricNames.PERF_REWARD_SECONDS, (r.rewardNanos() + prefixNanos) / 1e9);
        metrics.put(MetricNames.TRAIN_DISTINCT_CORRECT, distinctCorrect(r, g, cfg.accuracyThreshold()) / prompts.length);
        metrics.put(MetricNames.TRAIN_REPLAY_FRACTION, (double) replayed / batchRows);
        NonFiniteGuard.putUpdateMetrics(metrics, done.gradNorm(), lr);
        metrics.put(MetricNames.PERF_UPDATE_SECONDS, (t2 - t1) / 1e9);
        metrics.put(MetricNames.PERF_TOKENS_PER_SECOND,
                (r.rows() * (double) r.batch().width() + r.completions().tokenCount()) / ((t2 - t0) / 1e9));
        DeviceInfo.putMemoryInUse(root.getDevice(), metrics);
        return metrics;
    }

    /**
     * The rollout's completions as trajectories: each one's tokens before ⊤, text and reward, and under SubTB the reward
     * of every prefix y_{1:i} (i &lt; n scored here as completions; i = n is the rollout's own score).
     */
    private List<ReplayBuffer.Entry> trajectories(GroupRollout r) {
        Completions c = r.completions();
        int rows = r.rows();
        int[][] tokens = new int[rows][];
        for (int b = 0; b < rows; b++) {
            tokens[b] = Arrays.copyOf(c.tokens()[b], c.truncated()[b] ? c.lengths()[b] : c.lengths()[b] - 1);
        }
        double[][] prefix = new double[rows][];
        if (cfg.lossType() == LossType.SUBTB) {
            Tokenizer tok = policy.tokenizer();
            List<Map<String, Object>> items = new ArrayList<>();
            List<String> texts = new ArrayList<>();
            for (int b = 0; b < rows; b++) {
                for (int i = 0; i < tokens[b].length; i++) {
                    items.add(r.items().get(b));
                    texts.add(tok.decode(tokens[b], 0, i));
                }
            }
            List<RewardResult> scored = texts.isEmpty() ? List.of()
                    : RewardFunction.scoreSafely(spec.reward(), new RewardBatch(items, texts, 1, scoring));
            int next = 0;
            for (int b = 0; b < rows; b++) {
                prefix[b] = new double[tokens[b].length + 1];
                for (int i = 0; i < tokens[b].length; i++) {
                    prefix[b][i] = scored.get(next++).reward();
                }
                prefix[b][tokens[b].length] = r.reward()[b];
            }
        }
        List<ReplayBuffer.Entry> out = new ArrayList<>(rows);
        for (int b = 0; b < rows; b++) {
            out.add(new ReplayBuffer.Entry(c.texts()[b], tokens[b], r.reward()[b], prefix[b]));
        }
        return out;
    }

    /** The trajectories as completions that each end with ⊤ (a cut one is closed with it), padded to one width. */
    private static Completions closed(List<ReplayBuffer.Entry> rows, int eos, int pad) {
        int n = rows.size();
        int width = 1;
        for (ReplayBuffer.Entry e : rows) {
            width = Math.max(width, e.tokens().length + 1);
        }
        int[][] tokens = new int[n][width];
        int[] lengths = new int[n];
        String[] texts = new String[n];
        for (int b = 0; b < n; b++) {
            int[] y = rows.get(b).tokens();
            Arrays.fill(tokens[b], pad);
            System.arraycopy(y, 0, tokens[b], 0, y.length);
            tokens[b][y.length] = eos;
            lengths[b] = y.length + 1;
            texts[b] = rows.get(b).text();
        }
        return new Completions(tokens, lengths, new boolean[n], texts);
    }

    /** Σ over the rollout's groups of G of the number of distinct completions whose reward reaches the threshold. */
    static double distinctCorrect(GroupRollout r, int g, double threshold) {
        double sum = 0;
        for (int start = 0; start < r.rows(); start += g) {
            Set<String> correct = new HashSet<>();
            for (int b = start; b < start + g; b++) {
                if (r.reward()[b] >= threshold) {
                    correct.add(r.completions().texts()[b]);
                }
            }
            sum += correct.size();
        }
        return sum;
    }

    private static double mean(float[] values) {
        double sum = 0;
        for (float v : values) {
            sum += v;
        }
        return sum / values.length;
    }

    /**
     * Greedy {@code eval/accuracy} and {@code eval/reward/mean}, and {@code eval/distinct_correct}: the mean number of
     * distinct correct completions among {@code eval_samples_per_prompt} samples of π_θ (temperature 1, a seed fixed
     * for the run, so that every evaluation draws alike) per eval prompt.
     */
    @Override
    public Map<String, Double> evaluate() {
        Map<String, Double> out = new LinkedHashMap<>(greedyEval(cfg.evalLimit(), cfg.accuracyThreshold()));
        List<Map<String, Object>> items = spec.evalItems().subList(0, Math.min(cfg.evalLimit(),
                spec.evalItems().size()));
        if (items.isEmpty()) {
            return out;
        }
        int n = cfg.evalSamplesPerPrompt();
        Decoding decoding = new Decoding(1.0, 1.0, new Random(spec.seed() * 1_000_003L + EVAL_STREAM * 1_000_000_007L));
        double distinct = 0;
        for (int i = 0; i < items.size(); i += EVAL_PROMPTS_PER_BATCH) {
            GroupRollout r = GroupRollout.draw(policy, items.subList(i, Math.min(items.size(),
                    i + EVAL_PROMPTS_PER_BATCH)), n, maxPromptTokens, cfg.maxCompletionLength(), decoding, spec.reward(),
                    scoring, root);
            distinct += distinctCorrect(r, n, cfg.accuracyThreshold());
        }
        out.put(MetricNames.EVAL_DISTINCT_CORRECT, distinct / items.size());
        return out;
    }

    @Override
    protected void saveExtra(Path dir) throws IOException {
        Files.writeString(dir.resolve(STATE_FILE), GSON.toJson(new Saved(logZ, buffer.entries())),
                StandardCharsets.UTF_8);
    }

    /** The log Z table (tests). */
    LogZTable logZ() {
        return logZ;
    }

    /** The replay buffer (tests). */
    ReplayBuffer buffer() {
        return buffer;
    }
}
