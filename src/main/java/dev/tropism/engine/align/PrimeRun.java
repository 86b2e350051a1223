package dev.tropism.engine.align;

import static dev.tropism.engine.ConfigException.require;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import dev.tropism.engine.DeviceInfo;
import dev.tropism.engine.MetricNames;
import dev.tropism.engine.RunOptions;
import dev.tropism.engine.lm.CausalLm;
import dev.tropism.engine.nn.CheckpointFiles;
import dev.tropism.engine.nn.Gradients;
import dev.tropism.engine.nn.LrSchedule;
import dev.tropism.engine.nn.NonFiniteGuard;
import dev.tropism.engine.nn.Scalars;
import dev.tropism.engine.rm.BradleyTerry;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * PRIME: process reinforcement through implicit rewards (Cui et al. 2025, "Process Reinforcement through Implicit
 * Rewards", arXiv 2502.01456, Sec. 3 and Algorithm 1).
 *
 * <p>Besides the policy π_θ and the frozen reference π_ref, PRIME trains an implicit process reward model π_φ: a
 * second language model initialized from the same base. Its token-level (process) reward is the log-ratio
 * <pre>
 *   r_φ(y_t) = β · log(π_φ(y_t | y_&lt;t) / π_ref(y_t | y_&lt;t))                          (Eq. 3)
 *   r_φ(y)   = Σ_t r_φ(y_t)                                                 (sequence-level implicit reward)
 * </pre>
 * Each step samples K completions per prompt, scores them with the reward spec (the outcome reward r_o) and
 * binarizes the scores at {@code accuracy_threshold} into outcome labels l ∈ {0, 1}. Then, in the order of the
 * reference implementation (verl's {@code recipe/prime}, {@code update: before}):
 * <ol>
 *   <li>π_φ takes one AdamW step on the cross-entropy between σ(r_φ(y)) and the label (Eq. 5):
 *       L_CE(φ) = −mean_i [l_i · log σ(r_φ(y_i)) + (1 − l_i) · log(1 − σ(r_φ(y_i)))];</li>
 *   <li>the updated π_φ gives the dense rewards r_φ(y_t) of the rollout;</li>
 *   <li>the advantage of token t of completion i combines two leave-one-out (RLOO) returns (Eq. 6, γ = 1):
 *       <pre>
 *   A_t^i = w_p · Σ_{s≥t} [r_φ(y_s^i) − (1/(K−1)) Σ_{j≠i} r̄_φ(y^j)]  +  w_o · [r_o(y^i) − (1/(K−1)) Σ_{j≠i} r_o(y^j)]
 *       </pre>
 *       where r̄_φ(y^j) is the mean token reward of completion j (the paper's "averaged implicit process rewards" as
 *       the baseline), w_p = {@code process_weight} and w_o = {@code outcome_weight};</li>
 *   <li>the policy takes {@code ppo_epochs} PPO-clip steps on these token advantages:
 *       L(θ) = −(1/N) Σ_{i,t} min(ρ_t A_t, clip(ρ_t, 1 − ε, 1 + ε) A_t), ρ_t = π_θ(y_t)/π_θold(y_t), N the number of
 *       completion tokens.</li>
 * </ol>
 * Two steps of the reference implementation that the paper does not spell out are kept, because its defaults
 * (w_p = w_o = 5) were tuned with them: the dense rewards are first divided by the largest |return-to-go| in the
 * batch ({@code prime_norm: batch_norm}), so that the dense returns lie in [−1, 1] like 0/1 outcomes, and the
 * combined advantages are whitened over all completion tokens of the batch (masked_whiten: zero mean, unit
 * variance). The outcome term uses the reward spec's score itself, not the binarized label (with a 0/1 reward they
 * coincide). The reference implementation's online prompt filtering (keeping prompts whose accuracy lies in
 * [0.2, 0.8]) is not part of this method; GRPO's dynamic sampling plays that role in Tropism.
 *
 * <p>π_φ is computed at temperature 1 (its log-ratio is a reward, not a sampling distribution); π_θ, π_θold and
 * the KL are at the rollout temperature, as in GRPO. π_φ has its own frozen reference, its own AdamW state and a
 * constant learning rate ({@code prm_learning_rate}, no warmup, as the reference implementation's PRM optimizer).
 * Under LoRA, π_φ is the base with adapters of its own (a second copy of the frozen base weights); in full
 * fine-tuning it is a full second copy with its own reference, as in the reference implementation (policy, π_ref,
 * π_φ and π_φ's reference: four models). Checkpoints hold π_φ and its AdamW state under {@code prm/}, so a resumed
 * run continues exactly.
 */
public final class PrimeRun extends LmRun {

    /**
     * Hyperparameters of PRIME; defaults follow the paper and its reference implementation (verl's recipe/prime)
     * except the learning rates, scaled for tiny models.
     *
     * @param maxSteps rollout batches of the run; default 150
     * @param promptsPerStep distinct prompts per rollout batch; default 16
     * @param numGenerations K, completions per prompt; default 4 (the paper's K); leave-one-out needs at least 2
     * @param learningRate the policy's AdamW learning rate, constant after warmup; default 3e-4 for the tiny model
     *     (the paper: 5e-7 on 7B)
     * @param prmLearningRate the implicit PRM's AdamW learning rate, constant; default 6e-4, twice the policy's as in
     *     the paper (1e-6 vs 5e-7)
     * @param warmupSteps linear warmup of the policy's learning rate; default 5
     * @param weightDecay AdamW decoupled weight decay of both models; default 0 (the reference implementation's)
     * @param gradClip global L2 norm clip of each model's update; default 1.0 (0 disables)
     * @param beta β of the implicit reward β·log(π_φ/π_ref); default 0.05 (the paper)
     * @param outcomeWeight w_o, weight of the outcome reward's leave-one-out return; default 5 (reward_gt_coef)
     * @param processWeight w_p, weight of the implicit process rewards' leave-one-out return; default 5
     *     (reward_dpo_coef); advantages are whitened, so only the ratio w_p/w_o matters
     * @param epsilon ε of PPO's ratio clip; default 0.2
     * @param ppoEpochs PPO optimizer steps on each rollout batch; default 1 (then ρ = 1 and the clip never binds)
     * @param maxCompletionLength tokens sampled per completion at most; default 8
     * @param temperature sampling temperature of rollouts; default 1.0
     * @param topP nucleus mass of rollouts; default 1.0 (off)
     * @param evalInterval steps between greedy evaluations; default 25; 0 disables
     * @param evalLimit eval items used at most; default 1000
     * @param accuracyThreshold a reward at least this is a correct outcome: the PRM's label 1, and a correct eval
     *     sample; default 1.0
     * @param accuracyLowerBound the reference implementation's online prompt filter (verl's recipe/prime
     *     {@code accuracy_lower_bound}): a prompt whose share of correct samples is below this is left out of the step
     *     (the PRM's and the policy's updates); default 0.2. On a task the base mostly fails, groups of wrong samples
     *     teach the PRM to lower whatever the policy samples, and its dense rewards then favour atypical tokens: without
     *     the filter PRIME collapsed to 0% held-out accuracy in the science check
     * @param accuracyUpperBound the filter's upper bound ({@code accuracy_upper_bound}); default 0.8
     */
    public record Config(int maxSteps, int promptsPerStep, int numGenerations, double learningRate,
            double prmLearningRate, int warmupSteps, double weightDecay, double gradClip, double beta,
            double outcomeWeight, double processWeight, double epsilon, int ppoEpochs, int maxCompletionLength,
            double temperature, double topP, int evalInterval, int evalLimit, double accuracyThreshold,
            double accuracyLowerBound, double accuracyUpperBound) implements LmMethodConfig {

        public static final Config DEFAULT = new Config(150, 16, 4, 3e-4, 6e-4, 5, 0.0, 1.0, 0.05, 5.0, 5.0, 0.2, 1, 8,
                1.0, 1.0, 25, 1000, 1.0, 0.2, 0.8);

        public Config {
            SamplingChecks.rollout(maxSteps, promptsPerStep, numGenerations, "each leave-one-out baseline");
            SamplingChecks.optimizer(learningRate, warmupSteps, maxSteps, weightDecay, gradClip);
            require(prmLearningRate > 0 && prmLearningRate <= 1, "prm_learning_rate",
                    "must be in (0, 1], got " + prmLearningRate);
            require(beta > 0 && beta <= 10, "beta", "the implicit reward's β must be in (0, 10], got " + beta);
            require(outcomeWeight >= 0 && outcomeWeight <= 100, "outcome_weight",
                    "must be in [0, 100], got " + outcomeWeight);
            require(processWeight >= 0 && processWeight <= 100, "process_weight",
                    "must be in [0, 100], got " + processWeight);
            require(outcomeWeight + processWeight > 0, "process_weight",
                    "outcome_weight and process_weight are both 0: the policy would get no advantage");
            require(epsilon > 0 && epsilon < 1, "epsilon", "must be in (0, 1), got " + epsilon);
            require(ppoEpochs >= 1 && ppoEpochs <= 16, "ppo_epochs", "must be in [1, 16], got " + ppoEpochs);
            SamplingChecks.sampling(maxCompletionLength, temperature, topP);
            SamplingChecks.evaluation(evalInterval, evalLimit, accuracyThreshold);
            require(accuracyLowerBound >= 0 && accuracyLowerBound <= accuracyUpperBound && accuracyUpperBound <= 1,
                    "accuracy_lower_bound", "needs 0 <= accuracy_lower_bound <= accuracy_upper_bound <= 1 (0 and 1 keep"
                            + " every group), got " + accuracyLowerBound + " and " + accuracyUpperBound);
        }

        /** For the memory estimate at submission: the rollout batch. */
        @Override
        public int sequencesPerUpdate() {
            return promptsPerStep * numGenerations;
        }

        /** The implicit PRM π_φ, trained beside the policy (with a frozen reference of its own). */
        @Override
        public int extraModelCopies() {
            return 1;
        }
    }

    static final String KIND = "prime";
    /** The checkpoint's sub-directory of the implicit PRM: its model, AdamW state and state.json. */
    static final String PRM_DIR = "prm";
    static final String PRM_KIND = "prime-prm";
    /** masked_whiten's variance guard. */
    private static final double WHITEN_EPS = 1e-8;
    /** prime_norm's guard against an all-zero batch of dense rewards. */
    private static final double NORM_EPS = 1e-6;

    private final Config cfg;
    /** π_φ, with its own frozen reference and AdamW state. */
    private final AlignedPolicy prm;
    private final LrSchedule prmSchedule;
    private final NonFiniteGuard prmGuard;

    public PrimeRun(LmAlignSpec spec, Path checkpoint, RunOptions options) throws IOException {
        super(spec, checkpoint, options, KIND, spec.config(Config.class).learningRate(),
                spec.config(Config.class).weightDecay(), 0.999,
                new Sampling(spec.config(Config.class).maxCompletionLength(), spec.config(Config.class).temperature(),
                        spec.config(Config.class).topP()));
        this.cfg = spec.config(Config.class);
        try {
            Path prmCheckpoint = checkpoint == null ? null : checkpoint.resolve(PRM_DIR);
            JsonObject prmState = prmCheckpoint == null ? null
                    : CheckpointFiles.readState(prmCheckpoint, PRM_KIND, spec.seed());
            // seed + 1: under LoRA the PRM's adapters are drawn apart from the policy's
            prm = new AlignedPolicy(spec.baseModel(), spec.lora(), prmCheckpoint, prmState, spec.seed() + 1,
                    cfg.weightDecay(), 0.999, root);
            prm.checkFinite(check);
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
        prmSchedule = new LrSchedule(cfg.prmLearningRate(), 0, cfg.maxSteps(), 1.0);
        prmGuard = new NonFiniteGuard(check);
    }

    /**
     * Eq. 3: r_φ(y_t) = β·(log π_φ(y_t) − log π_ref(y_t)) for the first {@code lengths[b]} tokens of each row.
     *
     * @param logPhi (B·T) log π_φ of the completion tokens, row-major
     * @param logRef (B·T) log π_ref of the same tokens
     * @param width T, the padded completion width
     * @return each row's token rewards, {@code lengths[b]} of them
     */
    static double[][] implicitRewards(float[] logPhi, float[] logRef, int[] lengths, int width, double beta) {
        double[][] r = new double[lengths.length][];
        for (int b = 0; b < lengths.length; b++) {
            r[b] = new double[lengths[b]];
            for (int t = 0; t < lengths[b]; t++) {
                r[b][t] = beta * ((double) logPhi[b * width + t] - logRef[b * width + t]);
            }
        }
        return r;
    }

    /**
     * L_CE(φ) (Eq. 5): the binary cross-entropy between σ(z_i) and the outcome label l_i, averaged over rows, as
     * l·softplus(−z) + (1 − l)·softplus(z), which is stable for any z.
     *
     * @param z (B) sequence-level implicit rewards β·Σ_t log(π_φ/π_ref), with the gradient
     * @param label (B) outcome labels, 0 or 1
     * @return () the loss
     */
    static NDArray prmLoss(NDArray z, NDArray label) {
        return prmLoss(z, label, z.onesLike());
    }

    /** The same cross-entropy, averaged over the rows whose {@code weight} is 1 (the kept groups'). */
    static NDArray prmLoss(NDArray z, NDArray label, NDArray weight) {
        NDArray positive = label.mul(BradleyTerry.softplus(z.neg())); // (B) −l·log σ(z)
        NDArray negative = label.neg().add(1f).mul(BradleyTerry.softplus(z)); // (B) −(1 − l)·log σ(−z)
        return positive.add(negative).mul(weight).sum().div(weight.sum().maximum(1f));
    }

    /**
     * The reference implementation's {@code prime_norm: batch_norm}: every token reward divided by the largest
     * |Σ_{s≥t} r_s| over the batch (plus 10⁻⁶), so that the largest dense return-to-go has magnitude 1.
     */
    static double[][] normalizeByMaxReturn(double[][] r) {
        double max = 0;
        for (double[] row : r) {
            double ret = 0;
            for (int t = row.length - 1; t >= 0; t--) {
                ret += row[t];
                max = Math.max(max, Math.abs(ret));
            }
        }
        double scale = 1 / (max + NORM_EPS);
        double[][] out = new double[r.length][];
        for (int b = 0; b < r.length; b++) {
            out[b] = new double[r[b].length];
            for (int t = 0; t < r[b].length; t++) {
                out[b][t] = r[b][t] * scale;
            }
        }
        return out;
    }

    /**
     * Eq. 6 with γ = 1: the return-to-go of the dense rewards less their leave-one-out baseline (built from each
     * completion's mean token reward), weighted by {@code processWeight}, plus the outcome reward's leave-one-out
     * advantage, weighted by {@code outcomeWeight}. Groups are {@code k} consecutive rows.
     *
     * @param dense each row's token rewards r_φ(y_t)
     * @param outcome (B) each row's outcome reward r_o
     * @return each row's token advantages A_t
     */
    static double[][] advantages(double[][] dense, double[] outcome, int k, double processWeight,
            double outcomeWeight) {
        int rows = dense.length;
        double[] mean = new double[rows]; // r̄_φ(y^i)
        for (int b = 0; b < rows; b++) {
            double sum = 0;
            for (double x : dense[b]) {
                sum += x;
            }
            mean[b] = dense[b].length == 0 ? 0 : sum / dense[b].length;
        }
        double[] meanLoo = RlooRun.leaveOneOutAdvantages(mean, k); // r̄_i − (1/(K−1)) Σ_{j≠i} r̄_j
        double[] outcomeLoo = RlooRun.leaveOneOutAdvantages(outcome, k);
        double[][] a = new double[rows][];
        for (int b = 0; b < rows; b++) {
            double baseline = mean[b] - meanLoo[b]; // (1/(K−1)) Σ_{j≠i} r̄_j
            a[b] = new double[dense[b].length];
            double ret = 0;
            for (int t = dense[b].length - 1; t >= 0; t--) {
                ret += dense[b][t] - baseline;
                a[b][t] = processWeight * ret + outcomeWeight * outcomeLoo[b];
            }
        }
        return a;
    }

    /**
     * verl's masked_whiten over every token of the batch: (A − mean) / sqrt(var + 10⁻⁸), var with Bessel's
     * correction (0 for a single token).
     */
    /** {@link #whiten} over the rows whose {@code keep} is 1; the other rows' advantages are 0. */
    static double[][] whitenKept(double[][] a, float[] keep) {
        java.util.List<double[]> kept = new java.util.ArrayList<>();
        for (int b = 0; b < a.length; b++) {
            if (keep[b] > 0) {
                kept.add(a[b]);
            }
        }
        double[][] whitened = whiten(kept.toArray(double[][]::new));
        double[][] out = new double[a.length][];
        for (int b = 0, j = 0; b < a.length; b++) {
            out[b] = keep[b] > 0 ? whitened[j++] : new double[a[b].length];
        }
        return out;
    }

    static double[][] whiten(double[][] a) {
        long n = 0;
        double sum = 0;
        for (double[] row : a) {
            for (double x : row) {
                sum += x;
                n++;
            }
        }
        double mean = n == 0 ? 0 : sum / n;
        double sq = 0;
        for (double[] row : a) {
            for (double x : row) {
                sq += (x - mean) * (x - mean);
            }
        }
        double scale = 1 / Math.sqrt((n > 1 ? sq / (n - 1) : 0) + WHITEN_EPS);
        double[][] out = new double[a.length][];
        for (int b = 0; b < a.length; b++) {
            out[b] = new double[a[b].length];
            for (int t = 0; t < a[b].length; t++) {
                out[b][t] = (a[b][t] - mean) * scale;
            }
        }
        return out;
    }

    /** The clipped surrogate's loss and the share of counted tokens where the clip binds. */
    record Surrogate(NDArray loss, double clipRatio) {
    }

    /**
     * PPO's clipped surrogate on token advantages, averaged over the counted tokens:
     * −(1/N) Σ mask·min(ρA, clip(ρ, 1 − ε, 1 + ε)A), ρ = exp(logp − oldLogp). The clip binds where ρ &lt; 1 − ε with
     * A &lt; 0 or ρ &gt; 1 + ε with A &gt; 0.
     *
     * @param logp (B, T) log π_θ, with the gradient
     * @param oldLogp (B, T) log π_θold, no gradient
     * @param advantage (B, T) token advantages
     * @param mask (B, T) 1 for counted completion tokens
     * @param tokenCount N, the number of counted tokens (at least 1)
     */
    static Surrogate clippedSurrogate(NDArray logp, NDArray oldLogp, NDArray advantage, NDArray mask, double epsilon,
            double tokenCount) {
        NDArray ratio = logp.sub(oldLogp).exp(); // (B, T)
        NDArray clipped = ratio.clip(1 - epsilon, 1 + epsilon); // (B, T)
        NDArray perToken = ratio.mul(advantage).minimum(clipped.mul(advantage)).neg(); // (B, T)
        NDArray loss = perToken.mul(mask).sum().div(Scalars.of(perToken, tokenCount));
        NDArray low = ratio.lt(1 - epsilon).logicalAnd(advantage.lt(0f)); // (B, T)
        NDArray high = ratio.gt(1 + epsilon).logicalAnd(advantage.gt(0f)); // (B, T)
        double clipRatio = low.logicalOr(high).toType(DataType.FLOAT32, false).mul(mask).sum().getFloat() / tokenCount;
        return new Surrogate(loss, clipRatio);
    }

    @Override
    public Map<String, Double> trainStep() {
        Gradients.gradModeOff();
        check.atStep(step + 1);
        long t0 = System.nanoTime();
        int k = cfg.numGenerations();
        GroupRollout r = rollout(cycle.at(step, cfg.promptsPerStep()), k, 0);
        int rows = r.rows();
        float[] label = new float[rows];
        for (int b = 0; b < rows; b++) {
            label[b] = r.reward()[b] >= cfg.accuracyThreshold() ? 1f : 0f;
        }
        // The online prompt filter: groups whose share of correct samples lies outside [lower, upper] sit the step out.
        float[] keep = new float[rows];
        int keptGroups = 0;
        for (int q = 0; q < rows / k; q++) {
            double accuracy = 0;
            for (int b = q * k; b < (q + 1) * k; b++) {
                accuracy += label[b] / (double) k;
            }
            boolean kept = accuracy >= cfg.accuracyLowerBound() - 1e-9 && accuracy <= cfg.accuracyUpperBound() + 1e-9;
            keptGroups += kept ? 1 : 0;
            for (int b = q * k; b < (q + 1) * k; b++) {
                keep[b] = kept ? 1f : 0f;
            }
        }
        Map<String, Double> metrics = new LinkedHashMap<>();
        long t1 = System.nanoTime();
        CausalLm lm = policy.lm();
        CausalLm phi = prm.policy().lm();
        double temperature = cfg.temperature();
        AlignedPolicy.Update prmDone = null;
        double prmAccuracy = 0;
        double implicitReward = 0;
        double kl;
        double loss = 0;
        double clipRatio = 0;
        double gradNorm = 0;
        boolean skipped = false;
        try (NDManager m = root.newSubManager()) {
            CompletionBatch u = CompletionBatch.of(r.batch(), r.completions(), false, policy.tokenizer().pad(), m);
            int width = u.completionWidth;
            double tokenCount = u.tokenCount();
            NDArray logpOld = u.logpApart(lm, temperature, m); // (B, Tc) log π_θold
            NDArray logpRef = u.logpApart(model.reference(), temperature, m); // (B, Tc)
            kl = u.sequenceSum(logpOld.sub(logpRef)).sum().getFloat() / tokenCount;

            // 1. The implicit PRM's update on the outcome labels (Eq. 5), before it scores the rollout.
            NDArray prmRef = u.logpApart(prm.reference(), 1.0, m); // (B, Tc) log π_ref at temperature 1
            NDArray labels = m.create(label); // (B)
            NDArray kept = m.create(keep); // (B) 1 for the rows of kept groups
            float[][] zBefore = new float[1][];
            if (keptGroups > 0) {
                prmDone = prm.update(m, s -> {
                    u.attachInputs(s);
                    NDArray logPhi = u.logp(phi, 1.0); // (B, Tc)
                    NDArray sum = u.sequenceSum(logPhi.sub(prmRef)); // (B) Σ_t log(π_φ/π_ref)
                    NDArray z = sum.mul(Scalars.of(sum, cfg.beta())); // (B) r_φ(y)
                    zBefore[0] = z.stopGradient().toFloatArray();
                    return prmLoss(z, labels, kept);
                }, prmSchedule.at(step), cfg.gradClip(), prmGuard, "PRIME PRM", step + 1);
                for (int b = 0; b < rows; b++) {
                    prmAccuracy += keep[b] * ((zBefore[0][b] > 0 ? 1f : 0f) == label[b] ? 1 : 0);
                }
                prmAccuracy /= keptGroups * k;
            }

            // 2. Dense rewards of the updated PRM (Eq. 3).
            NDArray logPhi = u.logpApart(phi, 1.0, m); // (B, Tc)
            double[][] dense = implicitRewards(logPhi.toFloatArray(), prmRef.toFloatArray(), r.completions().lengths(),
                    width, cfg.beta());
            for (double[] row : dense) {
                for (double x : row) {
                    implicitReward += x;
                }
            }
            implicitReward /= rows;

            // 3. Combined leave-one-out advantages (Eq. 6), whitened.
            double[][] a = whitenKept(advantages(normalizeByMaxReturn(dense), r.reward(), k, cfg.processWeight(),
                    cfg.outcomeWeight()), keep);
            float[] flat = new float[rows * width];
            for (int b = 0; b < rows; b++) {
                for (int t = 0; t < a[b].length; t++) {
                    flat[b * width + t] = (float) a[b][t];
                }
            }
            NDArray advantage = m.create(flat, new Shape(rows, width)); // (B, Tc)
            NDArray keptMask = u.mask.mul(kept.expandDims(1)); // (B, Tc) the kept groups' completion tokens
            double keptTokens = Math.max(1, keptMask.sum().getFloat());

            // 4. PPO-clip steps on the token advantages.
            boolean fresh = cfg.ppoEpochs() == 1; // π_θold = π_θ: ρ = exp(logp − logp.detach()) = 1 exactly
            for (int epoch = 0; epoch < (keptGroups > 0 ? cfg.ppoEpochs() : 0); epoch++) {
                double[] clip = new double[1];
                AlignedPolicy.Update done = model.update(m, s -> {
                    u.attachInputs(s);
                    NDArray logp = u.logp(lm, temperature); // (B, Tc)
                    Surrogate surrogate = clippedSurrogate(logp, fresh ? logp.stopGradient() : logpOld, advantage,
                            keptMask, cfg.epsilon(), keptTokens);
                    clip[0] = surrogate.clipRatio();
                    return surrogate.loss();
                }, lr(), cfg.gradClip(), guard, "PRIME", step + 1);
                loss += done.loss() / cfg.ppoEpochs();
                clipRatio += clip[0] / cfg.ppoEpochs();
                if (done.skipped()) {
                    skipped = true;
                } else {
                    gradNorm += done.gradNorm() / cfg.ppoEpochs();
                }
            }
        }
        long t2 = System.nanoTime();
        double lr = lr();
        step++;
        metrics.put(MetricNames.TRAIN_LOSS, loss);
        putRolloutMetrics(metrics, r, k);
        metrics.put(MetricNames.TRAIN_KL, kl);
        metrics.put(MetricNames.TRAIN_CLIP_RATIO, clipRatio);
        metrics.put(MetricNames.TRAIN_FILTERED_FRACTION, 1 - keptGroups / (double) (rows / k));
        if (prmDone != null) { // no group kept: neither model moved
            metrics.put(MetricNames.TRAIN_PRM_LOSS, prmDone.loss());
            metrics.put(MetricNames.TRAIN_PRM_ACCURACY, prmAccuracy);
        }
        metrics.put(MetricNames.TRAIN_IMPLICIT_REWARD_MEAN, implicitReward);
        if (keptGroups > 0) {
            NonFiniteGuard.putUpdateMetrics(metrics, skipped ? Double.NaN : gradNorm, lr);
        } else {
            metrics.put(MetricNames.TRAIN_LR, lr);
        }
        metrics.put(MetricNames.PERF_UPDATE_SECONDS, (t2 - t1) / 1e9);
        metrics.put(MetricNames.PERF_TOKENS_PER_SECOND,
                (rows * (double) r.batch().width() + r.completions().tokenCount()) / ((t2 - t0) / 1e9));
        DeviceInfo.putMemoryInUse(root.getDevice(), metrics);
        return metrics;
    }

    @Override
    public Map<String, Double> evaluate() {
        return greedyEval(cfg.evalLimit(), cfg.accuracyThreshold());
    }

    @Override
    protected void saveExtra(Path dir) throws IOException {
        prm.save(dir.resolve(PRM_DIR), PRM_KIND, step, spec.seed(), cfg);
    }

    @Override
    protected void closeExtra() {
        if (prm != null) {
            prm.close();
        }
    }
}
