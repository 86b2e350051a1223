package dev.tropism.engine.flow;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.google.gson.JsonObject;
import dev.tropism.engine.DeviceInfo;
import dev.tropism.engine.MetricNames;
import dev.tropism.engine.NumericalInstabilityException;
import dev.tropism.engine.PolicyFamily;
import dev.tropism.engine.RunOptions;
import dev.tropism.engine.TrainingRun;
import dev.tropism.engine.nn.AdamW;
import dev.tropism.engine.nn.CheckpointFiles;
import dev.tropism.engine.nn.FiniteCheck;
import dev.tropism.engine.nn.Gradients;
import dev.tropism.engine.nn.LrSchedule;
import dev.tropism.engine.nn.NonFiniteGuard;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * The {@code tiny-flow} recipe: conditional flow matching with the rectified-flow path (Lipman et al. 2023,
 * "Flow Matching for Generative Modeling", Eq. 23 with σ_min = 0; Liu et al. 2023, "Flow Straight and Fast",
 * Eq. 1): for x₀ an image, ε ~ N(0, I) and σ ~ U(0, 1),
 * <pre>  x_σ = (1 − σ)·x₀ + σ·ε,   L(θ) = E ‖v_θ(x_σ, σ, c) − (ε − x₀)‖²  </pre>
 * with the class c replaced by the null class with probability {@code class_dropout} (classifier-free
 * guidance, Ho &amp; Salimans 2022).
 *
 * <p>The first step also trains the recipe's two classifiers on disjoint data with different architectures
 * and seeds (a {@code cnn} <em>reward</em> classifier on the generator's training images, an {@code mlp}
 * <em>gold</em> classifier on test images 0–7,999; both measured on test images 8,000–9,999), so flow jobs
 * have a proxy reward and an independent judge. They are exported beside the generator.
 *
 * <p>{@link #evaluate()} samples 8 fixed-seed images per class with the model's default sampler and reports
 * the gold classifier's accuracy on them ({@code eval/accuracy}), the reward classifier's
 * ({@code eval/reward/accuracy}), their diversity and the held-out flow-matching loss.
 */
public final class FlowPretrainRun implements TrainingRun {

    static final String KIND = "flow_pretrain";
    static final int SAMPLES_PER_CLASS = 8;
    private static final int HELD_OUT_FROM = 8000;

    private final FlowPretrainSpec spec;
    private final FlowPretrainConfig cfg;
    private final NDManager root;
    private final FlowNet net;
    private final AdamW optimizer;
    private final LrSchedule schedule;
    private final FiniteCheck check;
    private final NonFiniteGuard guard;
    private final ImageSet train;
    private final ImageSet test;
    private ImageClassifier rewardClassifier;
    private ImageClassifier goldClassifier;
    private int step;
    private byte[] lastSamples;

    public FlowPretrainRun(FlowPretrainSpec spec, Path checkpoint) throws IOException {
        this(spec, checkpoint, RunOptions.DEFAULTS);
    }

    /** A run on {@code options}' device, which may turn on anomaly mode ({@link RunOptions#checkFinite()}). */
    public FlowPretrainRun(FlowPretrainSpec spec, Path checkpoint, RunOptions options) throws IOException {
        this.check = FiniteCheck.of(options.checkFinite());
        this.guard = new NonFiniteGuard(check);
        this.spec = spec;
        this.cfg = spec.training();
        this.root = NDManager.newBaseManager(options.device()); // every model, state and step array descends from it
        try {
            train = FashionMnist.train(spec.model().imageSize());
            test = FashionMnist.test(spec.model().imageSize());
            JsonObject state = null;
            if (checkpoint != null) {
                state = CheckpointFiles.readState(checkpoint, KIND, spec.seed());
                Path model = checkpoint.resolve(CheckpointFiles.MODEL_DIR);
                net = FlowNet.load(spec.model(), model.resolve(FlowModel.WEIGHTS), root);
                if (Files.exists(model.resolve(FlowModel.REWARD_CLASSIFIER_DIR).resolve(ImageClassifier.META))) {
                    rewardClassifier = ImageClassifier.load(model.resolve(FlowModel.REWARD_CLASSIFIER_DIR), root);
                    goldClassifier = ImageClassifier.load(model.resolve(FlowModel.GOLD_CLASSIFIER_DIR), root);
                }
            } else {
                net = FlowNet.initialize(spec.model(), spec.seed(), root);
            }
            net.checkFinite(check);
            optimizer = new AdamW(net.parameters(), new HashSet<>(net.decayedParameterNames()), 0.9, 0.999, 1e-8,
                    cfg.weightDecay(), root);
            if (state != null) {
                CheckpointFiles.readOptimizer(checkpoint, optimizer, state);
                step = state.get("step").getAsInt();
            }
            schedule = new LrSchedule(cfg.learningRate(), cfg.warmupSteps(), cfg.maxSteps(), 0.1);
        } catch (IOException | RuntimeException e) {
            root.close();
            throw e;
        }
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
        return cfg.evalInterval();
    }

    @Override
    public Map<String, Double> trainStep() {
        Gradients.gradModeOff();
        check.atStep(step + 1);
        Map<String, Double> metrics = new LinkedHashMap<>();
        if (rewardClassifier == null) {
            trainClassifiers(metrics);
        }
        int b = cfg.batchSize();
        int side = spec.model().imageSize();
        int pixels = side * side;
        Random rng = new Random(Noise.mix(spec.seed(), step));
        float[] x0 = new float[b * pixels];
        float[] eps = new float[b * pixels];
        float[] sigma = new float[b];
        int[] labels = new int[b];
        for (int i = 0; i < b; i++) {
            int idx = rng.nextInt(train.count());
            System.arraycopy(train.pixels()[idx], 0, x0, i * pixels, pixels);
            labels[i] = rng.nextDouble() < cfg.classDropout() ? spec.model().nullClass() : train.labels()[idx];
            sigma[i] = rng.nextFloat();
            for (int j = 0; j < pixels; j++) {
                eps[i * pixels + j] = (float) rng.nextGaussian();
            }
        }
        double loss;
        double gradNorm;
        Gradients.COLLECTOR_LOCK.lock();
        try (NDManager m = root.newSubManager()) {
            net.requireGradients(true);
            try (GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                NDArray lossArray = flowMatchingLoss(m, x0, eps, sigma, labels, b, side);
                loss = lossArray.getFloat();
                if (!Double.isFinite(loss)) {
                    throw new NumericalInstabilityException("flow-matching loss is " + loss + " at step " + (step + 1));
                }
                gc.backward(lossArray);
            }
            gradNorm = guard.clippedStep(optimizer, net.parameters(), schedule.at(step), cfg.gradClip(), m, step + 1);
        } finally {
            net.requireGradients(false);
            Gradients.COLLECTOR_LOCK.unlock();
        }
        metrics.put(MetricNames.TRAIN_LOSS, loss);
        NonFiniteGuard.putUpdateMetrics(metrics, gradNorm, schedule.at(step));
        DeviceInfo.putMemoryInUse(root.getDevice(), metrics);
        step++;
        return metrics;
    }

    /** mean ‖v_θ(x_σ, σ, c) − (ε − x₀)‖² over the batch, (scalar). */
    private NDArray flowMatchingLoss(NDManager m, float[] x0, float[] eps, float[] sigma, int[] labels, int b, int side) {
        Shape shape = new Shape(b, 1, side, side);
        NDArray clean = m.create(x0, shape); // (B, 1, S, S)
        NDArray noise = m.create(eps, shape); // (B, 1, S, S)
        NDArray s = m.create(sigma); // (B)
        NDArray s4 = s.reshape(b, 1, 1, 1);
        NDArray xSigma = clean.mul(s4.neg().add(1f)).add(noise.mul(s4)); // (B, 1, S, S)
        NDArray target = noise.sub(clean); // (B, 1, S, S)
        NDArray v = net.velocity(xSigma, s, m.create(labels));
        return v.sub(target).square().mean();
    }

    private void trainClassifiers(Map<String, Double> metrics) {
        ImageSet heldOut = test.slice(HELD_OUT_FROM, test.count());
        rewardClassifier = ClassifierTraining.train(ImageClassifier.ARCH_CNN, train, heldOut, train,
                cfg.classifierSteps(), Noise.mix(spec.seed(), 101), root);
        ImageSet goldTrain = test.slice(0, HELD_OUT_FROM);
        goldClassifier = ClassifierTraining.train(ImageClassifier.ARCH_MLP, goldTrain, heldOut, goldTrain,
                cfg.classifierSteps(), Noise.mix(spec.seed(), 202), root);
        metrics.put(MetricNames.classifierAccuracy("reward"), rewardClassifier.heldOutAccuracy());
        metrics.put(MetricNames.classifierAccuracy("gold"), goldClassifier.heldOutAccuracy());
    }

    @Override
    public Map<String, Double> evaluate() {
        check.atStep(0);
        Gradients.gradModeOff();
        Map<String, Double> metrics = new LinkedHashMap<>();
        int classes = spec.model().numClasses();
        int n = classes * SAMPLES_PER_CLASS;
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i / SAMPLES_PER_CLASS;
        }
        float[][] images;
        try (NDManager m = root.newSubManager()) {
            Noise noise = new Noise(Noise.seeds(Noise.mix(spec.seed(), -1), n), spec.model().imageSize()
                    * spec.model().imageSize());
            images = FlowSampler.toUnitImages(FlowSampler.sample(net, labels, noise, new double[cfg.sampleSteps()],
                    cfg.guidanceScale(), m).images());
            metrics.put(MetricNames.EVAL_LOSS, heldOutLoss(m));
        }
        if (goldClassifier != null) {
            metrics.put(MetricNames.EVAL_ACCURACY, ImageMetrics.accuracy(goldClassifier.probabilities(images), labels));
            metrics.put(MetricNames.EVAL_REWARD_PREFIX + "/accuracy",
                    ImageMetrics.accuracy(rewardClassifier.probabilities(images), labels));
            metrics.put(MetricNames.EVAL_DIVERSITY, ImageMetrics.diversity(goldClassifier.features(images), labels));
        }
        lastSamples = Png.grid(images, spec.model().imageSize(), SAMPLES_PER_CLASS, 2);
        return metrics;
    }

    /** Flow-matching loss on 512 held-out test images with fixed noise. */
    private double heldOutLoss(NDManager m) {
        int b = 512;
        int side = spec.model().imageSize();
        int pixels = side * side;
        Random rng = new Random(Noise.mix(spec.seed(), -2));
        float[] x0 = new float[b * pixels];
        float[] eps = new float[b * pixels];
        float[] sigma = new float[b];
        int[] labels = new int[b];
        for (int i = 0; i < b; i++) {
            System.arraycopy(test.pixels()[HELD_OUT_FROM + i], 0, x0, i * pixels, pixels);
            labels[i] = test.labels()[HELD_OUT_FROM + i];
            sigma[i] = rng.nextFloat();
            for (int j = 0; j < pixels; j++) {
                eps[i * pixels + j] = (float) rng.nextGaussian();
            }
        }
        return flowMatchingLoss(m, x0, eps, sigma, labels, b, side).getFloat();
    }

    @Override
    public Optional<byte[]> evalSamplesPng() {
        return Optional.ofNullable(lastSamples);
    }

    @Override
    public void saveCheckpoint(Path dir) throws IOException {
        CheckpointFiles.write(dir, KIND, step, spec.seed(), this::exportModel, optimizer, cfg);
    }

    @Override
    public void exportModel(Path dir) throws IOException {
        FlowModel.save(dir, net, FashionMnist.CLASSES, cfg.sampleSteps(), cfg.guidanceScale());
        if (rewardClassifier != null) {
            rewardClassifier.save(dir.resolve(FlowModel.REWARD_CLASSIFIER_DIR), FlowModel.RECIPE);
            goldClassifier.save(dir.resolve(FlowModel.GOLD_CLASSIFIER_DIR), FlowModel.RECIPE);
        }
    }

    @Override
    public List<Companion> companions() {
        if (rewardClassifier == null) {
            return List.of();
        }
        return List.of(
                new Companion("reward-classifier", PolicyFamily.IMAGE_CLASSIFIER, FlowModel.REWARD_CLASSIFIER_DIR,
                        rewardClassifier.parameterCount()),
                new Companion("gold-classifier", PolicyFamily.IMAGE_CLASSIFIER, FlowModel.GOLD_CLASSIFIER_DIR,
                        goldClassifier.parameterCount()));
    }

    /** The manager every array of this run descends from (tests). */
    NDManager root() {
        return root;
    }

    /** The generator (tests and benchmarks). */
    FlowNet net() {
        return net;
    }

    ImageClassifier goldClassifier() {
        return goldClassifier;
    }

    ImageClassifier rewardClassifier() {
        return rewardClassifier;
    }

    @Override
    public void close() {
        root.close();
    }
}
