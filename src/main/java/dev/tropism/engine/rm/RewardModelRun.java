package dev.tropism.engine.rm;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
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
 * Trains a {@link RewardModel} on preference pairs with the {@link BradleyTerry} loss (InstructGPT's
 * reward-model stage, Ouyang et al. 2022, Sec. 3.5 and Eq. 1; TRL's RewardTrainer), one optimizer step
 * per {@link #trainStep()} call:
 *
 * <ol>
 *   <li>batch: the step's {@code batch_size} pairs, walking seeded per-epoch permutations of the set;
 *   <li>forward: rewards of the chosen and the rejected sequences in one batch of 2P rows;
 *   <li>loss: −mean log σ(r_c − r_r) (+ the optional centering term);
 *   <li>update: AdamW with warmup and cosine decay, global-norm clipping, non-finite updates skipped.
 * </ol>
 *
 * Every random choice is a function of (seed, step), so a run resumed from a checkpoint continues
 * exactly. With {@link RewardModelSpec#lora()} only the adapters and the head train and hold optimizer
 * state; a checkpoint keeps the adapters in PEFT's layout and resumes on the base plus them.
 * {@link #evaluate()} reports held-out pairwise accuracy, loss and calibration ({@link PairwiseMetrics}).
 */
public final class RewardModelRun implements TrainingRun {

    static final String KIND = "reward_model";

    private final RewardModelSpec spec;
    private final RewardModelConfig cfg;
    private final NDManager root;
    private final RewardModel model;
    private final AdamW optimizer;
    private final LrSchedule schedule;
    private final List<int[][]> train = new ArrayList<>(); // {chosen, rejected} token sequences
    private final List<int[][]> eval = new ArrayList<>();
    private final FiniteCheck check;
    private final NonFiniteGuard guard;
    private int step;
    private int epochCached = -1;
    private int[] epochOrder;

    public RewardModelRun(RewardModelSpec spec, Path checkpoint) throws IOException {
        this(spec, checkpoint, RunOptions.DEFAULTS);
    }

    /** A run on {@code options}' device, which may turn on anomaly mode ({@link RunOptions#checkFinite()}). */
    public RewardModelRun(RewardModelSpec spec, Path checkpoint, RunOptions options) throws IOException {
        this.check = FiniteCheck.of(options.checkFinite());
        this.guard = new NonFiniteGuard(check);
        this.spec = spec;
        this.cfg = spec.config();
        this.root = NDManager.newBaseManager(options.device()); // every model, state and step array descends from it
        try {
            JsonObject state = null;
            if (checkpoint != null) {
                state = CheckpointFiles.readState(checkpoint, KIND, spec.seed());
                Path saved = checkpoint.resolve(CheckpointFiles.MODEL_DIR);
                model = spec.lora() == null ? RewardModel.load(saved, root)
                        : RewardModel.resumeAdapters(spec.baseModel(), saved, root);
            } else {
                model = RewardModel.fromLanguageModel(spec.baseModel(), cfg.maxLength(), spec.seed(), spec.lora(), root);
            }
            model.checkFinite(check);
            optimizer = new AdamW(model.parameters(), new HashSet<>(model.matrixParameterNames()), 0.9, 0.999, 1e-8,
                    cfg.weightDecay(), root);
            if (state != null) {
                CheckpointFiles.readOptimizer(checkpoint, optimizer, state);
                step = state.get("step").getAsInt();
            }
            schedule = new LrSchedule(cfg.learningRate(), cfg.warmupSteps(), cfg.maxSteps(), RewardModelConfig.MIN_LR_RATIO);
            split();
        } catch (IOException | RuntimeException e) {
            root.close();
            throw e;
        }
    }

    /**
     * Tokenizes the pairs. Without eval pairs, a seeded {@code eval_fraction} of the training set is held
     * out (none from fewer than 10 pairs); at most {@code eval_limit} eval pairs are used.
     */
    private void split() {
        List<int[][]> all = new ArrayList<>(spec.train().size());
        for (PreferencePair p : spec.train()) {
            all.add(tokens(p));
        }
        List<int[][]> heldOut = new ArrayList<>();
        if (spec.eval().isEmpty()) {
            Collections.shuffle(all, new Random(spec.seed()));
            int nEval = cfg.evalFraction() == 0 || all.size() < 10 ? 0
                    : Math.max(1, (int) Math.round(all.size() * cfg.evalFraction()));
            heldOut.addAll(all.subList(0, nEval));
            all = all.subList(nEval, all.size());
        } else {
            for (PreferencePair p : spec.eval().subList(0, Math.min(cfg.evalLimit(), spec.eval().size()))) {
                heldOut.add(tokens(p));
            }
        }
        train.addAll(all);
        eval.addAll(heldOut.subList(0, Math.min(cfg.evalLimit(), heldOut.size())));
    }

    private int[][] tokens(PreferencePair p) {
        return new int[][] {model.encode(p.prompt(), p.chosen()), model.encode(p.prompt(), p.rejected())};
    }

    public RewardModel model() {
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

    @Override
    public int totalSteps() {
        return cfg.maxSteps();
    }

    @Override
    public int evalInterval() {
        return eval.isEmpty() ? 0 : cfg.evalInterval();
    }

    /** The pairs of step {@code s}: pair k = s·P + j is entry k mod n of the permutation of epoch k / n. */
    private List<int[][]> pairsFor(int s) {
        int n = train.size();
        List<int[][]> out = new ArrayList<>(cfg.batchSize());
        for (int j = 0; j < cfg.batchSize(); j++) {
            long k = (long) s * cfg.batchSize() + j;
            int epoch = (int) (k / n);
            if (epoch != epochCached) {
                List<Integer> order = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    order.add(i);
                }
                Collections.shuffle(order, new Random(spec.seed() * 1_000_003L + epoch));
                epochOrder = order.stream().mapToInt(Integer::intValue).toArray();
                epochCached = epoch;
            }
            out.add(train.get(epochOrder[(int) (k % n)]));
        }
        return out;
    }

    /** The 2P sequences of P pairs: the chosen ones first, then the rejected ones in the same order. */
    private static List<int[]> rows(List<int[][]> pairs) {
        List<int[]> rows = new ArrayList<>(2 * pairs.size());
        for (int[][] p : pairs) {
            rows.add(p[0]);
        }
        for (int[][] p : pairs) {
            rows.add(p[1]);
        }
        return rows;
    }

    @Override
    public Map<String, Double> trainStep() {
        Gradients.gradModeOff();
        check.atStep(step + 1);
        long start = System.nanoTime();
        List<int[][]> pairs = pairsFor(step);
        List<int[]> rows = rows(pairs);
        int p = pairs.size();
        double loss;
        double gradNorm;
        float[] margins;
        float[] rewards;
        long tokens = 0;
        for (int[] r : rows) {
            tokens += r.length;
        }
        Gradients.COLLECTOR_LOCK.lock();
        try (NDManager m = root.newSubManager()) {
            model.requireGradients(true);
            try (GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                // Forward: one batch, chosen rows then rejected rows
                NDArray r = model.rewards(rows, m); // (2P)
                NDArray rChosen = r.get(new NDIndex("0:" + p)); // (P)
                NDArray rRejected = r.get(new NDIndex(p + ":")); // (P)
                // Bradley–Terry loss
                NDArray lossArr = BradleyTerry.loss(rChosen, rRejected, cfg.centerRewardsCoefficient());
                loss = lossArr.getFloat();
                if (!Double.isFinite(loss)) {
                    throw new NumericalInstabilityException("reward-model loss is " + loss + " at step " + (step + 1));
                }
                rewards = r.stopGradient().toFloatArray();
                margins = rChosen.sub(rRejected).stopGradient().toFloatArray();
                gc.backward(lossArr);
            }
            // Update
            gradNorm = guard.clippedStep(optimizer, model.parameters(), schedule.at(step), cfg.gradClip(), m, step + 1);
        } finally {
            model.requireGradients(false);
            Gradients.COLLECTOR_LOCK.unlock();
        }
        double lr = schedule.at(step);
        step++;
        double seconds = (System.nanoTime() - start) / 1e9;
        double[] m = toDouble(margins);
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put(MetricNames.TRAIN_LOSS, loss);
        metrics.put(MetricNames.TRAIN_ACCURACY, PairwiseMetrics.accuracy(m));
        metrics.put(MetricNames.TRAIN_MARGIN_MEAN, PairwiseMetrics.meanMargin(m));
        metrics.put(MetricNames.TRAIN_REWARD_MEAN, mean(rewards)); // over all 2P responses: drifts unless centered
        NonFiniteGuard.putUpdateMetrics(metrics, gradNorm, lr);
        metrics.put(MetricNames.PERF_TOKENS_PER_SECOND, tokens / seconds);
        DeviceInfo.putMemoryInUse(root.getDevice(), metrics);
        return metrics;
    }

    /** Held-out pairwise accuracy, mean Bradley–Terry loss and expected calibration error; empty without eval pairs. */
    @Override
    public Map<String, Double> evaluate() {
        check.atStep(0);
        Map<String, Double> out = new LinkedHashMap<>();
        if (eval.isEmpty()) {
            return out;
        }
        double[] margins = margins(eval);
        out.put(MetricNames.EVAL_ACCURACY, PairwiseMetrics.accuracy(margins));
        out.put(MetricNames.EVAL_LOSS, PairwiseMetrics.meanLoss(margins));
        out.put(MetricNames.EVAL_CALIBRATION_ECE, PairwiseMetrics.expectedCalibrationError(margins, PairwiseMetrics.ECE_BINS));
        return out;
    }

    /** Margins r_c − r_r of {@code pairs} under the current weights, without gradients. */
    double[] margins(List<int[][]> pairs) {
        Gradients.gradModeOff();
        double[] out = new double[pairs.size()];
        for (int from = 0; from < pairs.size(); from += cfg.batchSize()) {
            List<int[][]> chunk = pairs.subList(from, Math.min(pairs.size(), from + cfg.batchSize()));
            try (NDManager m = root.newSubManager()) {
                float[] r = model.rewards(rows(chunk), m).toFloatArray(); // (2P)
                for (int i = 0; i < chunk.size(); i++) {
                    out[from + i] = (double) r[i] - r[chunk.size() + i];
                }
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

    @Override
    public void close() {
        root.close();
    }

    private static double mean(float[] a) {
        double sum = 0;
        for (float v : a) {
            sum += v;
        }
        return sum / a.length;
    }

    private static double[] toDouble(float[] a) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i];
        }
        return out;
    }
}
