package dev.tropism.engine.align;

import static dev.tropism.engine.ConfigException.require;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.tropism.engine.DeviceInfo;
import dev.tropism.engine.MetricNames;
import dev.tropism.engine.RunOptions;
import dev.tropism.engine.lm.CausalLm;
import dev.tropism.engine.nn.Gradients;
import dev.tropism.engine.nn.NonFiniteGuard;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * RLOO: REINFORCE with the leave-one-out baseline (Ahmadian et al. 2024, "Back to Basics: Revisiting REINFORCE Style
 * Optimization for Learning from Human Feedback in LLMs", Sec. 3.2, Eq. 6).
 *
 * <p>Each step samples k completions y_1 … y_k for each prompt x. The whole completion is one action, and its reward
 * carries the KL penalty to the reference as a sequence-level term (the paper's r(x, y) − β·log(π(y|x)/π_ref(y|x))):
 * <pre>
 *   R_i = r(x, y_i) − β · Σ_t (log π_θ(y_i,t) − log π_ref(y_i,t))
 *   b_i = (1 / (k − 1)) · Σ_{j≠i} R_j                      (leave-one-out baseline)
 *   A_i = R_i − b_i = k/(k − 1) · (R_i − mean_j R_j)
 *   L(θ) = −(1 / (P·k)) · Σ_i A_i · Σ_t log π_θ(y_i,t)      (one REINFORCE step on the rollout)
 * </pre>
 * Unlike GRPO, advantages are not divided by a standard deviation and there is no ratio clipping: RLOO is plain
 * on-policy REINFORCE with a variance-reducing baseline.
 */
public final class RlooRun extends LmRun {

    /**
     * Hyperparameters of RLOO, named after TRL's RLOOConfig where it has the knob.
     *
     * @param maxSteps rollout batches of the run, one optimizer step each; default 150
     * @param promptsPerStep distinct prompts per rollout batch; default 16
     * @param numGenerations k, completions per prompt; default 8; the leave-one-out baseline needs at least 2
     * @param learningRate AdamW learning rate, constant after warmup; default 3e-4 for the tiny model
     * @param warmupSteps linear warmup; default 5
     * @param weightDecay AdamW decoupled weight decay; default 0
     * @param gradClip global L2 norm clip; default 1.0 (0 disables)
     * @param beta β, weight of the sequence-level KL penalty folded into the reward (Ahmadian et al. Eq. 1); default
     *     0.0, as GRPO here; the KL is measured and logged as {@code train/kl} either way
     * @param maxCompletionLength tokens sampled per completion at most; default 8
     * @param temperature sampling temperature of rollouts; default 1.0
     * @param topP nucleus mass of rollouts; default 1.0 (off)
     * @param evalInterval steps between greedy evaluations; default 25; 0 disables
     * @param evalLimit eval items used at most; default 1000
     * @param accuracyThreshold an eval sample counts as correct when its reward is at least this; default 1.0
     */
    public record Config(int maxSteps, int promptsPerStep, int numGenerations, double learningRate, int warmupSteps,
            double weightDecay, double gradClip, double beta, int maxCompletionLength, double temperature, double topP,
            int evalInterval, int evalLimit, double accuracyThreshold) implements LmMethodConfig {

        public static final Config DEFAULT = new Config(150, 16, 8, 3e-4, 5, 0.0, 1.0, 0.0, 8, 1.0, 1.0, 25, 1000, 1.0);

        public Config {
            SamplingChecks.rollout(maxSteps, promptsPerStep, numGenerations, "the leave-one-out baseline");
            SamplingChecks.optimizer(learningRate, warmupSteps, maxSteps, weightDecay, gradClip);
            require(beta >= 0 && beta <= 10, "beta", "must be in [0, 10], got " + beta);
            SamplingChecks.sampling(maxCompletionLength, temperature, topP);
            SamplingChecks.evaluation(evalInterval, evalLimit, accuracyThreshold);
        }

        @Override
        public int sequencesPerUpdate() {
            return promptsPerStep * numGenerations;
        }
    }

    static final String KIND = "rloo";

    private final Config cfg;

    public RlooRun(LmAlignSpec spec, Path checkpoint, RunOptions options) throws IOException {
        super(spec, checkpoint, options, KIND, spec.config(Config.class).learningRate(),
                spec.config(Config.class).weightDecay(), 0.999,
                new Sampling(spec.config(Config.class).maxCompletionLength(), spec.config(Config.class).temperature(),
                        spec.config(Config.class).topP()));
        this.cfg = spec.config(Config.class);
    }

    /**
     * A_i = R_i − (1/(k − 1))·Σ_{j≠i} R_j within each group of {@code k} consecutive returns (Ahmadian et al. Eq. 6).
     */
    static double[] leaveOneOutAdvantages(double[] returns, int k) {
        double[] advantage = new double[returns.length];
        for (int start = 0; start < returns.length; start += k) {
            double sum = 0;
            for (int i = start; i < start + k; i++) {
                sum += returns[i];
            }
            for (int i = start; i < start + k; i++) {
                double baseline = (sum - returns[i]) / (k - 1);
                advantage[i] = returns[i] - baseline;
            }
        }
        return advantage;
    }

    @Override
    public Map<String, Double> trainStep() {
        Gradients.gradModeOff();
        check.atStep(step + 1);
        long t0 = System.nanoTime();
        int k = cfg.numGenerations();
        GroupRollout r = rollout(cycle.at(step, cfg.promptsPerStep()), k, 0);
        Map<String, Double> metrics = new LinkedHashMap<>();
        long t1 = System.nanoTime();
        CausalLm lm = policy.lm();
        AlignedPolicy.Update done;
        double kl;
        double entropy;
        try (NDManager m = root.newSubManager()) {
            CompletionBatch u = CompletionBatch.of(r.batch(), r.completions(), false, policy.tokenizer().pad(), m);
            // Sequence-level KL of each sample: Σ_t log π_θ(y_t) − log π_ref(y_t), measured before the update.
            NDArray logpOld = u.logpApart(lm, cfg.temperature(), m); // (B, Tc)
            NDArray logpRef = u.logpApart(model.reference(), cfg.temperature(), m); // (B, Tc)
            float[] seqKl = u.sequenceSum(logpOld.sub(logpRef)).toFloatArray(); // (B)
            double[] returns = new double[r.rows()];
            double klSum = 0;
            for (int b = 0; b < returns.length; b++) {
                returns[b] = r.reward()[b] - cfg.beta() * seqKl[b];
                klSum += seqKl[b];
            }
            kl = klSum / u.tokenCount();
            double[] advantage = leaveOneOutAdvantages(returns, k);
            float[] adv = new float[advantage.length];
            for (int b = 0; b < adv.length; b++) {
                adv[b] = (float) advantage[b];
            }
            NDArray advantages = m.create(adv); // (B)
            double[] entropyOut = new double[1];
            done = model.update(m, s -> {
                u.attachInputs(s);
                NDArray logits = u.completionLogits(lm, cfg.temperature()); // (B, Tc, V)
                NDArray logp = CompletionBatch.tokenLogp(logits, u.targets); // (B, Tc)
                NDArray lp = logits.stopGradient().logSoftmax(-1); // (B, Tc, V)
                entropyOut[0] = u.sequenceSum(lp.exp().mul(lp).sum(new int[] {-1}).neg()).sum().getFloat()
                        / u.tokenCount();
                NDArray sequenceLogp = u.sequenceSum(logp); // (B)
                return sequenceLogp.mul(advantages).mean().neg(); // L = −mean_i A_i · log π_θ(y_i | x)
            }, lr(), cfg.gradClip(), guard, "RLOO", step + 1);
            entropy = entropyOut[0];
        }
        long t2 = System.nanoTime();
        double lr = lr();
        step++;
        metrics.put(MetricNames.TRAIN_LOSS, done.loss());
        putRolloutMetrics(metrics, r, k);
        metrics.put(MetricNames.TRAIN_KL, kl);
        metrics.put(MetricNames.TRAIN_ENTROPY, entropy);
        NonFiniteGuard.putUpdateMetrics(metrics, done.gradNorm(), lr);
        metrics.put(MetricNames.PERF_UPDATE_SECONDS, (t2 - t1) / 1e9);
        metrics.put(MetricNames.PERF_TOKENS_PER_SECOND,
                (r.rows() * (double) r.batch().width() + r.completions().tokenCount()) / ((t2 - t0) / 1e9));
        DeviceInfo.putMemoryInUse(root.getDevice(), metrics);
        return metrics;
    }

    @Override
    public Map<String, Double> evaluate() {
        return greedyEval(cfg.evalLimit(), cfg.accuracyThreshold());
    }
}
