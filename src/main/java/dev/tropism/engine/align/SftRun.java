package dev.tropism.engine.align;

import static dev.tropism.engine.ConfigException.require;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.tropism.engine.ConfigException;
import dev.tropism.engine.DeviceInfo;
import dev.tropism.engine.MetricNames;
import dev.tropism.engine.RunOptions;
import dev.tropism.engine.lm.CausalLm;
import dev.tropism.engine.lm.EmbeddingNoise;
import dev.tropism.engine.nn.Gradients;
import dev.tropism.engine.nn.NonFiniteGuard;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Supervised fine-tuning: next-token cross-entropy on the demonstrations of an {@code sft} dataset, on the completion
 * (or assistant) tokens only, the prompt's tokens being context and not targets (TRL's {@code SFTTrainer} with
 * {@code completion_only_loss} / {@code assistant_only_loss}). For a batch with the counted targets y_1 … y_N, each
 * y_k predicted from the tokens before it in its own sequence:
 * <pre>
 *   L(θ) = −(1/N) · Σ_k log π_θ(y_k | y_&lt;k)
 * </pre>
 * the mean over every counted token of the batch, so a long completion weighs more than a short one, as in TRL. How
 * lines become sequences, which tokens count and how a long one is cut: {@link SftExample}. Rows are padded by
 * default, or packed ({@code packing}: several sequences laid end to end in a row of {@code max_length} positions,
 * each with its own positions and attending only to itself; {@link SftBatch}, {@link PackedCycle}).
 *
 * <p>Optional NEFTune (Jain et al. 2023, "NEFTune: Noisy Embeddings Improve Instruction Finetuning"): uniform noise of
 * scale α/√(L·d) on the input embeddings of the training forward only, drawn from (seed, step)
 * ({@link EmbeddingNoise}); evaluation sees the clean model.
 *
 * <p>There is no reward and no reference: the frozen copy every {@link LmRun} keeps is unused here.
 */
public final class SftRun extends LmRun {

    /**
     * Hyperparameters of SFT, named after TRL's SFTConfig.
     *
     * @param maxSteps optimizer steps of the run; default 200
     * @param batchSize rows per step (sequences, or packed rows under {@code packing}); default 16
     * @param learningRate AdamW learning rate, constant after warmup; default 3e-4 for the tiny model (TRL's 2e-5 suits
     *     billion-parameter models)
     * @param warmupSteps linear warmup; default 5
     * @param weightDecay AdamW decoupled weight decay; default 0
     * @param gradClip global L2 norm clip; default 1.0 (0 disables)
     * @param maxLength tokens of one sequence at most, BOS and EOS included; longer ones lose the prompt's head first,
     *     then their end; under packing, also the positions of a packed row; default 0, the model's context
     * @param packing lay several sequences end to end in each row instead of padding each to the longest; default
     *     false
     * @param neftuneNoiseAlpha α of NEFTune's embedding noise in training (the paper uses 5 to 15); default 0, off
     * @param evalInterval steps between evaluations (eval/loss on eval_dataset); default 25; 0 disables
     * @param evalLimit eval lines used at most; default 1000
     */
    public record Config(int maxSteps, int batchSize, double learningRate, int warmupSteps, double weightDecay,
            double gradClip, int maxLength, boolean packing, double neftuneNoiseAlpha, int evalInterval,
            int evalLimit) implements LmMethodConfig {

        public static final Config DEFAULT = new Config(200, 16, 3e-4, 5, 0.0, 1.0, 0, false, 0.0, 25, 1000);

        public Config {
            require(maxSteps >= 1 && maxSteps <= 1_000_000, "max_steps", "must be in [1, 1000000], got " + maxSteps);
            require(batchSize >= 1 && batchSize <= 1024, "batch_size", "must be in [1, 1024], got " + batchSize);
            require(learningRate > 0 && learningRate <= 1, "learning_rate", "must be in (0, 1], got " + learningRate);
            require(warmupSteps >= 0 && warmupSteps <= maxSteps, "warmup_steps",
                    "must be in [0, max_steps=" + maxSteps + "], got " + warmupSteps);
            require(weightDecay >= 0 && weightDecay <= 1, "weight_decay", "must be in [0, 1], got " + weightDecay);
            require(gradClip >= 0, "grad_clip", "must be >= 0 (0 disables clipping), got " + gradClip);
            require(maxLength == 0 || maxLength >= 2 && maxLength <= 1_000_000, "max_length",
                    "must be 0 (the model's context) or in [2, 1000000], got " + maxLength);
            require(neftuneNoiseAlpha >= 0 && neftuneNoiseAlpha <= 100, "neftune_noise_alpha",
                    "must be in [0, 100] (0 turns NEFTune off), got " + neftuneNoiseAlpha);
            require(evalInterval >= 0, "eval_interval", "must be >= 0 (0 disables), got " + evalInterval);
            require(evalLimit >= 1 && evalLimit <= 100_000, "eval_limit", "must be in [1, 100000], got " + evalLimit);
        }

        /** For the memory estimate at submission: sequences (or packed rows) of one step. */
        @Override
        public int sequencesPerUpdate() {
            return batchSize;
        }
    }

    static final String KIND = "sft";

