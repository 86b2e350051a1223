package dev.tropism.engine.align;

import static dev.tropism.engine.ConfigException.require;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Activation;
import dev.tropism.engine.ConfigException;
import dev.tropism.engine.DeviceInfo;
import dev.tropism.engine.MetricNames;
import dev.tropism.engine.RunOptions;
import dev.tropism.engine.lm.CausalLm;
import dev.tropism.engine.lm.Sampler.Completions;
import dev.tropism.engine.lm.Sampler.PromptBatch;
import dev.tropism.engine.lm.Tokenizer;
import dev.tropism.engine.nn.Gradients;
import dev.tropism.engine.nn.NonFiniteGuard;
import dev.tropism.engine.nn.Scalars;
import dev.tropism.engine.rm.BradleyTerry;
import dev.tropism.engine.rm.PreferencePair;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * DPO: Direct Preference Optimization (Rafailov et al. 2023, "Direct Preference Optimization: Your Language Model is
 * Secretly a Reward Model", Eq. 7), with the loss variants of TRL's DPOTrainer, on a {@code preferences} dataset and
 * against the frozen reference π_ref (the base model).
 *
 * <p>For a prompt x with a preferred completion y_w and a dispreferred one y_l, the implicit reward of a completion is
 * r(x, y) = β·log(π_θ(y|x)/π_ref(y|x)) (Eq. 5, the reward whose KL-regularized optimum is π_θ), where
 * log π(y|x) = Σ_t log π(y_t | x, y_&lt;t) runs over the completion's tokens and its end token. Every loss is a
 * function of the difference of log-ratios
 * <pre>
 *   h = log(π_θ(y_w|x) / π_ref(y_w|x)) − log(π_θ(y_l|x) / π_ref(y_l|x))
 *
 *   sigmoid  L = −(1 − ε)·log σ(β·h) − ε·log σ(−β·h)        DPO (Eq. 7) at ε = 0; cDPO (the label flipped with
 *                                                           probability ε, TRL's label_smoothing) otherwise
 *   robust   L = [−(1 − ε)·log σ(β·h) + ε·log σ(−β·h)] / (1 − 2ε)
 *                                                           rDPO (Chowdhury et al. 2024, "Provably Robust DPO"): the
 *                                                           unbiased loss under labels flipped with rate ε
 *   ipo      L = (h − 1/(2β))²                             IPO (Azar et al. 2023, Eq. 17, τ = β), on sequence sums
 *                                                           (TRL averages the log-probs per token instead)
 *   hinge    L = max(0, 1 − β·h)                           SLiC's rank calibration loss (Zhao et al. 2023) with
 *                                                           margin 1/β on h, as TRL's hinge
 * </pre>
 * averaged over the step's {@code batch_size} pairs. Each step's pairs walk seeded per-epoch permutations of the set.
 *
 * <p>π_ref never changes, so its log-probs of every training and eval pair are computed once, when the run opens, and
 * kept on the host (as TRL's precompute_ref_log_probs); a checkpoint stores them ({@value #REFERENCE_FILE}), so that a
 * resumed run reads the very numbers the original run used instead of recomputing them on another device or in
 * another batch layout.
 *
 * <p>Sequences: the completions keep their first {@code max_length − 1} tokens (end token included) and each pair's
 * prompt keeps its last tokens within what is left of {@code max_length} by the longer of its two completions (the
 * BOS token included), so that both completions of a pair follow the same prompt tokens.
 *
 * <p>Metrics (TRL's names): {@code train/loss}, {@code train/rewards/chosen}, {@code train/rewards/rejected} (mean
 * implicit rewards), {@code train/rewards/margins} (their mean difference), {@code train/rewards/accuracies} (share of
 * pairs whose chosen reward is strictly larger: 0 while π_θ = π_ref); on the eval pairs {@code eval/loss} and the same
 * four as {@code eval/rewards/...}.
 */
public final class DpoRun extends LmRun {

    /** TRL's loss_type: which function of the log-ratio difference h is minimized. */
    public enum LossType {
        /** −log σ(β·h), with cDPO's label smoothing ε (Rafailov et al. 2023, Eq. 7). */
        SIGMOID,
        /** (h − 1/(2β))² (Azar et al. 2023, Eq. 17). */
        IPO,
        /** max(0, 1 − β·h) (SLiC, Zhao et al. 2023). */
        HINGE,
        /** rDPO's unbiased loss under label noise ε (Chowdhury et al. 2024). */
        ROBUST
    }

    /**
     * Hyperparameters of DPO, named after TRL's DPOConfig.
     *
     * @param maxSteps optimizer steps of the run; default 200
     * @param batchSize preference pairs per optimizer step (each pair is two sequences); default 16
     * @param learningRate AdamW learning rate, constant after warmup; default 1e-4 for the tiny model (TRL's 1e-6 is
     *     meant for billion-parameter models)
     * @param warmupSteps linear warmup; default 5
     * @param weightDecay AdamW decoupled weight decay; default 0 (TRL)
     * @param gradClip global L2 norm clip; default 1.0 (TRL's max_grad_norm); 0 disables
     * @param beta β, the strength of the implicit KL constraint to the reference (the scale of the implicit reward);
     *     default 0.1 (TRL)
     * @param lossType the loss; default sigmoid (DPO)
     * @param labelSmoothing ε, the assumed rate of flipped preference labels, for sigmoid (cDPO) and robust (rDPO);
     *     default 0; in [0, 0.5], and below 0.5 for robust
     * @param maxLength tokens of a prompt and a completion together at most; default 0, the model's context
     * @param evalInterval steps between evaluations on the eval pairs; default 25; 0 disables
     * @param evalLimit eval pairs used at most; default 1000
     */
    public record Config(int maxSteps, int batchSize, double learningRate, int warmupSteps, double weightDecay,
            double gradClip, double beta, LossType lossType, double labelSmoothing, int maxLength, int evalInterval,
            int evalLimit) implements LmMethodConfig {

        public static final Config DEFAULT = new Config(200, 16, 1e-4, 5, 0.0, 1.0, 0.1, LossType.SIGMOID, 0.0, 0, 25,
                1000);

        public Config {
            require(maxSteps >= 1 && maxSteps <= 1_000_000, "max_steps", "must be in [1, 1000000], got " + maxSteps);
            require(batchSize >= 1 && batchSize <= 4096, "batch_size", "must be in [1, 4096], got " + batchSize);
            require(learningRate > 0 && learningRate <= 1, "learning_rate", "must be in (0, 1], got " + learningRate);
            require(warmupSteps >= 0 && warmupSteps <= maxSteps, "warmup_steps",
                    "must be in [0, max_steps=" + maxSteps + "], got " + warmupSteps);
            require(weightDecay >= 0 && weightDecay <= 1, "weight_decay", "must be in [0, 1], got " + weightDecay);
            require(gradClip >= 0, "grad_clip", "must be >= 0 (0 disables clipping), got " + gradClip);
            requireObjective(beta, lossType, labelSmoothing);
            require(maxLength == 0 || maxLength >= 2 && maxLength <= 1_000_000, "max_length",
                    "must be 0 (the model's context) or at least 2 (a prompt token and a completion token), got "
                            + maxLength);
            require(evalInterval >= 0, "eval_interval", "must be >= 0 (0 disables), got " + evalInterval);
            require(evalLimit >= 1 && evalLimit <= 100_000, "eval_limit", "must be in [1, 100000], got " + evalLimit);
        }

        /** For the memory estimate at submission: the chosen and the rejected sequence of each pair. */
        @Override
        public int sequencesPerUpdate() {
            return 2 * batchSize;
        }
    }

    /** The checks of β, the loss type and ε that DPO and online DPO share. */
    static void requireObjective(double beta, LossType lossType, double labelSmoothing) {
        require(beta > 0 && beta <= 100, "beta", "must be in (0, 100], got " + beta);
        require(lossType != null, "loss_type", "must be one of sigmoid, ipo, hinge, robust");
        require(labelSmoothing >= 0 && labelSmoothing <= 0.5, "label_smoothing",
                "must be in [0, 0.5], got " + labelSmoothing);
        require(labelSmoothing == 0 || lossType == LossType.SIGMOID || lossType == LossType.ROBUST, "label_smoothing",
                "applies to loss_type sigmoid (cDPO) and robust (rDPO) only; leave it at 0 for " + lossType.name()
                        .toLowerCase(java.util.Locale.ROOT));
        require(lossType != LossType.ROBUST || labelSmoothing < 0.5, "label_smoothing",
                "must be below 0.5 for robust (its loss divides by 1 − 2ε), got " + labelSmoothing);
    }

    static final String KIND = "dpo";
    /** The checkpoint file of the precomputed reference log-probs. */
    static final String REFERENCE_FILE = "reference_logps.bin";

    /**
     * One tokenized pair: the prompt row (BOS and the prompt's kept tail) and both completions with their end token.
     */
    private record Encoded(int[] prompt, int[] chosen, int[] rejected, boolean chosenCut, boolean rejectedCut) {
    }

    private final Config cfg;
    private final int maxLength;
    private final List<Encoded> train;
    private final List<Encoded> eval;
    private final PromptCycle<Integer> order;
    /** log π_ref(y|x) of each training pair, (2n): the chosen completions, then the rejected ones. */
    private final float[] trainReference;
    private final float[] evalReference;

    public DpoRun(LmAlignSpec spec, Path checkpoint, RunOptions options) throws IOException {
        super(spec, checkpoint, options, KIND, spec.config(Config.class).learningRate(),
                spec.config(Config.class).weightDecay(), 0.999, null);
        this.cfg = spec.config(Config.class);
        try {
            int context = policy.lm().contextLength();
            if (cfg.maxLength() > context) {
                throw new ConfigException("max_length", "must be at most the model's context of " + context
                        + " tokens (0 means the context), got " + cfg.maxLength());
            }
            maxLength = cfg.maxLength() == 0 ? context : cfg.maxLength();
            train = encode(spec.items());
            eval = encode(spec.evalItems().subList(0, Math.min(cfg.evalLimit(), spec.evalItems().size())));
            order = new PromptCycle<>(IntStream.range(0, train.size()).boxed().toList(), spec.seed());
            if (checkpoint != null) {
                float[][] saved = readReference(checkpoint.resolve(REFERENCE_FILE), train.size(), eval.size());
                trainReference = saved[0];
                evalReference = saved[1];
            } else {
                trainReference = sequenceLogps(model.reference(), train);
                evalReference = sequenceLogps(model.reference(), eval);
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Tokenizes preference items: see the class comment for how a pair is cut to {@code max_length}. */
    private List<Encoded> encode(List<Map<String, Object>> items) {
        Tokenizer tok = policy.tokenizer();
        List<PreferencePair> pairs = items.stream().map(PreferencePair::of).toList();
        Completions chosen = CompletionBatch.encode(tok, pairs.stream().map(PreferencePair::chosen).toList(),
                maxLength - 1);
        Completions rejected = CompletionBatch.encode(tok, pairs.stream().map(PreferencePair::rejected).toList(),
                maxLength - 1);
        List<Encoded> out = new ArrayList<>(pairs.size());
        for (int i = 0; i < pairs.size(); i++) {
            int room = maxLength - Math.max(chosen.lengths()[i], rejected.lengths()[i]); // at least 1
            int[] prompt = PromptBatch.of(tok, List.of(pairs.get(i).prompt()), room).tokens()[0];
            out.add(new Encoded(prompt, chosen.tokens()[i], rejected.tokens()[i], chosen.truncated()[i],
                    rejected.truncated()[i]));
        }
        return out;
    }

    /** The 2P rows of P encoded pairs: the chosen completions, then the rejected ones, each after its prompt. */
    private CompletionBatch rows(List<Encoded> pairs, NDManager m) {
        int p = pairs.size();
        List<int[]> prompts = new ArrayList<>(2 * p);
        int[][] tokens = new int[2 * p][];
        boolean[] cut = new boolean[2 * p];
        for (int i = 0; i < p; i++) {
            Encoded e = pairs.get(i);
            tokens[i] = e.chosen();
            tokens[p + i] = e.rejected();
            cut[i] = e.chosenCut();
            cut[p + i] = e.rejectedCut();
        }
        pairs.forEach(e -> prompts.add(e.prompt()));
        pairs.forEach(e -> prompts.add(e.prompt()));
        int[] lengths = new int[2 * p];
        for (int b = 0; b < 2 * p; b++) {
            lengths[b] = tokens[b].length;
        }
        Completions completions = new Completions(tokens, lengths, cut, new String[2 * p]);
        return pairBatch(prompts, completions, policy.tokenizer().pad(), m);
    }

    /**
     * The rows of P pairs as one batch: {@code prompts} (2P unpadded prompt rows, each pair's twice) left-padded, and
     * {@code completions} (2P: the chosen ones, then the rejected ones in the same order). Truncated completions count.
     */
    static CompletionBatch pairBatch(List<int[]> prompts, Completions completions, int pad, NDManager m) {
        int width = 1;
        for (int[] row : prompts) {
            width = Math.max(width, row.length);
        }
        int[][] padded = new int[prompts.size()][width];
        int[] lengths = new int[prompts.size()];
        for (int b = 0; b < padded.length; b++) {
            int[] row = prompts.get(b);
            System.arraycopy(row, 0, padded[b], width - row.length, row.length);
            lengths[b] = row.length;
        }
        return CompletionBatch.of(new PromptBatch(padded, lengths, width), completions, false, pad, m);
    }

    /** log π(y|x) of every pair under {@code lm}, without gradients, {@code batch_size} pairs at a time: (2n). */
    private float[] sequenceLogps(CausalLm lm, List<Encoded> pairs) {
        Gradients.gradModeOff();
        int n = pairs.size();
        float[] out = new float[2 * n];
        for (int from = 0; from < n; from += cfg.batchSize()) {
            List<Encoded> chunk = pairs.subList(from, Math.min(n, from + cfg.batchSize()));
            try (NDManager m = root.newSubManager()) {
                CompletionBatch u = rows(chunk, m);
                float[] logp = u.sequenceSum(u.logpApart(lm, 1.0, m)).toFloatArray(); // (2P)
                System.arraycopy(logp, 0, out, from, chunk.size());
                System.arraycopy(logp, chunk.size(), out, n + from, chunk.size());
            }
        }
        return out;
    }

    /**
     * The per-pair loss (P) of the policy's and the reference's sequence log-probs of the chosen and the rejected
     * completions, each (P), under {@code lossType} (see the class comment); differentiable in the policy's.
     */
    public static NDArray loss(NDArray policyChosen, NDArray policyRejected, NDArray refChosen, NDArray refRejected,
            LossType lossType, double beta, double labelSmoothing) {
        NDArray h = policyChosen.sub(refChosen).sub(policyRejected.sub(refRejected)); // (P)
        double eps = labelSmoothing;
        return switch (lossType) {
            case SIGMOID, ROBUST -> {
                NDArray z = h.mul(Scalars.of(h, beta)); // β·h, (P)
                NDArray agree = BradleyTerry.softplus(z.neg()); // −log σ(β·h)
                if (eps == 0) {
                    yield agree;
                }
                NDArray flipped = BradleyTerry.softplus(z); // −log σ(−β·h)
                yield lossType == LossType.SIGMOID
                        ? agree.mul(Scalars.of(h, 1 - eps)).add(flipped.mul(Scalars.of(h, eps)))
                        : agree.mul(Scalars.of(h, 1 - eps)).sub(flipped.mul(Scalars.of(h, eps)))
                                .div(Scalars.of(h, 1 - 2 * eps));
            }
            case IPO -> h.sub(1 / (2 * beta)).square();
            case HINGE -> Activation.relu(h.mul(Scalars.of(h, beta)).neg().add(1f));
        };
    }

    /**
     * One DPO update on the P pairs of {@code u} (rows 0..P−1 chosen, P..2P−1 rejected) against {@code reference}, the
     * reference's log-probs of the same rows (2P); puts {@code train/loss} and the implicit-reward metrics. Shared by
     * {@link DpoRun} and {@link OnlineDpoRun}.
     */
    static AlignedPolicy.Update update(AlignedPolicy model, CompletionBatch u, float[] reference, LossType lossType,
            double beta, double labelSmoothing, double lr, double gradClip, NonFiniteGuard guard, int step,
            NDManager m, Map<String, Double> metrics) {
        int p = reference.length / 2;
        CausalLm lm = model.policy().lm();
        float[][] policyOut = new float[1][];
        AlignedPolicy.Update done = model.update(m, s -> {
            u.attachInputs(s);
            NDArray logp = u.sequenceSum(u.logp(lm, 1.0)); // (2P)
            NDArray ref = s.create(reference); // (2P)
            NDIndex chosen = new NDIndex("0:" + p);
            NDIndex rejected = new NDIndex(p + ":");
            policyOut[0] = logp.stopGradient().toFloatArray();
            return loss(logp.get(chosen), logp.get(rejected), ref.get(chosen), ref.get(rejected), lossType, beta,
                    labelSmoothing).mean();
        }, lr, gradClip, guard, "DPO", step);
        metrics.put(MetricNames.TRAIN_LOSS, done.loss());
        putRewards(metrics, rewards(policyOut[0], reference, beta), MetricNames.TRAIN_REWARDS_CHOSEN,
                MetricNames.TRAIN_REWARDS_REJECTED, MetricNames.TRAIN_REWARDS_MARGINS,
                MetricNames.TRAIN_REWARDS_ACCURACIES);
        return done;
    }

    /**
     * The means of the implicit rewards β·(log π_θ − log π_ref) of the chosen and the rejected completions, of their
     * margin, and the share of pairs whose chosen reward is strictly larger, from (2P) log-probs laid out as in
     * {@link #pairBatch}.
     */
    static double[] rewards(float[] policy, float[] reference, double beta) {
        int p = policy.length / 2;
        double chosen = 0;
        double rejected = 0;
        int correct = 0;
        for (int i = 0; i < p; i++) {
            double rc = beta * ((double) policy[i] - reference[i]);
            double rr = beta * ((double) policy[p + i] - reference[p + i]);
            chosen += rc;
            rejected += rr;
            correct += rc > rr ? 1 : 0;
        }
        return new double[] {chosen / p, rejected / p, (chosen - rejected) / p, (double) correct / p};
    }

    private static void putRewards(Map<String, Double> metrics, double[] rewards, String chosen, String rejected,
            String margins, String accuracies) {
        metrics.put(chosen, rewards[0]);
        metrics.put(rejected, rewards[1]);
        metrics.put(margins, rewards[2]);
        metrics.put(accuracies, rewards[3]);
    }

    /** (2P) slices of a (2n) per-pair array: the chosen and rejected entries of {@code pairs}, in that order. */
    private static float[] gather(float[] all, List<Integer> pairs) {
        int n = all.length / 2;
        int p = pairs.size();
        float[] out = new float[2 * p];
        for (int i = 0; i < p; i++) {
            out[i] = all[pairs.get(i)];
            out[p + i] = all[n + pairs.get(i)];
        }
        return out;
    }

    @Override
    public Map<String, Double> trainStep() {
        Gradients.gradModeOff();
        check.atStep(step + 1);
        long t0 = System.nanoTime();
        List<Integer> batch = order.at(step, cfg.batchSize());
        List<Encoded> pairs = batch.stream().map(train::get).toList();
        Map<String, Double> metrics = new LinkedHashMap<>();
        AlignedPolicy.Update done;
        long tokens = 0;
        try (NDManager m = root.newSubManager()) {
            CompletionBatch u = rows(pairs, m);
            tokens = (long) u.inputs.getShape().get(0) * u.inputs.getShape().get(1);
            done = update(model, u, gather(trainReference, batch), cfg.lossType(), cfg.beta(), cfg.labelSmoothing(),
                    lr(), cfg.gradClip(), guard, step + 1, m, metrics);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        NonFiniteGuard.putUpdateMetrics(metrics, done.gradNorm(), lr());
        step++;
        metrics.put(MetricNames.PERF_TOKENS_PER_SECOND, tokens / seconds);
        DeviceInfo.putMemoryInUse(root.getDevice(), metrics);
        return metrics;
    }

    /** Loss and implicit rewards on the eval pairs; empty without them. */
    @Override
    public Map<String, Double> evaluate() {
        check.atStep(0);
        Map<String, Double> out = new LinkedHashMap<>();
        if (eval.isEmpty()) {
            return out;
        }
        float[] logp = sequenceLogps(policy.lm(), eval); // (2n)
        int n = eval.size();
        double loss;
        try (NDManager m = root.newSubManager()) {
            NDArray policyArr = m.create(logp);
            NDArray refArr = m.create(evalReference);
            NDIndex chosen = new NDIndex("0:" + n);
            NDIndex rejected = new NDIndex(n + ":");
            loss = loss(policyArr.get(chosen), policyArr.get(rejected), refArr.get(chosen), refArr.get(rejected),
                    cfg.lossType(), cfg.beta(), cfg.labelSmoothing()).mean().getFloat();
        }
        out.put(MetricNames.EVAL_LOSS, loss);
        putRewards(out, rewards(logp, evalReference, cfg.beta()), MetricNames.EVAL_REWARDS_CHOSEN,
                MetricNames.EVAL_REWARDS_REJECTED, MetricNames.EVAL_REWARDS_MARGINS,
                MetricNames.EVAL_REWARDS_ACCURACIES);
        return out;
    }

    @Override
    protected void saveExtra(Path dir) throws IOException {
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(
                Files.newOutputStream(dir.resolve(REFERENCE_FILE))))) {
            for (float[] values : List.of(trainReference, evalReference)) {
                out.writeInt(values.length);
                for (float v : values) {
                    out.writeFloat(v);
                }
            }
        }
    }

    /** The training and eval reference log-probs of a checkpoint, checked against the pairs this run has. */
    private static float[][] readReference(Path file, int trainPairs, int evalPairs) throws IOException {
        if (!Files.exists(file)) {
            throw new IOException("DPO checkpoint lacks its reference log-probs " + file.getFileName());
        }
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            float[][] out = new float[2][];
            int[] pairs = {trainPairs, evalPairs};
            for (int k = 0; k < 2; k++) {
                int length = in.readInt();
                if (length != 2 * pairs[k]) {
                    throw new IOException("DPO checkpoint has reference log-probs of " + length / 2 + " "
                            + (k == 0 ? "training" : "eval") + " pairs, the run has " + pairs[k]);
                }
                out[k] = new float[length];
                for (int i = 0; i < length; i++) {
                    out[k][i] = in.readFloat();
                }
            }
            return out;
        }
    }
}
