package dev.tropism.engine.align;

import static dev.tropism.engine.ConfigException.require;

import ai.djl.ndarray.NDManager;
import dev.tropism.engine.DeviceInfo;
import dev.tropism.engine.MetricNames;
import dev.tropism.engine.RunOptions;
import dev.tropism.engine.align.DpoRun.LossType;
import dev.tropism.engine.lm.Sampler.PromptBatch;
import dev.tropism.engine.nn.Gradients;
import dev.tropism.engine.nn.NonFiniteGuard;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Online DPO: DPO on preference pairs of the policy's own samples, ranked as they are drawn (Guo et al. 2024, "Direct
 * Language Model Alignment from Online AI Feedback", Alg. 1; the form used by the self-rewarding (Yuan et al. 2024) and
 * follow-up-likelihood papers, with the job's reward spec as the annotator).
 *
 * <p>Each step samples G completions y_1 … y_G for each of P prompts from the current policy, scores them with the
 * reward r, and forms one pair per prompt:
 * <pre>
 *   y_w = argmax_i r(x, y_i),  y_l = argmin_i r(x, y_i)   (the first of equal ones)
 * </pre>
 * A group whose G rewards are all equal ranks nothing and is skipped: {@code train/frac_reward_zero_std} is the share
 * of groups skipped. The kept pairs then take one DPO step against the frozen reference, with the loss of
 * {@link DpoRun#loss} (β, loss_type and label_smoothing as in DPO), and π_ref's log-probs of the fresh samples are
 * computed in the step. Log-probs are those of π_θ itself (temperature 1), whatever the sampling temperature. A step
 * with no pair left updates nothing (loss 0, and no reward metrics).
 *
 * <p>Metrics: the rollout's ({@code train/reward/...}, {@code train/frac_reward_zero_std}, completion lengths),
 * DPO's implicit-reward metrics of the kept pairs ({@code train/rewards/chosen}, {@code .../rejected},
 * {@code .../margins}, {@code .../accuracies}) and {@code train/loss}; evaluations decode greedily.
 */
public final class OnlineDpoRun extends LmRun {

    /**
     * Hyperparameters of online DPO, named after TRL's OnlineDPOConfig where it has the knob.
     *
     * @param maxSteps rollout batches of the run, one optimizer step each; default 150
     * @param promptsPerStep P, distinct prompts per rollout batch (at most one pair each); default 16
     * @param numGenerations G, completions per prompt, among which the best and the worst form the pair; default 4
     *     (Guo et al. sample 2, the self-rewarding papers 4); at least 2
     * @param learningRate AdamW learning rate, constant after warmup; default 3e-4 for the tiny model
     * @param warmupSteps linear warmup; default 5
     * @param weightDecay AdamW decoupled weight decay; default 0
     * @param gradClip global L2 norm clip; default 1.0 (0 disables)
     * @param beta β of the DPO loss; default 0.1 (TRL)
     * @param lossType the DPO loss ({@link DpoRun.LossType}); default sigmoid
     * @param labelSmoothing ε of cDPO (sigmoid) or rDPO (robust): the assumed rate at which the reward ranks a pair
     *     wrongly; default 0
     * @param maxCompletionLength tokens sampled per completion at most; default 8
     * @param temperature sampling temperature of rollouts; default 1.0
     * @param topP nucleus mass of rollouts; default 1.0 (off)
     * @param evalInterval steps between greedy evaluations; default 25; 0 disables
     * @param evalLimit eval items used at most; default 1000
     * @param accuracyThreshold an eval sample counts as correct when its reward is at least this; default 1.0
     */
    public record Config(int maxSteps, int promptsPerStep, int numGenerations, double learningRate, int warmupSteps,
            double weightDecay, double gradClip, double beta, LossType lossType, double labelSmoothing,
            int maxCompletionLength, double temperature, double topP, int evalInterval, int evalLimit,
            double accuracyThreshold) implements LmMethodConfig {

        public static final Config DEFAULT = new Config(150, 16, 4, 3e-4, 5, 0.0, 1.0, 0.1, LossType.SIGMOID, 0.0, 8,
                1.0, 1.0, 25, 1000, 1.0);

        public Config {
            SamplingChecks.rollout(maxSteps, promptsPerStep, numGenerations, "a pair");
            SamplingChecks.optimizer(learningRate, warmupSteps, maxSteps, weightDecay, gradClip);
            DpoRun.requireObjective(beta, lossType, labelSmoothing);
            SamplingChecks.sampling(maxCompletionLength, temperature, topP);
            SamplingChecks.evaluation(evalInterval, evalLimit, accuracyThreshold);
        }

        /** For the memory estimate at submission: the update sees one (best, worst) pair per prompt. */
        @Override
        public int sequencesPerUpdate() {
            return 2 * promptsPerStep;
        }
    }

