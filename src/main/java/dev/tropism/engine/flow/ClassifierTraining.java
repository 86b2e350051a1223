package dev.tropism.engine.flow;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.tropism.engine.nn.AdamW;
import dev.tropism.engine.nn.Gradients;
import dev.tropism.engine.nn.LrSchedule;
import java.util.HashSet;
import java.util.Random;

/**
 * Supervised training of an {@link ImageClassifier}: cross-entropy, AdamW (Loshchilov &amp; Hutter 2019) with
 * warmup and cosine decay, batches drawn with a seeded RNG, light augmentation (random 1-pixel shifts) so the
 * classifier is less trivially fooled by off-centre samples. Held-out accuracy is measured at the end and
 * stored with the model.
 */
final class ClassifierTraining {

    private ClassifierTraining() {
    }

    /**
     * @param train training images
     * @param heldOut images used only to measure accuracy
     * @param references images whose features become the per-class references (16 per class)
     */
    static ImageClassifier train(String arch, ImageSet train, ImageSet heldOut, ImageSet references, int steps,
            long seed, NDManager parent) {
        ImageClassifier c = ImageClassifier.initialize(arch, train.size(), train.classNames(), seed, parent);
        try {
            Random rng = new Random(seed);
            int batch = 64;
            int side = train.size();
            try (NDManager root = parent.newSubManager();
                    AdamW optimizer = new AdamW(c.parameters(), new HashSet<>(), 0.9, 0.999, 1e-8, 0.0, root)) {
                LrSchedule schedule = new LrSchedule(2e-3, Math.min(50, steps), steps, 0.1);
                c.requireGradients(true);
                for (int step = 0; step < steps; step++) {
                    float[] x = new float[batch * side * side];
                    int[] y = new int[batch];
                    for (int i = 0; i < batch; i++) {
                        int idx = rng.nextInt(train.count());
                        shiftInto(train.pixels()[idx], side, rng.nextInt(3) - 1, rng.nextInt(3) - 1, x, i * side * side);
                        y[i] = train.labels()[idx];
                    }
                    Gradients.COLLECTOR_LOCK.lock();
                    try (NDManager m = root.newSubManager()) {
                        try (GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                            NDArray logits = c.forward(m.create(x, new Shape(batch, 1, side, side)))[1]; // (B, K)
                            long[] targets = new long[batch];
                            for (int i = 0; i < batch; i++) {
                                targets[i] = y[i];
                            }
                            NDArray loss = logits.logSoftmax(-1).gather(m.create(targets).expandDims(-1), -1).neg().mean();
                            gc.backward(loss);
                        }
                        optimizer.step(c.parameters(), schedule.at(step), 1.0);
                    } finally {
                        Gradients.COLLECTOR_LOCK.unlock();
                    }
                }
                c.requireGradients(false);
            }
            c.setHeldOutAccuracy(accuracy(c, heldOut));
            c.setReferences(references, 16);
            return c;
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /** Share of {@code set} classified correctly. */
    static double accuracy(ImageClassifier c, ImageSet set) {
        float[][] unit = new float[set.count()][];
        for (int i = 0; i < unit.length; i++) {
            unit[i] = ImageClassifier.toUnit(set.pixels()[i]);
        }
        float[][] probs = c.probabilities(unit);
        int correct = 0;
        for (int i = 0; i < probs.length; i++) {
            if (argMax(probs[i]) == set.labels()[i]) {
                correct++;
            }
        }
        return (double) correct / set.count();
    }

    static int argMax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Copies {@code src} shifted by (dx, dy) pixels into {@code dst} at {@code offset}, filling with background. */
    static void shiftInto(float[] src, int side, int dx, int dy, float[] dst, int offset) {
        for (int r = 0; r < side; r++) {
            for (int col = 0; col < side; col++) {
                int sr = r - dy;
                int sc = col - dx;
                dst[offset + r * side + col] = sr >= 0 && sr < side && sc >= 0 && sc < side ? src[sr * side + sc] : -1f;
            }
        }
    }
}
