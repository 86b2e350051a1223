package dev.tropism.engine.flow;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import dev.tropism.engine.PolicyFamily;
import dev.tropism.engine.nn.Gradients;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A small image classifier of the {@code tiny-flow} recipe, used as a reward ({@code classifier} graders),
 * as the gold judge of flow jobs, and as the feature space of {@code reference_similarity} and of the
 * diversity metric. Two architectures, so the proxy and the gold classifier do not share blind spots:
 * <ul>
 *   <li>{@code cnn}: three 3×3 convolutions (the last two stride 2) with ReLU, global average pooling,
 *       a linear head;</li>
 *   <li>{@code mlp}: two ReLU hidden layers on the flattened image, a linear head.</li>
 * </ul>
 * The feature vector is the input of the linear head. A model directory holds {@code model.json}
 * ({@link #FAMILY}, arch, image size, classes, measured held-out accuracy), {@code weights.ndlist} and
 * {@code references.ndlist} (features of a few training images per class, the references of
 * "The Image as Its Own Reward").
 */
public final class ImageClassifier implements AutoCloseable {

    public static final String FAMILY = PolicyFamily.IMAGE_CLASSIFIER.wireName();
    public static final String ARCH_CNN = "cnn";
    public static final String ARCH_MLP = "mlp";
    static final String WEIGHTS = "weights.ndlist";
    public static final String META = "model.json";
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

    private final String arch;
    private final int imageSize;
    private final List<String> classes;
    private final ParamStore p;
    private final NDManager manager;
    /** Per class, the reference feature vectors (each L2-normalized). */
    private float[][][] references = new float[0][][];
    private double heldOutAccuracy = Double.NaN;

    private ImageClassifier(String arch, int imageSize, List<String> classes, NDManager parent) {
        this.arch = arch;
        this.imageSize = imageSize;
        this.classes = List.copyOf(classes);
        this.manager = parent.newSubManager();
        this.p = new ParamStore(manager);
    }

    /** Fresh weights of {@code arch} ({@code cnn} or {@code mlp}) for {@code classes}. */
    public static ImageClassifier initialize(String arch, int imageSize, List<String> classes, long seed,
            NDManager parent) {
        ImageClassifier c = new ImageClassifier(arch, imageSize, classes, parent);
        Random rng = new Random(seed);
        int k = classes.size();
        if (ARCH_CNN.equals(arch)) {
            c.p.he("c1.w", rng, 32, 1, 3, 3);
            c.p.constant("c1.b", 0f, 32);
            c.p.he("c2.w", rng, 64, 32, 3, 3);
            c.p.constant("c2.b", 0f, 64);
            c.p.he("c3.w", rng, 64, 64, 3, 3);
            c.p.constant("c3.b", 0f, 64);
            c.p.normal("head.w", rng, Math.sqrt(1.0 / 64), k, 64);
        } else if (ARCH_MLP.equals(arch)) {
            int in = imageSize * imageSize;
            c.p.he("fc1.w", rng, 256, in);
            c.p.constant("fc1.b", 0f, 256);
            c.p.he("fc2.w", rng, 128, 256);
            c.p.constant("fc2.b", 0f, 128);
            c.p.normal("head.w", rng, Math.sqrt(1.0 / 128), k, 128);
        } else {
            c.close();
            throw new IllegalArgumentException("unknown classifier arch '" + arch + "' (cnn or mlp)");
        }
        c.p.constant("head.b", 0f, k);
        return c;
    }

    /** Loads a directory written by {@link #save}. */
    public static ImageClassifier load(Path dir, NDManager parent) throws IOException {
        JsonObject meta = GSON.fromJson(Files.readString(dir.resolve(META), StandardCharsets.UTF_8), JsonObject.class);
        if (!FAMILY.equals(meta.get("family").getAsString())) {
            throw new IOException(dir + " is not an image classifier (family " + meta.get("family") + ")");
        }
        List<String> classes = new ArrayList<>();
        meta.getAsJsonArray("classes").forEach(e -> classes.add(e.getAsString()));
        ImageClassifier c = initialize(meta.get("arch").getAsString(), meta.get("image_size").getAsInt(), classes, 0,
                parent);
        try {
            c.p.load(dir.resolve(WEIGHTS));
            if (meta.has("heldout_accuracy")) {
                c.heldOutAccuracy = meta.get("heldout_accuracy").getAsDouble();
            }
            Path refs = dir.resolve("references.json");
            if (Files.exists(refs)) {
                c.references = GSON.fromJson(Files.readString(refs, StandardCharsets.UTF_8), float[][][].class);
            }
            return c;
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /** Writes {@code model.json}, the weights and the reference features into {@code dir}. */
    public void save(Path dir, String recipe) throws IOException {
        Files.createDirectories(dir);
        p.save(dir.resolve(WEIGHTS));
        JsonObject meta = new JsonObject();
        meta.addProperty("family", FAMILY);
        meta.addProperty("recipe", recipe);
        meta.addProperty("arch", arch);
        meta.addProperty("image_size", imageSize);
        meta.add("classes", GSON.toJsonTree(classes));
        meta.addProperty("parameters", p.count());
        if (Double.isFinite(heldOutAccuracy)) {
            meta.addProperty("heldout_accuracy", heldOutAccuracy);
        }
        Files.writeString(dir.resolve(META), GSON.toJson(meta), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("references.json"), GSON.toJson(references), StandardCharsets.UTF_8);
    }

    public String arch() {
        return arch;
    }

    public int imageSize() {
        return imageSize;
    }

    public List<String> classes() {
        return classes;
    }

    public long parameterCount() {
        return p.count();
    }

    public double heldOutAccuracy() {
        return heldOutAccuracy;
    }

    void setHeldOutAccuracy(double accuracy) {
        this.heldOutAccuracy = accuracy;
    }

    Map<String, NDArray> parameters() {
        return p.all();
    }

    void requireGradients(boolean on) {
        p.requireGradients(on);
    }

    /**
     * Features and logits.
     *
     * @param x (B, 1, S, S) images in [−1, 1]
     * @return {features (B, F), logits (B, K)}
     */
    NDArray[] forward(NDArray x) {
        NDArray features;
        if (ARCH_CNN.equals(arch)) {
            NDArray h = relu(Layers.conv(x, p.get("c1.w"), p.get("c1.b"), 1)); // (B, 32, S, S)
            h = relu(Layers.conv(h, p.get("c2.w"), p.get("c2.b"), 2)); // (B, 64, S/2, S/2)
            h = relu(Layers.conv(h, p.get("c3.w"), p.get("c3.b"), 2)); // (B, 64, S/4, S/4)
            features = h.reshape(h.getShape().get(0), h.getShape().get(1), -1).mean(new int[] {2}); // (B, 64)
        } else {
            NDArray h = x.reshape(x.getShape().get(0), -1); // (B, S·S)
            h = relu(Layers.linear(h, p.get("fc1.w"), p.get("fc1.b"))); // (B, 256)
            features = relu(Layers.linear(h, p.get("fc2.w"), p.get("fc2.b"))); // (B, 128)
        }
        NDArray logits = Layers.linear(features, p.get("head.w"), p.get("head.b")); // (B, K)
        return new NDArray[] {features, logits};
    }

    private static NDArray relu(NDArray x) {
        return ai.djl.nn.Activation.relu(x);
    }

    /** Class probabilities of images given in [0, 1] (one {@code S·S} array each): (N, K) as Java arrays. */
    public float[][] probabilities(float[][] images) {
        return run(images, false);
    }

    /** Feature vectors (the head's input) of images in [0, 1]. */
    public float[][] features(float[][] images) {
        return run(images, true);
    }

    private float[][] run(float[][] images, boolean features) {
        Gradients.gradModeOff();
        int n = images.length;
        int pixels = imageSize * imageSize;
        float[][] out = new float[n][];
        int batch = 256;
        for (int from = 0; from < n; from += batch) {
            int to = Math.min(n, from + batch);
            float[] flat = new float[(to - from) * pixels];
            for (int i = from; i < to; i++) {
                if (images[i].length != pixels) {
                    throw new IllegalArgumentException("image " + i + " has " + images[i].length + " pixels, the "
                            + "classifier expects " + imageSize + "×" + imageSize);
                }
                for (int j = 0; j < pixels; j++) {
                    flat[(i - from) * pixels + j] = images[i][j] * 2f - 1f;
                }
            }
            try (NDManager m = manager.newSubManager()) {
                NDArray x = m.create(flat, new Shape(to - from, 1, imageSize, imageSize));
                NDArray[] fl = forward(x);
                NDArray result = features ? fl[0] : fl[1].softmax(-1);
                int width = (int) result.getShape().get(1);
                float[] values = result.toFloatArray();
                for (int i = from; i < to; i++) {
                    out[i] = java.util.Arrays.copyOfRange(values, (i - from) * width, (i - from + 1) * width);
                }
            }
        }
        return out;
    }

    /**
     * Mean cosine similarity, in the feature space, of each image to the references of its class (0 for
     * a class without references). After "The Image as Its Own Reward".
     */
    public double[] referenceSimilarity(float[][] images, int[] classIndex) {
        float[][] f = features(images);
        double[] out = new double[images.length];
        for (int i = 0; i < images.length; i++) {
            int k = classIndex[i];
            if (k < 0 || k >= references.length || references[k].length == 0) {
                continue;
            }
            double norm = Math.sqrt(dot(f[i], f[i]));
            double sum = 0;
            for (float[] ref : references[k]) {
                sum += norm == 0 ? 0 : dot(f[i], ref) / norm;
            }
            out[i] = sum / references[k].length;
        }
        return out;
    }

    /** Stores the L2-normalized features of {@code perClass} images of each class of {@code set} as references. */
    void setReferences(ImageSet set, int perClass) {
        references = new float[classes.size()][][];
        for (int k = 0; k < classes.size(); k++) {
            List<float[]> chosen = new ArrayList<>();
            for (int i = 0; i < set.count() && chosen.size() < perClass; i++) {
                if (set.labels()[i] == k) {
                    chosen.add(toUnit(set.pixels()[i]));
                }
            }
            float[][] f = features(chosen.toArray(new float[0][]));
            for (float[] v : f) {
                double norm = Math.sqrt(dot(v, v));
                for (int j = 0; j < v.length; j++) {
                    v[j] = norm == 0 ? 0 : (float) (v[j] / norm);
                }
            }
            references[k] = f;
        }
    }

    /** [−1, 1] pixels → [0, 1]. */
    static float[] toUnit(float[] pixels) {
        float[] out = new float[pixels.length];
        for (int i = 0; i < pixels.length; i++) {
            out[i] = (pixels[i] + 1f) / 2f;
        }
        return out;
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    @Override
    public void close() {
        manager.close();
    }
}