    static final String KIND = "online_dpo";

    private final Config cfg;

    public OnlineDpoRun(LmAlignSpec spec, Path checkpoint, RunOptions options) throws IOException {
        super(spec, checkpoint, options, KIND, spec.config(Config.class).learningRate(),
                spec.config(Config.class).weightDecay(), 0.999,
                new Sampling(spec.config(Config.class).maxCompletionLength(), spec.config(Config.class).temperature(),
                        spec.config(Config.class).topP()));
        this.cfg = spec.config(Config.class);
    }

    /**
     * The (best, worst) rows of each group of {@code g} consecutive rewards whose rewards are not all equal: pairs[k] =
     * {chosen row, rejected row}; the first of equal rewards wins a tie.
     */
    static List<int[]> bestWorstPairs(double[] reward, int g) {
        List<int[]> pairs = new ArrayList<>();
        for (int start = 0; start < reward.length; start += g) {
            int best = start;
            int worst = start;
            for (int i = start + 1; i < start + g; i++) {
                best = reward[i] > reward[best] ? i : best;
                worst = reward[i] < reward[worst] ? i : worst;
            }
            if (reward[best] > reward[worst]) {
                pairs.add(new int[] {best, worst});
            }
        }
        return pairs;
    }

    @Override
    public Map<String, Double> trainStep() {
        Gradients.gradModeOff();
        check.atStep(step + 1);
        long t0 = System.nanoTime();
        int g = cfg.numGenerations();
        GroupRollout r = rollout(cycle.at(step, cfg.promptsPerStep()), g, 0);
        long t1 = System.nanoTime();
        List<int[]> pairs = bestWorstPairs(r.reward(), g);
        Map<String, Double> metrics = new LinkedHashMap<>();
        double gradNorm = 0;
        if (pairs.isEmpty()) {
            metrics.put(MetricNames.TRAIN_LOSS, 0.0); // nothing ranked, nothing learned
        } else {
            int p = pairs.size();
            int[] rows = new int[2 * p];
            for (int i = 0; i < p; i++) {
                rows[i] = pairs.get(i)[0];
                rows[p + i] = pairs.get(i)[1];
            }
            try (NDManager m = root.newSubManager()) {
                CompletionBatch u = DpoRun.pairBatch(prompts(r.batch(), rows), CompletionBatch.select(r.completions(), rows),
                        policy.tokenizer().pad(), m);
                float[] reference = u.sequenceSum(u.logpApart(model.reference(), 1.0, m)).toFloatArray(); // (2P)
                gradNorm = DpoRun.update(model, u, reference, cfg.lossType(), cfg.beta(), cfg.labelSmoothing(), lr(),
                        cfg.gradClip(), guard, step + 1, m, metrics).gradNorm();
            }
        }
        long t2 = System.nanoTime();
        putRolloutMetrics(metrics, r, g);
        NonFiniteGuard.putUpdateMetrics(metrics, gradNorm, lr());
        step++;
        metrics.put(MetricNames.PERF_UPDATE_SECONDS, (t2 - t1) / 1e9);
        metrics.put(MetricNames.PERF_TOKENS_PER_SECOND,
                (r.rows() * (double) r.batch().width() + r.completions().tokenCount()) / ((t2 - t0) / 1e9));
        DeviceInfo.putMemoryInUse(root.getDevice(), metrics);
        return metrics;
    }

    /** The unpadded prompt tokens of {@code rows} of a rollout's prompt batch. */
    private static List<int[]> prompts(PromptBatch batch, int[] rows) {
        List<int[]> out = new ArrayList<>(rows.length);
        for (int row : rows) {
            out.add(Arrays.copyOfRange(batch.tokens()[row], batch.width() - batch.lengths()[row], batch.width()));
        }
        return out;
    }

    @Override
    public Map<String, Double> evaluate() {
        return greedyEval(cfg.evalLimit(), cfg.accuracyThreshold());
    }
}