    /** The roles of an {@code sft} line's {@code messages}; the loss is on the assistant's turns. */
    public static final List<String> ROLES = List.of("system", "user", "assistant");

    private final Config cfg;
    /** Padding: one sequence per row, in epoch order. */
    private final PromptCycle<SftExample> sequences;
    /** Packing: rows of several sequences; null when padding. */
    private final PackedCycle<SftExample> packed;
    private final List<SftExample> eval;

    public SftRun(LmAlignSpec spec, Path checkpoint, RunOptions options) throws IOException {
        super(spec, checkpoint, options, KIND, spec.config(Config.class).learningRate(),
                spec.config(Config.class).weightDecay(), 0.999, null);
        this.cfg = spec.config(Config.class);
        try {
            int block = policy.lm().contextLength();
            if (cfg.maxLength() > block) {
                throw new ConfigException("max_length", "must be at most the model's context of " + block
                        + " tokens (0 means the context), got " + cfg.maxLength());
            }
            int maxLength = cfg.maxLength() == 0 ? block : cfg.maxLength();
            List<SftExample> train = SftExample.all(spec.items(), policy, maxLength, "dataset");
            sequences = new PromptCycle<>(train, spec.seed());
            packed = cfg.packing() ? new PackedCycle<>(train, SftExample::inputs, maxLength, spec.seed()) : null;
            List<Map<String, Object>> evalItems = spec.evalItems();
            eval = SftExample.all(evalItems.subList(0, Math.min(cfg.evalLimit(), evalItems.size())), policy, maxLength,
                    "eval_dataset");
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The rows of 0-based step {@code s}. */
    List<List<SftExample>> rows(int s) {
        return packed != null ? packed.at(s, cfg.batchSize())
                : sequences.at(s, cfg.batchSize()).stream().map(List::of).toList();
    }

    @Override
    public Map<String, Double> trainStep() {
        Gradients.gradModeOff();
        check.atStep(step + 1);
        long t0 = System.nanoTime();
        CausalLm lm = policy.lm();
        // NEFTune's ε of this step: a stream of its own, apart from every other use of (seed, step).
        EmbeddingNoise noise = cfg.neftuneNoiseAlpha() > 0
                ? new EmbeddingNoise(cfg.neftuneNoiseAlpha(), spec.seed() * 1_000_003L + step + 977_000_000_017L)
                : null;
        AlignedPolicy.Update done;
        long[] correct = new long[1];
        SftBatch batch;
        try (NDManager m = root.newSubManager()) {
            batch = SftBatch.of(rows(step), m);
            if (noise != null) {
                lm.embeddingNoise(noise);
            }
            try {
                done = model.update(m, s -> {
                    batch.attachInputs(s);
                    NDArray logits = batch.logits(lm); // (N, V)
                    correct[0] = batch.correct(logits);
                    return batch.logp(logits).mean().neg(); // L = −(1/N) Σ_k log π_θ(y_k | y_<k)
                }, lr(), cfg.gradClip(), guard, "SFT", step + 1);
            } finally {
                if (noise != null) {
                    lm.embeddingNoise(null);
                }
            }
        }
        long t1 = System.nanoTime();
        double lr = lr();
        step++;
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put(MetricNames.TRAIN_LOSS, done.loss());
        metrics.put(MetricNames.TRAIN_MEAN_TOKEN_ACCURACY, (double) correct[0] / batch.count);
        metrics.put(MetricNames.TRAIN_TOKENS, (double) batch.count);
        NonFiniteGuard.putUpdateMetrics(metrics, done.gradNorm(), lr);
        metrics.put(MetricNames.PERF_UPDATE_SECONDS, (t1 - t0) / 1e9);
        metrics.put(MetricNames.PERF_TOKENS_PER_SECOND, batch.tokens / ((t1 - t0) / 1e9));
        DeviceInfo.putMemoryInUse(root.getDevice(), metrics);
        return metrics;
    }

    /**
     * {@code eval/loss}, the same per-token cross-entropy on up to {@code eval_limit} lines of {@code eval_dataset}
     * (no noise), and {@code eval/mean_token_accuracy}, the share of their counted tokens that are the argmax.
     */
    @Override
    public Map<String, Double> evaluate() {
        check.atStep(0);
        Gradients.gradModeOff();
        if (eval.isEmpty()) {
            return Map.of();
        }
        double logpSum = 0;
        long correct = 0;
        long count = 0;
        try (NDManager m = root.newSubManager()) {
            for (int i = 0; i < eval.size(); i += cfg.batchSize()) {
                try (NDManager s = m.newSubManager()) {
                    SftBatch b = SftBatch.of(eval.subList(i, Math.min(eval.size(), i + cfg.batchSize())).stream()
                            .map(List::of).toList(), s);
                    NDArray logits = b.logits(policy.lm()); // (N, V)
                    logpSum += b.logp(logits).sum().getFloat();
                    correct += b.correct(logits);
                    count += b.count;
                }
            }
        }
        Map<String, Double> out = new LinkedHashMap<>();
        out.put(MetricNames.EVAL_LOSS, -logpSum / count);
        out.put(MetricNames.EVAL_MEAN_TOKEN_ACCURACY, (double) correct / count);
        return out;
    }
}
