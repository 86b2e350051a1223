package dev.tropism.engine.align;

import static dev.tropism.engine.ConfigException.require;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.tropism.engine.DeviceInfo;
import dev.tropism.engine.MetricNames;
import dev.tropism.engine.RunOptions;
import dev.tropism.engine.lm.CausalLm;
import dev.tropism.engine.lm.Sampler.Completions;
import dev.tropism.engine.lm.Sampler.PromptBatch;
import dev.tropism.engine.nn.AdamW;
import dev.tropism.engine.nn.Gradients;
import dev.tropism.engine.nn.NamedArrays;
import dev.tropism.engine.nn.NonFiniteGuard;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * PPO as RLHF uses it (Ziegler et al. 2019, "Fine-Tuning Language Models from Human Preferences"; Ouyang et al. 2022,
 * "Training language models to follow instructions with human feedback", Sec. 3.5), as TRL's PPOTrainer and verl
 * implement it: each token of a completion is an action, a value head estimates V(s_t), the reward is the score of the
 * whole completion at its last token minus a per-token KL penalty to the frozen reference, advantages come from GAE,
 * and the policy and the value head are trained on the rollout for a few epochs with clipped objectives.
 *
 * <p>Each step samples G completions (G = 1 is classic PPO) for P prompts and, with π_old the policy that sampled them:
 * <pre>
 *   r_t = −β · (log π_old(y_t) − log π_ref(y_t)) + [t = T − 1] · R(x, y)      (k1 KL penalty; the score at the last token)
 *   δ_t = r_t + γ · V_old(s_{t+1}) − V_old(s_t),   V_old(s_T) = 0              (Schulman et al. 2016, Eq. 11)
 *   Â_t = δ_t + γλ · Â_{t+1}                                                   (GAE(γ, λ), Eq. 16)
 *   R̂_t = Â_t + V_old(s_t)                                                     (the value target)
 *   Â_t ← (Â_t − mean Â) / sqrt(var Â + 1e-8)                                  (whitening over the batch's tokens)
 *   ρ_t = π_θ(y_t) / π_old(y_t)
 *   L_π = mean_t max(−Â_t·ρ_t, −Â_t·clip(ρ_t, 1 − ε, 1 + ε))                   (Schulman et al. 2017, Eq. 7, negated)
 *   L_V = ½ · mean_t max((V_θ(s_t) − R̂_t)², (V_old(s_t) + clip(V_θ(s_t) − V_old(s_t), −ε_V, ε_V) − R̂_t)²)
 *   L   = L_π + c_V · L_V
 * </pre>
 * Means run over the mini-batch's completion tokens, as TRL's {@code masked_mean}; π_old, V_old, Â and R̂ are fixed from
 * the rollout for all {@code ppo_epochs} passes over its {@code num_mini_batches} mini-batches. Log-probabilities are
 * those of the temperature-scaled distribution the completions were sampled from (TRL).
 *
 * <p>The value head is a linear layer d → 1 on the policy's final hidden states at the positions that predict each
 * completion token (the state before it), so it shares the policy's backbone, as TRL's classic
 * {@code AutoModelForCausalLMWithValueHead}: the value loss trains the backbone too. InstructGPT and TRL's current
 * trainer use a separate critic started from the reward model; with a programmatic reward spec there is no reward
 * model to start it from, and this run has no separate critic. The head has its own AdamW (same learning rate, betas
 * and weight decay as the policy's) that steps with the policy's in one update ({@link AlignedPolicy.Extra}): one
 * gradient norm and one clip over both, as one optimizer over both would. Its weights and moments are checkpointed
 * beside the policy's, so a resumed run continues exactly.
 */
public final class PpoRun extends LmRun {

    /**
     * Hyperparameters of PPO, named after TRL's PPOConfig.
     *
     * @param maxSteps rollout batches of the run, each followed by {@code ppoEpochs × numMiniBatches} optimizer
     *     updates; default 150
     * @param promptsPerStep distinct prompts per rollout batch; default 64
     * @param numGenerations completions sampled per prompt; default 1 (classic PPO); more share the prompt's rollout
     * @param ppoEpochs passes over each rollout (TRL's {@code num_ppo_epochs}); default 4
     * @param numMiniBatches mini-batches per pass, each one optimizer update; default 1; must divide the rollout's
     *     {@code prompts_per_step × num_generations} completions
     * @param learningRate AdamW learning rate of the policy and the value head, constant after warmup; default 3e-4 for
     *     the tiny model (TRL's 3e-6 is for billion-parameter models)
     * @param warmupSteps linear warmup, in rollout steps; default 5
     * @param weightDecay AdamW decoupled weight decay on matrices; default 0
     * @param gradClip global L2 norm clip over the policy and the value head; default 1.0 (0 disables)
     * @param klCoef β, weight of the per-token KL penalty log π_old − log π_ref in the reward (Ziegler et al. Eq. 2;
     *     TRL's {@code kl_coef}); default 0.05
     * @param gamma γ, the discount of GAE; default 1.0 (TRL)
     * @param lam λ, the GAE trace decay (Schulman et al. 2016); default 0.95 (TRL)
     * @param cliprange ε of the clipped policy objective (Schulman et al. 2017, Eq. 7); default 0.2
     * @param cliprangeValue ε_V, how far the value prediction may move from the rollout's before its loss is clipped;
     *     default 0.2 (TRL)
     * @param vfCoef c_V, weight of the value loss; default 0.1 (TRL)
     * @param whitenAdvantages whether advantages are shifted and scaled to mean 0 and variance 1 over the batch's
     *     completion tokens; default true (TRL always whitens)
     * @param maxCompletionLength tokens sampled per completion at most; default 8
     * @param temperature sampling temperature of rollouts; default 1.0 (as GRPO and RLOO here; TRL uses 0.7)
     * @param topP nucleus mass of rollouts; default 1.0 (off)
     * @param evalInterval steps between greedy evaluations; default 25; 0 disables
     * @param evalLimit eval items used at most; default 1000
     * @param accuracyThreshold an eval sample counts as correct when its reward is at least this; default 1.0
     */
    public record Config(int maxSteps, int promptsPerStep, int numGenerations, int ppoEpochs, int numMiniBatches,
            double learningRate, int warmupSteps, double weightDecay, double gradClip, double klCoef, double gamma,
            double lam, double cliprange, double cliprangeValue, double vfCoef, boolean whitenAdvantages,
            int maxCompletionLength, double temperature, double topP, int evalInterval, int evalLimit,
            double accuracyThreshold) implements LmMethodConfig {

        public static final Config DEFAULT = new Config(150, 64, 1, 4, 1, 3e-4, 5, 0.0, 1.0, 0.05, 1.0, 0.95, 0.2, 0.2,
                0.1, true, 8, 1.0, 1.0, 25, 1000, 1.0);

        public Config {
            require(maxSteps >= 1 && maxSteps <= 1_000_000, "max_steps", "must be in [1, 1000000], got " + maxSteps);
            require(promptsPerStep >= 1 && promptsPerStep <= 8192, "prompts_per_step",
                    "must be in [1, 8192], got " + promptsPerStep);
            require(numGenerations >= 1 && numGenerations <= 256, "num_generations",
                    "must be in [1, 256] (1 is classic PPO), got " + numGenerations);
            long rows = (long) promptsPerStep * numGenerations;
            require(rows <= 8192, "num_generations",
                    "prompts_per_step × num_generations must be at most 8192 sequences per rollout, got " + rows);
            require(ppoEpochs >= 1 && ppoEpochs <= 100, "ppo_epochs", "must be in [1, 100], got " + ppoEpochs);
            require(numMiniBatches >= 1 && numMiniBatches <= rows && rows % numMiniBatches == 0, "num_mini_batches",
                    "must divide the rollout's prompts_per_step × num_generations = " + rows
                            + " completions into equal mini-batches, got " + numMiniBatches);
            SamplingChecks.optimizer(learningRate, warmupSteps, maxSteps, weightDecay, gradClip);
            require(klCoef >= 0 && klCoef <= 10, "kl_coef", "must be in [0, 10], got " + klCoef);
            require(gamma >= 0 && gamma <= 1, "gamma", "must be in [0, 1], got " + gamma);
            require(lam >= 0 && lam <= 1, "lam", "must be in [0, 1], got " + lam);
            require(cliprange > 0 && cliprange < 1, "cliprange",
                    "must be in (0, 1): the ratio is clipped to [1 − cliprange, 1 + cliprange], got " + cliprange);
            require(cliprangeValue > 0 && cliprangeValue <= 1e6, "cliprange_value",
                    "must be in (0, 1e6], got " + cliprangeValue);
            require(vfCoef >= 0 && vfCoef <= 100, "vf_coef", "must be in [0, 100], got " + vfCoef);
            SamplingChecks.sampling(maxCompletionLength, temperature, topP);
            SamplingChecks.evaluation(evalInterval, evalLimit, accuracyThreshold);
        }

        /** For the memory estimate at submission: one mini-batch of the rollout. */
        @Override
        public int sequencesPerUpdate() {
            return promptsPerStep * numGenerations / numMiniBatches;
        }
    }

    static final String KIND = "ppo";
    /** The value head's weights in a checkpoint ({@link NamedArrays}). */
    static final String VALUE_HEAD = "value_head.ndlist";
    /** The value head's AdamW moments in a checkpoint; its step count is the policy optimizer's. */
    static final String VALUE_HEAD_OPTIMIZER = "value_head_optimizer.ndlist";
    private static final String HEAD_W = "value_head.w";
    private static final String HEAD_B = "value_head.b";

    private final Config cfg;
    private NDManager headManager;
    /** {@value #HEAD_W} (1, d) and {@value #HEAD_B} (1). */
    private final Map<String, NDArray> head = new LinkedHashMap<>();
    private AlignedPolicy.Extra extra;

    public PpoRun(LmAlignSpec spec, Path checkpoint, RunOptions options) throws IOException {
        super(spec, checkpoint, options, KIND, spec.config(Config.class).learningRate(),
                spec.config(Config.class).weightDecay(), 0.999,
                new Sampling(spec.config(Config.class).maxCompletionLength(), spec.config(Config.class).temperature(),
                        spec.config(Config.class).topP()));
        this.cfg = spec.config(Config.class);
        try {
            headManager = root.newSubManager();
            int d = policy.lm().width();
            // w ~ N(0, 1/(d + 1)), b = 0: the scalar head's initialization of Stiennon et al. 2020 (Appendix B.1),
            // as this engine's reward models
            float[] w = new float[d];
            Random rng = new Random(spec.seed());
            double std = 1 / Math.sqrt(d + 1.0);
            for (int i = 0; i < d; i++) {
                w[i] = (float) (rng.nextGaussian() * std);
            }
            head.put(HEAD_W, headManager.create(w, new Shape(1, d)));
            head.put(HEAD_B, headManager.zeros(new Shape(1)));
            AdamW optimizer = new AdamW(head, AlignedPolicy.matrices(head), 0.9, 0.999, 1e-8, cfg.weightDecay(),
                    headManager);
            if (checkpoint != null) {
                try (InputStream in = new BufferedInputStream(Files.newInputStream(checkpoint.resolve(VALUE_HEAD)))) {
                    NamedArrays.readInto(head, in, headManager);
                }
                try (InputStream in = new BufferedInputStream(
                        Files.newInputStream(checkpoint.resolve(VALUE_HEAD_OPTIMIZER)))) {
                    optimizer.load(in, state.get("optimizer_steps").getAsLong());
                }
            }
            extra = new AlignedPolicy.Extra(head, optimizer);
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * GAE(γ, λ) (Schulman et al. 2016, Eq. 11 and 16) of each row of a (B, T) batch of per-token rewards and values,
     * flattened row-major: Â_t = Σ_{l ≥ 0} (γλ)^l δ_{t+l} with δ_t = r_t + γ·V(s_{t+1}) − V(s_t), over the row's first
     * {@code lengths[b]} tokens; the state after the last token is terminal (V = 0). Entries past a row's length are 0.
     */
    static double[] gae(double[] rewards, double[] values, int[] lengths, int width, double gamma, double lambda) {
        double[] advantages = new double[rewards.length];
        for (int b = 0; b < lengths.length; b++) {
            int row = b * width;
            double next = 0; // Â_{t+1}
            for (int t = lengths[b] - 1; t >= 0; t--) {
                double nextValue = t + 1 < lengths[b] ? values[row + t + 1] : 0;
                double delta = rewards[row + t] + gamma * nextValue - values[row + t];
                next = delta + gamma * lambda * next;
                advantages[row + t] = next;
            }
        }
        return advantages;
    }

    /**
     * (x − mean) / sqrt(var + 1e-8) over the first {@code lengths[b]} entries of each row of a flattened (B, T) array,
     * with the unbiased variance, as TRL's {@code masked_whiten}; entries past a row's length stay 0.
     */
    static double[] whiten(double[] x, int[] lengths, int width) {
        double[] moments = maskedMeanVar(x, lengths, width);
        double scale = 1 / Math.sqrt(moments[1] + 1e-8);
        double[] out = new double[x.length];
        for (int b = 0; b < lengths.length; b++) {
            for (int t = 0; t < lengths[b]; t++) {
                out[b * width + t] = (x[b * width + t] - moments[0]) * scale;
            }
        }
        return out;
    }

    /** {mean, unbiased variance} over each row's first {@code lengths[b]} entries (variance 0 for one entry). */
    static double[] maskedMeanVar(double[] x, int[] lengths, int width) {
        double sum = 0;
        int n = 0;
        for (int b = 0; b < lengths.length; b++) {
            for (int t = 0; t < lengths[b]; t++) {
                sum += x[b * width + t];
                n++;
            }
        }
        double mean = sum / Math.max(1, n);
        double squares = 0;
        for (int b = 0; b < lengths.length; b++) {
            for (int t = 0; t < lengths[b]; t++) {
                double dev = x[b * width + t] - mean;
                squares += dev * dev;
            }
        }
        return new double[] {mean, n > 1 ? squares / (n - 1) : 0};
    }

    /**
     * A clipped loss and the share of counted tokens where the clipped term is the larger one (the clip binds and
     * the token's gradient is 0): TRL's {@code clipfrac}.
     */
    record Clipped(NDArray loss, double clipRatio) {
    }

    /**
     * L_π = mean_t max(−Â_t·ρ_t, −Â_t·clip(ρ_t, 1 − ε, 1 + ε)), ρ_t = exp(log π_θ − log π_old) (Schulman et al. 2017,
     * Eq. 7, negated to a loss), over the tokens of {@code mask}.
     *
     * @param logp (B, T) log π_θ, with gradient
     * @param logpOld (B, T) log π_old from the rollout
     * @param advantages (B, T) Â
     * @param mask (B, T) 1 for the tokens that count
     */
    static Clipped clippedPolicyLoss(NDArray logp, NDArray logpOld, NDArray advantages, NDArray mask, double epsilon) {
        NDArray ratio = logp.sub(logpOld).exp(); // (B, T)
        NDArray unclipped = ratio.mul(advantages).neg(); // (B, T)
        NDArray clipped = ratio.clip(1 - epsilon, 1 + epsilon).mul(advantages).neg(); // (B, T)
        return maskedMax(unclipped, clipped, mask, 1.0);
    }

    /**
     * L_V = ½ · mean_t max((V_θ − R̂)², (V_old + clip(V_θ − V_old, −ε_V, ε_V) − R̂)²) (TRL; Schulman et al.'s PPO2
     * value clipping), over the tokens of {@code mask}.
     *
     * @param values (B, T) V_θ(s_t), with gradient
     * @param valuesOld (B, T) V_old(s_t) from the rollout
     * @param returns (B, T) R̂_t = Â_t + V_old(s_t), before whitening
     */
    static Clipped clippedValueLoss(NDArray values, NDArray valuesOld, NDArray returns, NDArray mask, double epsilon) {
        NDArray unclipped = values.sub(returns).square(); // (B, T)
        NDArray clipped = values.sub(valuesOld).clip(-epsilon, epsilon).add(valuesOld).sub(returns).square(); // (B, T)
        return maskedMax(unclipped, clipped, mask, 0.5);
    }

    /** {@code scale} · the masked mean of max(unclipped, clipped), and the share of tokens where clipped is larger. */
    private static Clipped maskedMax(NDArray unclipped, NDArray clipped, NDArray mask, double scale) {
        NDArray count = mask.sum().maximum(1f);
        NDArray loss = unclipped.maximum(clipped).mul(mask).sum().div(count); // scalar
        if (scale != 1.0) {
            loss = loss.mul((float) scale);
        }
        double clipRatio = clipped.gt(unclipped).toType(DataType.FLOAT32, false).mul(mask).sum().div(count).getFloat();
        return new Clipped(loss, clipRatio);
    }

    /** (B, T) V(s_t) of the value head on (B, T, d) hidden states. */
    private NDArray values(NDArray hidden) {
        return hidden.mul(head.get(HEAD_W)).sum(new int[] {-1}).add(head.get(HEAD_B)); // (B, T)
    }

    /** What the rollout fixes for every update of the step, flattened (B, Tc) on the host. */
    private record Fixed(int width, float[] logpOld, float[] valuesOld, float[] advantages, float[] returns) {
    }

    /** The rows {@code rows} of the rollout as one mini-batch's tensors, in {@code m}. */
    private record MiniBatch(CompletionBatch u, NDArray logpOld, NDArray valuesOld, NDArray advantages,
            NDArray returns) {

        static MiniBatch of(GroupRollout r, int[] rows, Fixed f, int pad, NDManager m) {
            int n = rows.length;
            int[][] promptTokens = new int[n][];
            int[] promptLengths = new int[n];
            int[][] tokens = new int[n][];
            int[] lengths = new int[n];
            boolean[] truncated = new boolean[n];
            String[] texts = new String[n];
            for (int i = 0; i < n; i++) {
                int b = rows[i];
                promptTokens[i] = r.batch().tokens()[b];
                promptLengths[i] = r.batch().lengths()[b];
                tokens[i] = r.completions().tokens()[b];
                lengths[i] = r.completions().lengths()[b];
                truncated[i] = r.completions().truncated()[b];
                texts[i] = r.completions().texts()[b];
            }
            CompletionBatch u = CompletionBatch.of(new PromptBatch(promptTokens, promptLengths, r.batch().width()),
                    new Completions(tokens, lengths, truncated, texts), false, pad, m);
            int tc = u.completionWidth; // ≤ f.width: the longest completion among these rows
            Shape shape = new Shape(n, tc);
            return new MiniBatch(u, m.create(slice(f.logpOld(), rows, f.width(), tc), shape),
                    m.create(slice(f.valuesOld(), rows, f.width(), tc), shape),
                    m.create(slice(f.advantages(), rows, f.width(), tc), shape),
                    m.create(slice(f.returns(), rows, f.width(), tc), shape));
        }

        private static float[] slice(float[] all, int[] rows, int width, int tc) {
            float[] out = new float[rows.length * tc];
            for (int i = 0; i < rows.length; i++) {
                System.arraycopy(all, rows[i] * width, out, i * tc, tc);
            }
            return out;
        }
    }

    @Override
    public Map<String, Double> trainStep() {
        Gradients.gradModeOff();
        check.atStep(step + 1);
        long t0 = System.nanoTime();
        int g = cfg.numGenerations();
        GroupRollout r = rollout(cycle.at(step, cfg.promptsPerStep()), g, 0);
        Map<String, Double> metrics = new LinkedHashMap<>();
        long t1 = System.nanoTime();
        CausalLm lm = policy.lm();
        int[] lengths = r.completions().lengths();
        Totals totals = new Totals(cfg.ppoEpochs() * cfg.numMiniBatches());
        double[] rollout; // kl, value mean, advantage mean, explained variance (NaN when undefined)
        try (NDManager m = root.newSubManager()) {
            CompletionBatch u = CompletionBatch.of(r.batch(), r.completions(), false, policy.tokenizer().pad(), m);
            int width = u.completionWidth;
            float[] logpOld;
            float[] valuesOld;
            try (NDManager f = m.newSubManager()) { // one forward, freed before the next
                u.attachInputs(f);
                NDArray hidden = u.completionHidden(lm); // (B, Tc, d)
                logpOld = CompletionBatch.tokenLogp(CompletionBatch.completionLogits(lm, hidden, cfg.temperature()),
                        u.targets).toFloatArray(); // (B, Tc)
                valuesOld = values(hidden).toFloatArray(); // (B, Tc)
            }
            float[] logpRef = u.logpApart(model.reference(), cfg.temperature(), m).toFloatArray(); // (B, Tc)
            Fixed fixed = advantages(r.reward(), lengths, width, logpOld, valuesOld, logpRef);
            rollout = rolloutStats(lengths, fixed, logpOld, logpRef);
            int perBatch = r.rows() / cfg.numMiniBatches();
            for (int epoch = 0; epoch < cfg.ppoEpochs(); epoch++) {
                int[] order = order(r.rows(), epoch);
                for (int k = 0; k < cfg.numMiniBatches(); k++) {
                    try (NDManager mm = m.newSubManager()) {
                        MiniBatch mb = MiniBatch.of(r, Arrays.copyOfRange(order, k * perBatch, (k + 1) * perBatch),
                                fixed, policy.tokenizer().pad(), mm);
                        update(mb, totals, mm);
                    }
                }
            }
        }
        long t2 = System.nanoTime();
        double lr = lr();
        step++;
        metrics.put(MetricNames.TRAIN_LOSS, totals.loss);
        metrics.put(MetricNames.TRAIN_POLICY_LOSS, totals.policyLoss);
        metrics.put(MetricNames.TRAIN_VALUE_LOSS, totals.valueLoss);
        putRolloutMetrics(metrics, r, g);
        if (g == 1) {
            // A group of one sample has no reward variance by definition, and PPO's value baseline learns from single
            // samples: the share would read 1 and falsely tell the job that the reward gives no learning signal.
            metrics.remove(MetricNames.TRAIN_FRAC_REWARD_ZERO_STD);
        }
        metrics.put(MetricNames.TRAIN_KL, rollout[0]);
        metrics.put(MetricNames.TRAIN_CLIP_RATIO, totals.clipRatio);
        metrics.put(MetricNames.TRAIN_VALUE_CLIP_RATIO, totals.valueClipRatio);
        metrics.put(MetricNames.TRAIN_ENTROPY, totals.entropy);
        metrics.put(MetricNames.TRAIN_VALUE_MEAN, rollout[1]);
        metrics.put(MetricNames.TRAIN_ADVANTAGE_MEAN, rollout[2]);
        if (Double.isFinite(rollout[3])) {
            metrics.put(MetricNames.TRAIN_EXPLAINED_VARIANCE, rollout[3]);
        }
        NonFiniteGuard.putUpdateMetrics(metrics, totals.admitted == 0 ? Double.NaN
                : totals.gradNormSum / totals.admitted, lr);
        metrics.put(MetricNames.TRAIN_SKIPPED_STEPS, totals.admitted < totals.updates ? 1.0 : 0.0);
        metrics.put(MetricNames.PERF_UPDATE_SECONDS, (t2 - t1) / 1e9);
        metrics.put(MetricNames.PERF_TOKENS_PER_SECOND,
                (r.rows() * (double) r.batch().width() + r.completions().tokenCount()) / ((t2 - t0) / 1e9));
        DeviceInfo.putMemoryInUse(root.getDevice(), metrics);
        return metrics;
    }

    /** The means over a step's updates of what each update measures; the grad norm over the updates applied. */
    private static final class Totals {
        final int updates;
        double loss;
        double policyLoss;
        double valueLoss;
        double clipRatio;
        double valueClipRatio;
        double entropy;
        double gradNormSum;
        int admitted;

        Totals(int updates) {
            this.updates = updates;
        }
    }

    /** One optimizer update of the policy and the value head on {@code mb}: L = L_π + c_V·L_V. */
    private void update(MiniBatch mb, Totals totals, NDManager mm) {
        CausalLm lm = policy.lm();
        double[] parts = new double[5]; // policy loss, value loss, their clip ratios, entropy
        AlignedPolicy.Update done = model.update(mm, s -> {
            mb.u().attachInputs(s);
            NDArray hidden = mb.u().completionHidden(lm); // (b, tc, d)
            NDArray logits = CompletionBatch.completionLogits(lm, hidden, cfg.temperature()); // (b, tc, V)
            NDArray logp = CompletionBatch.tokenLogp(logits, mb.u().targets); // (b, tc)
            Clipped pg = clippedPolicyLoss(logp, mb.logpOld(), mb.advantages(), mb.u().mask, cfg.cliprange());
            Clipped vf = clippedValueLoss(values(hidden), mb.valuesOld(), mb.returns(), mb.u().mask,
                    cfg.cliprangeValue());
            NDArray lp = logits.stopGradient().logSoftmax(-1); // (b, tc, V)
            parts[0] = pg.loss().getFloat();
            parts[1] = vf.loss().getFloat();
            parts[2] = pg.clipRatio();
            parts[3] = vf.clipRatio();
            parts[4] = mb.u().sequenceSum(lp.exp().mul(lp).sum(new int[] {-1}).neg()).sum().getFloat()
                    / mb.u().tokenCount();
            return pg.loss().add(vf.loss().mul((float) cfg.vfCoef()));
        }, lr(), cfg.gradClip(), guard, "PPO", step + 1, extra);
        int n = totals.updates;
        totals.loss += done.loss() / n;
        totals.policyLoss += parts[0] / n;
        totals.valueLoss += parts[1] / n;
        totals.clipRatio += parts[2] / n;
        totals.valueClipRatio += parts[3] / n;
        totals.entropy += parts[4] / n;
        if (!done.skipped()) {
            totals.gradNormSum += done.gradNorm();
            totals.admitted++;
        }
    }

    /** Per-token rewards, GAE, returns and (optionally) whitening: what every update of the step reads. */
    private Fixed advantages(double[] scores, int[] lengths, int width, float[] logpOld, float[] valuesOld,
            float[] logpRef) {
        double[] rewards = new double[logpOld.length];
        double[] values = new double[logpOld.length];
        for (int b = 0; b < lengths.length; b++) {
            for (int t = 0; t < lengths[b]; t++) {
                int i = b * width + t;
                rewards[i] = -cfg.klCoef() * (logpOld[i] - logpRef[i]); // −β·k1
                values[i] = valuesOld[i];
            }
            rewards[b * width + lengths[b] - 1] += scores[b]; // the score at the last completion token
        }
        double[] adv = gae(rewards, values, lengths, width, cfg.gamma(), cfg.lam());
        float[] returns = new float[adv.length];
        for (int b = 0; b < lengths.length; b++) {
            for (int t = 0; t < lengths[b]; t++) {
                returns[b * width + t] = (float) (adv[b * width + t] + values[b * width + t]);
            }
        }
        double[] used = cfg.whitenAdvantages() ? whiten(adv, lengths, width) : adv;
        float[] advantages = new float[adv.length];
        for (int i = 0; i < adv.length; i++) {
            advantages[i] = (float) used[i];
        }
        return new Fixed(width, logpOld, valuesOld, advantages, returns);
    }

    /**
     * Over the rollout's completion tokens: the mean k1 KL log π_old − log π_ref, the mean value, the mean advantage
     * before whitening (recomputed as R̂ − V_old) and the explained variance 1 − Var(R̂ − V_old) / Var(R̂) (NaN when the
     * returns do not vary).
     */
    private static double[] rolloutStats(int[] lengths, Fixed f, float[] logpOld, float[] logpRef) {
        int n = f.logpOld().length;
        double[] kl = new double[n];
        double[] values = new double[n];
        double[] returns = new double[n];
        double[] residual = new double[n];
        for (int i = 0; i < n; i++) {
            kl[i] = logpOld[i] - logpRef[i];
            values[i] = f.valuesOld()[i];
            returns[i] = f.returns()[i];
            residual[i] = returns[i] - values[i];
        }
        double[] returnMoments = maskedMeanVar(returns, lengths, f.width());
        double[] residualMoments = maskedMeanVar(residual, lengths, f.width());
        double explained = returnMoments[1] > 0 ? 1 - residualMoments[1] / returnMoments[1] : Double.NaN;
        return new double[] {maskedMeanVar(kl, lengths, f.width())[0], maskedMeanVar(values, lengths, f.width())[0],
                residualMoments[0], explained};
    }

    /** The order of the rollout's rows in epoch {@code epoch}: a permutation drawn from (seed, step, epoch). */
    private int[] order(int rows, int epoch) {
        int[] order = new int[rows];
        for (int i = 0; i < rows; i++) {
            order[i] = i;
        }
        if (cfg.numMiniBatches() > 1) { // one mini-batch holds every row: its order changes nothing
            Random rng = new Random(spec.seed() * 1_000_003L + step * 1_009L + epoch);
            for (int i = rows - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int tmp = order[i];
                order[i] = order[j];
                order[j] = tmp;
            }
        }
        return order;
    }

    @Override
    protected void saveExtra(Path dir) throws IOException {
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(dir.resolve(VALUE_HEAD)))) {
            NamedArrays.write(head, out);
        }
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(dir.resolve(VALUE_HEAD_OPTIMIZER)))) {
            extra.optimizer().save(out);
        }
    }

    @Override
    protected void closeExtra() {
        if (headManager != null) {
            headManager.close(); // the head and its AdamW moments
        }
    }

    @Override
    public Map<String, Double> evaluate() {
        return greedyEval(cfg.evalLimit(), cfg.accuracyThreshold());
    }
}
