package dev.tropism.engine.flow;

import static dev.tropism.engine.ConfigException.require;

/**
 * Hyperparameters of the {@code tiny-flow} recipe: rectified-flow (conditional flow matching) pretraining of
 * {@link FlowNet} on the shipped Fashion-MNIST subset, plus its two classifiers.
 *
 * @param maxSteps optimizer steps of the generator; default 3000 (about 8 minutes on 2 CPU cores, see
 *     docs/benchmarks.md)
 * @param batchSize images per step; default 64
 * @param learningRate peak AdamW learning rate; default 2e-3, cosine-decayed to a tenth
 * @param warmupSteps linear warmup; default 100
 * @param weightDecay AdamW decoupled weight decay on weights; default 0
 * @param gradClip global L2 norm clip; default 1.0; 0 disables
 * @param classDropout probability of training a sample with the null class, which makes classifier-free
 *     guidance possible (Ho &amp; Salimans 2022 use 0.1–0.2); default 0.1
 * @param guidanceScale CFG scale stored as the model's default and used for its eval samples; default 2.0
 * @param sampleSteps Euler steps of the model's default sampler; default 10
 * @param evalInterval steps between evaluations (gold-classifier accuracy of fixed-seed samples, held-out loss
 *     and a sample grid); default 500; 0 disables
 * @param classifierSteps optimizer steps of each classifier, trained in the first step; default 1000
 */
public record FlowPretrainConfig(
        int maxSteps,
        int batchSize,
        double learningRate,
        int warmupSteps,
        double weightDecay,
        double gradClip,
        double classDropout,
        double guidanceScale,
        int sampleSteps,
        int evalInterval,
        int classifierSteps) {

    public static final FlowPretrainConfig DEFAULT = new FlowPretrainConfig(3000, 64, 2e-3, 100, 0.0, 1.0, 0.1, 2.0, 10,
            500, 1000);

    public FlowPretrainConfig {
        require(maxSteps >= 1 && maxSteps <= 1_000_000, "max_steps", "must be in [1, 1000000], got " + maxSteps);
        require(batchSize >= 2 && batchSize <= 4096, "batch_size", "must be in [2, 4096], got " + batchSize);
        require(learningRate > 0 && learningRate <= 1, "learning_rate", "must be in (0, 1], got " + learningRate);
        require(warmupSteps >= 0 && warmupSteps <= maxSteps, "warmup_steps",
                "must be in [0, max_steps=" + maxSteps + "], got " + warmupSteps);
        require(weightDecay >= 0 && weightDecay <= 1, "weight_decay", "must be in [0, 1], got " + weightDecay);
        require(gradClip >= 0, "grad_clip", "must be >= 0 (0 disables clipping), got " + gradClip);
        require(classDropout >= 0 && classDropout < 1, "class_dropout", "must be in [0, 1), got " + classDropout);
        require(guidanceScale >= 0 && guidanceScale <= 20, "guidance_scale", "must be in [0, 20], got " + guidanceScale);
        require(sampleSteps >= 2 && sampleSteps <= 1000, "sample_steps", "must be in [2, 1000], got " + sampleSteps);
        require(evalInterval >= 0, "eval_interval", "must be >= 0 (0 disables), got " + evalInterval);
        require(classifierSteps >= 1 && classifierSteps <= 100_000, "classifier_steps",
                "must be in [1, 100000], got " + classifierSteps);
    }
}
