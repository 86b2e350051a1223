package dev.tropism.engine.lm;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.google.gson.JsonObject;
import dev.tropism.engine.DeviceInfo;
import dev.tropism.engine.MetricNames;
import dev.tropism.engine.NumericalInstabilityException;
import dev.tropism.engine.RunOptions;
import dev.tropism.engine.TrainingRun;
import dev.tropism.engine.nn.AdamW;
import dev.tropism.engine.nn.CheckpointFiles;
import dev.tropism.engine.nn.FiniteCheck;
import dev.tropism.engine.nn.Gradients;
import dev.tropism.engine.nn.LrSchedule;
import dev.tropism.engine.nn.NonFiniteGuard;
import dev.tropism.engine.nn.Scalars;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Next-token pretraining of a fresh {@code tiny-gpt} on a corpus: cross-entropy on BOS + text + EOS
 * sequences, AdamW, warmup + cosine schedule, global-norm clipping (nanoGPT's train.py loop, one step
 * per {@link #trainStep()} call).
 */
public final class LmPretrainRun implements TrainingRun {

    static final String KIND = "pretrain";
    private static final int MAX_EVAL_LINES = 512;

    private final PretrainSpec spec;
    private final PretrainConfig cfg;
    private final NDManager root;
    private final LanguageModel model;
    private final AdamW optimizer;
    private final LrSchedule schedule;
    private final List<int[]> train = new ArrayList<>();
    private final List<int[]> eval = new ArrayList<>();
    private int step;
    private int stoppedEarlyAt = -1;
    private final FiniteCheck check;
    private final NonFiniteGuard guard;

    public LmPretrainRun(PretrainSpec spec, Path checkpoint) throws IOException {
        this(spec, checkpoint, RunOptions.DEFAULTS);
    }

    /** A run on {@code options}' device, which may turn on anomaly mode ({@link RunOptions#checkFinite()}). */
    public LmPretrainRun(PretrainSpec spec, Path checkpoint, RunOptions options) throws IOException {
        this.check = FiniteCheck.of(options.checkFinite());
        this.guard = new NonFiniteGuard(check);
        this.spec = spec;
        this.cfg = spec.training();
        this.root = NDManager.newBaseManager(options.device()); // every model, state and step array descends from it
        try {
            JsonObject state = null;
            if (checkpoint != null) {
                state = CheckpointFiles.readState(checkpoint, KIND, spec.seed());
                model = LanguageModel.load(checkpoint.resolve(CheckpointFiles.MODEL_DIR), root);
            } else {
                Tokenizer tok = spec.model().tokenizer().create(spec.corpus());
                GptConfig shape = spec.model().withVocabSize(tok.vocabSize());
                model = new LanguageModel(Gpt.initialize(shape, spec.seed(), root), tok);
            }
            Gpt gpt = model.gpt();
            gpt.checkFinite(check);
            optimizer = new AdamW(gpt.parameters(), new HashSet<>(gpt.matrixParameterNames()), 0.9, 0.99, 1e-8,
                    cfg.weightDecay(), root);
            if (state != null) {
                CheckpointFiles.readOptimizer(checkpoint, optimizer, state);
                step = state.get("step").getAsInt();
            }
            schedule = new LrSchedule(cfg.learningRate(), cfg.warmupSteps(), cfg.maxSteps(), cfg.minLrRatio());
            split();
        } catch (IOException | RuntimeException e) {
            root.close();
            throw e;
        }
    }

    /** Tokenizes the corpus and holds out a seeded {@code evalFraction} of it. */
    private void split() {
        int maxLen = model.gpt().config().blockSize() + 1;
        Tokenizer tok = model.tokenizer();
        List<int[]> all = new ArrayList<>(spec.corpus().size());
        for (String text : spec.corpus()) {
            int[] ids = tok.encode(text);
            int n = Math.min(ids.length + 2, maxLen);
            int[] row = new int[n];
            row[0] = tok.bos(); // GPT-2's <|endoftext|> is BOS and EOS at once
            System.arraycopy(ids, 0, row, 1, Math.min(ids.length, n - 1));
            if (ids.length + 2 <= maxLen) {
                row[n - 1] = tok.eos();
            }
            all.add(row);
        }
        Collections.shuffle(all, new Random(spec.seed()));
        int nEval = all.size() < 20 ? 0 : Math.min(MAX_EVAL_LINES, (int) Math.round(all.size() * cfg.evalFraction()));
        eval.addAll(all.subList(0, nEval));
        train.addAll(all.subList(nEval, all.size()));
    }

    public LanguageModel model() {
        return model;
    }

    @Override
    public Device device() {
        return root.getDevice();
    }

    @Override
    public int step() {
        return step;
    }

    /** {@code max_steps}, or the step at which {@code stop_at_accuracy} was reached. */
    @Override
    public int totalSteps() {
        return stoppedEarlyAt >= 0 ? stoppedEarlyAt : cfg.maxSteps();
    }

    @Override
    public int evalInterval() {
        return eval.isEmpty() && spec.evalPrompts().isEmpty() ? 0 : cfg.evalInterval();
    }

    @Override
    public Map<String, Double> trainStep() {
        Gradients.gradModeOff();
        check.atStep(step + 1);
        long start = System.nanoTime();
        Random rng = new Random(spec.seed() * 1_000_003L + step); // batch order: a function of (seed, step)
        List<int[]> batch = new ArrayList<>(cfg.batchSize());
        for (int i = 0; i < cfg.batchSize(); i++) {
            batch.add(train.get(rng.nextInt(train.size())));
        }
        Gpt gpt = model.gpt();
        double loss;
        double gradNorm;
        long tokens;
        Gradients.COLLECTOR_LOCK.lock();
        try (NDManager m = root.newSubManager()) {
            gpt.requireGradients(true);
            Batch b = Batch.of(batch, m);
            tokens = (long) b.rows * b.width;
            try (GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                NDArray lossArr = b.loss(gpt);
                loss = lossArr.getFloat();
                if (!Double.isFinite(loss)) {
                    throw new NumericalInstabilityException("pretraining loss is " + loss + " at step " + (step + 1));
                }
                gc.backward(lossArr);
            }
            gradNorm = guard.clippedStep(optimizer, gpt.parameters(), schedule.at(step), cfg.gradClip(), m, step + 1);
        } finally {
            gpt.requireGradients(false);
            Gradients.COLLECTOR_LOCK.unlock();
        }
        double lr = schedule.at(step);
        step++;
        double seconds = (System.nanoTime() - start) / 1e9;
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put(MetricNames.TRAIN_LOSS, loss);
        NonFiniteGuard.putUpdateMetrics(metrics, gradNorm, lr);
        metrics.put(MetricNames.PERF_TOKENS_PER_SECOND, tokens / seconds);
        DeviceInfo.putMemoryInUse(root.getDevice(), metrics);
        return metrics;
    }

    /**
     * {@code eval/loss} on the held-out corpus lines and, with eval prompts, greedy {@code eval/accuracy};
     * reaching {@code stop_at_accuracy} ends the run at this step.
     */
    @Override
    public Map<String, Double> evaluate() {
        check.atStep(0);
        Gradients.gradModeOff();
        Map<String, Double> out = new LinkedHashMap<>();
        if (!eval.isEmpty()) {
            double sum = 0;
            double count = 0;
            try (NDManager m = root.newSubManager()) {
                for (int i = 0; i < eval.size(); i += cfg.batchSize()) {
                    try (NDManager s = m.newSubManager()) {
                        Batch b = Batch.of(eval.subList(i, Math.min(eval.size(), i + cfg.batchSize())), s);
                        sum += b.loss(model.gpt()).getFloat() * b.targetCount;
                        count += b.targetCount;
                    }
                }
            }
            out.put(MetricNames.EVAL_LOSS, sum / count);
        }
        if (!spec.evalPrompts().isEmpty()) {
            List<Map<String, Object>> items = spec.evalPrompts().subList(0, Math.min(cfg.evalLimit(), spec.evalPrompts().size()));
            int maxNew = Math.min(cfg.evalMaxNewTokens(), model.gpt().config().blockSize() - 2);
            out.putAll(GreedyEval.evaluate(model, items, spec.evalReward(), model.gpt().config().blockSize() - maxNew,
                    maxNew, 1.0, root));
            if (cfg.stopAtAccuracy() > 0 && out.get(MetricNames.EVAL_ACCURACY) >= cfg.stopAtAccuracy()) {
                stoppedEarlyAt = step;
            }
        }
        return out;
    }

    @Override
    public void saveCheckpoint(Path dir) throws IOException {
        CheckpointFiles.write(dir, KIND, step, spec.seed(), model::save, optimizer, cfg);
    }

    @Override
    public void exportModel(Path dir) throws IOException {
        model.save(dir);
    }

    /** Frees the arrays and, for GPT-2's BPE, the native tokenizer. */
    @Override
    public void close() {
        try {
            if (model.tokenizer() instanceof AutoCloseable c) {
                c.close();
            }
        } catch (Exception e) {
            throw new IllegalStateException("closing the tokenizer failed", e);
        } finally {
            root.close();
        }
    }

    /** Right-padded sequences with next-token targets and a mask over real targets. */
    private static final class Batch {
        final NDArray inputs; // (B, T) int32
        final NDArray positions; // (B, T) int32
        final NDArray keyMask; // (B, T) float32
        final NDArray targets; // (B, T) int64 (gather wants int64 indices)
        final NDArray targetMask; // (B, T) float32
        final int rows;
        final int width;
        final float targetCount;

        private Batch(NDArray inputs, NDArray positions, NDArray keyMask, NDArray targets, NDArray targetMask,
                int rows, int width, float targetCount) {
            this.inputs = inputs;
            this.positions = positions;
            this.keyMask = keyMask;
            this.targets = targets;
            this.targetMask = targetMask;
            this.rows = rows;
            this.width = width;
            this.targetCount = targetCount;
        }

        static Batch of(List<int[]> seqs, NDManager m) {
            int width = 1;
            for (int[] s : seqs) {
                width = Math.max(width, s.length - 1);
            }
            int rows = seqs.size();
            int[] in = new int[rows * width];
            int[] tg = new int[rows * width];
            int[] pos = new int[rows * width];
            float[] tm = new float[rows * width];
            float[] ones = new float[rows * width];
            float count = 0;
            for (int r = 0; r < rows; r++) {
                int[] s = seqs.get(r);
                for (int t = 0; t < width; t++) {
                    pos[r * width + t] = t;
                    ones[r * width + t] = 1f;
                    if (t < s.length - 1) {
                        in[r * width + t] = s[t];
                        tg[r * width + t] = s[t + 1];
                        tm[r * width + t] = 1f;
                        count++;
                    }
                }
            }
            Shape shape = new Shape(rows, width);
            return new Batch(m.create(in, shape), m.create(pos, shape), m.create(ones, shape), m.create(toLong(tg), shape),
                    m.create(tm, shape), rows, width, count);
        }

        private static long[] toLong(int[] a) {
            long[] out = new long[a.length];
            for (int i = 0; i < a.length; i++) {
                out[i] = a[i];
            }
            return out;
        }

        /** Mean next-token cross-entropy over real targets. */
        NDArray loss(Gpt gpt) {
            NDArray logits = gpt.forward(inputs, positions, keyMask, null); // (B, T, V)
            NDArray logp = logits.logSoftmax(-1).gather(targets.expandDims(-1), -1).squeeze(-1); // (B, T)
            return logp.mul(targetMask).sum().neg().div(Scalars.of(logp, targetCount));
        }
    }
}
