package dev.tropism.engine.align;

import static dev.tropism.engine.ConfigException.require;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.tropism.engine.DeviceInfo;
import dev.tropism.engine.MetricNames;
import dev.tropism.engine.RunOptions;
import dev.tropism.engine.lm.CausalLm;
import dev.tropism.engine.lm.Sampler.PromptBatch;
import dev.tropism.engine.nn.Gradients;
import dev.tropism.engine.nn.NonFiniteGuard;
import dev.tropism.engine.nn.Scalars;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * SuperHF: supervised iterative learning from human feedback (Mukobi et al. 2023, "SuperHF: Supervised Iterative
 * Learning from Human Feedback", arXiv 2310.16763, Sec. 3).
 *
 * <p>SuperHF replaces PPO by supervised learning on the policy's own filtered samples. Each step samples N
 * completions for each of P prompts from the current policy, scores them with the reward, keeps the best completion
 * of each prompt (top-1; on a tie the first in sampling order, which the seeded sampler fixes) and takes one
 * supervised step on the kept completions with a KL prior to the base model:
 * <pre>
 *   L(θ) = CE + β · KL
 *   CE   = −(1/N_k) Σ_{kept i, t} log π_θ(y_t^i | x^i, y_&lt;t^i)
 *   KL   = (1/N_k) Σ_{kept i, t} Σ_v π_θ(v | ·) · (log π_θ(v | ·) − log π_ref(v | ·))     (KL(π_θ ‖ π_ref))
 * </pre>
 * N_k is the number of kept completion tokens. The KL is the exact divergence of the two next-token distributions at
 * each kept position, averaged over positions, as the paper's reference code computes it over the whole vocabulary
 * (which takes KL(π_ref ‖ π_θ), the other direction, through torch's KLDivLoss; the paper writes KL(π_θ ‖ π_ref),
 * kept here). Both terms are at temperature 1: the policy learns the kept completions themselves, whatever
 * temperature drew them. With β = 0 this is expert iteration (rejection-sampling fine-tuning).
 *
 * <p>Every completion is scored once, so {@code train/reward_calls} (cumulative, step × P × N) puts SuperHF and the
 * other sampling methods on one axis of reward-model calls.
 */
public final class SuperHfRun extends LmRun {

    /**
     * Hyperparameters of SuperHF; defaults follow the paper's reference configuration
     * ({@code experiments/superhf/shf_iterative_v1/configs/default.yaml}) except the learning rate, scaled for tiny
     * models.
     *
     * @param maxSteps sample-filter-update rounds of the run, one optimizer step each; default 150
     * @param promptsPerStep distinct prompts per round, each contributing its best completion; default 16
     * @param numGenerations N, completions sampled per prompt before filtering; default 16 (the paper's superbatch);
     *     at least 2, or there is nothing to choose from
     * @param learningRate AdamW learning rate, constant after warmup; default 3e-4 for the tiny model (the paper:
     *     2e-5 on 7B)
     * @param warmupSteps linear warmup; default 5
     * @param weightDecay AdamW decoupled weight decay; default 0
     * @param gradClip global L2 norm clip; default 1.0 (0 disables)
     * @param klCoef β, weight of the KL prior KL(π_θ ‖ π_ref) on the kept tokens; default 0.35 (the paper)
     * @param maxCompletionLength tokens sampled per completion at most; default 8
     * @param temperature sampling temperature; default 1.0
     * @param topP nucleus mass of the samples; default 0.95 (the paper)
     * @param evalInterval steps between greedy evaluations; default 25; 0 disables
     * @param evalLimit eval items used at most; default 1000
     * @param accuracyThreshold an eval sample counts as correct when its reward is at least this; default 1.0
     */
    public record Config(int maxSteps, int promptsPerStep, int numGenerations, double learningRate, int warmupSteps,
            double weightDecay, double gradClip, double klCoef, int maxCompletionLength, double temperature,
            double topP, int evalInterval, int evalLimit, double accuracyThreshold) implements LmMethodConfig {

        public static final Config DEFAULT = new Config(150, 16, 16, 3e-4, 5, 0.0, 1.0, 0.35, 8, 1.0, 0.95, 25, 1000,
                1.0);

        public Config {
            SamplingChecks.rollout(maxSteps, promptsPerStep, numGenerations, "keeping the best of N");
            SamplingChecks.optimizer(learningRate, warmupSteps, maxSteps, weightDecay, gradClip);
            require(klCoef >= 0 && klCoef <= 100, "kl_coef", "must be in [0, 100], got " + klCoef);
            SamplingChecks.sampling(maxCompletionLength, temperature, topP);
            SamplingChecks.evaluation(evalInterval, evalLimit, accuracyThreshold);
        }

        /** For the memory estimate at submission: the update sees the kept best completion of each prompt. */
        @Override
        public int sequencesPerUpdate() {
            return promptsPerStep;
        }
    }

    static final String KIND = "superhf";

    private final Config cfg;

    public SuperHfRun(LmAlignSpec spec, Path checkpoint, RunOptions options) throws IOException {
        super(spec, checkpoint, options, KIND, spec.config(Config.class).learningRate(),
                spec.config(Config.class).weightDecay(), 0.999,
                new Sampling(spec.config(Config.class).maxCompletionLength(), spec.config(Config.class).temperature(),
                        spec.config(Config.class).topP()));
        this.cfg = spec.config(Config.class);
    }

    /**
     * The row of the highest reward in each group of {@code n} consecutive rows; on a tie the first of them (rows are
     * in sampling order).
     */
    static int[] bestOfGroups(double[] reward, int n) {
        int[] best = new int[reward.length / n];
        for (int g = 0; g < best.length; g++) {
            best[g] = g * n;
            for (int i = g * n + 1; i < (g + 1) * n; i++) {
                if (reward[i] > reward[best[g]]) {
                    best[g] = i;
                }
            }
        }
        return best;
    }

    /** The loss, with its two terms as numbers. */
    record Loss(NDArray loss, double crossEntropy, double kl) {
    }

    /**
     * L = CE + β·KL over the counted tokens (see the class comment).
     *
     * @param logProbs (B, T, V) log π_θ, with the gradient
     * @param refLogProbs (B, T, V) log π_ref, no gradient
     * @param targets (B, T) int64 completion tokens
     * @param mask (B, T) 1 for counted tokens
     * @param tokenCount their number (at least 1)
     */
    static Loss loss(NDArray logProbs, NDArray refLogProbs, NDArray targets, NDArray mask, double tokenCount,
            double klCoef) {
        NDArray logp = logProbs.gather(targets.expandDims(-1), -1).squeeze(-1); // (B, T)
        NDArray ce = logp.mul(mask).sum().neg().div(Scalars.of(logp, tokenCount)); // ()
        NDArray klPerToken = logProbs.exp().mul(logProbs.sub(refLogProbs)).sum(new int[] {-1}); // (B, T)
        NDArray kl = klPerToken.mul(mask).sum().div(Scalars.of(klPerToken, tokenCount)); // ()
        NDArray total = klCoef == 0 ? ce : ce.add(kl.mul(Scalars.of(kl, klCoef)));
        return new Loss(total, ce.getFloat(), kl.getFloat());
    }

    @Override
    public Map<String, Double> trainStep() {
        Gradients.gradModeOff();
        check.atStep(step + 1);
        long t0 = System.nanoTime();
        int n = cfg.numGenerations();
        GroupRollout r = rollout(cycle.at(step, cfg.promptsPerStep()), n, 0);
        int[] kept = bestOfGroups(r.reward(), n);
        double keptReward = 0;
        for (int row : kept) {
            keptReward += r.reward()[row];
        }
        keptReward /= kept.length;
        Map<String, Double> metrics = new LinkedHashMap<>();
        long t1 = System.nanoTime();
        CausalLm lm = policy.lm();
        AlignedPolicy.Update done;
        double[] kl = new double[1];
        try (NDManager m = root.newSubManager()) {
            CompletionBatch u = CompletionBatch.of(rows(r.batch(), kept), CompletionBatch.select(r.completions(), kept),
                    false, policy.tokenizer().pad(), m);
            double tokenCount = u.tokenCount();
            NDArray refLogProbs; // (K, Tc, V): the reference's next-token distributions at the kept positions
            try (NDManager f = m.newSubManager()) {
                u.attachInputs(f);
                refLogProbs = u.completionLogits(model.reference(), 1.0).logSoftmax(-1).stopGradient();
                refLogProbs.attach(m);
            }
            done = model.update(m, s -> {
                u.attachInputs(s);
                NDArray logProbs = u.completionLogits(lm, 1.0).logSoftmax(-1); // (K, Tc, V)
                Loss l = loss(logProbs, refLogProbs, u.targets, u.mask, tokenCount, cfg.klCoef());
                kl[0] = l.kl();
                return l.loss();
            }, lr(), cfg.gradClip(), guard, "SuperHF", step + 1);
        }
        long t2 = System.nanoTime();
        double lr = lr();
        step++;
        metrics.put(MetricNames.TRAIN_LOSS, done.loss());
        putRolloutMetrics(metrics, r, n);
        metrics.put(MetricNames.TRAIN_KEPT_REWARD_MEAN, keptReward);
        metrics.put(MetricNames.TRAIN_KL, kl[0]);
        metrics.put(MetricNames.TRAIN_REWARD_CALLS, (double) step * cfg.promptsPerStep() * n);
        NonFiniteGuard.putUpdateMetrics(metrics, done.gradNorm(), lr);
        metrics.put(MetricNames.PERF_UPDATE_SECONDS, (t2 - t1) / 1e9);
        metrics.put(MetricNames.PERF_TOKENS_PER_SECOND,
                (r.rows() * (double) r.batch().width() + r.completions().tokenCount()) / ((t2 - t0) / 1e9));
        DeviceInfo.putMemoryInUse(root.getDevice(), metrics);
        return metrics;
    }

    /** The prompt rows {@code rows} of {@code batch}, still left-padded to its width. */
    static PromptBatch rows(PromptBatch batch, int[] rows) {
        int[][] tokens = new int[rows.length][];
        int[] lengths = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            tokens[i] = batch.tokens()[rows[i]];
            lengths[i] = batch.lengths()[rows[i]];
        }
        return new PromptBatch(tokens, lengths, batch.width());
    }

    @Override
    public Map<String, Double> evaluate() {
        return greedyEval(cfg.evalLimit(), cfg.accuracyThreshold());
    }
}
