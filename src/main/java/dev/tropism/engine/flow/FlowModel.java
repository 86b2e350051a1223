package dev.tropism.engine.flow;

import ai.djl.ndarray.NDManager;
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

/**
 * A {@code flow-matching} model directory: {@code model.json} (family, recipe, {@link FlowNetConfig}, class
 * names and default sampling settings) and {@code weights.ndlist}. {@link #generate} is the one call image
 * serving needs.
 */
public final class FlowModel implements AutoCloseable {

    public static final String FAMILY = PolicyFamily.FLOW_MATCHING.wireName();
    public static final String RECIPE = "tiny-flow";
    static final String META = "model.json";
    public static final String WEIGHTS = "weights.ndlist";
    /** Sub-directories of an exported base model holding its recipe's classifiers. */
    public static final String REWARD_CLASSIFIER_DIR = "classifiers/reward";
    public static final String GOLD_CLASSIFIER_DIR = "classifiers/gold";
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

    private final NDManager manager;
    private final FlowNet net;
    private final List<String> classes;
    private final int defaultSteps;
    private final double defaultGuidance;

    FlowModel(FlowNet net, List<String> classes, int defaultSteps, double defaultGuidance, NDManager manager) {
        this.net = net;
        this.classes = List.copyOf(classes);
        this.defaultSteps = defaultSteps;
        this.defaultGuidance = defaultGuidance;
        this.manager = manager;
    }

    /** Whether {@code dir} holds a flow-matching model (its {@code model.json} says so). */
    public static boolean isFlowModel(Path dir) {
        try {
            return FAMILY.equals(readMeta(dir).get("family").getAsString());
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** The class names of the model in {@code dir}, read from its {@code model.json} alone. */
    public static List<String> readClasses(Path dir) throws IOException {
        List<String> classes = new ArrayList<>();
        readMeta(dir).getAsJsonArray("classes").forEach(e -> classes.add(e.getAsString()));
        return classes;
    }

    private static JsonObject readMeta(Path dir) throws IOException {
        return GSON.fromJson(Files.readString(dir.resolve(META), StandardCharsets.UTF_8), JsonObject.class);
    }

    public static FlowModel load(Path dir, NDManager parent) throws IOException {
        JsonObject meta = readMeta(dir);
        if (!FAMILY.equals(meta.get("family").getAsString())) {
            throw new IOException(dir + " is not a flow-matching model");
        }
        FlowNetConfig config = GSON.fromJson(meta.get("config"), FlowNetConfig.class);
        config = new FlowNetConfig(config.imageSize(), config.channels(), config.levels(), config.numClasses(),
                config.embedDim(), config.groups()); // re-validated
        List<String> classes = readClasses(dir);
        if (classes.size() != config.numClasses()) {
            throw new IOException(dir + ": " + classes.size() + " class names for " + config.numClasses() + " classes");
        }
        NDManager m = parent.newSubManager();
        try {
            FlowNet net = FlowNet.load(config, dir.resolve(WEIGHTS), m);
            JsonObject sampling = meta.has("sampling") ? meta.getAsJsonObject("sampling") : new JsonObject();
            return new FlowModel(net, classes, sampling.has("steps") ? sampling.get("steps").getAsInt() : 10,
                    sampling.has("guidance_scale") ? sampling.get("guidance_scale").getAsDouble() : 1.0, m);
        } catch (IOException | RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** Writes {@code net} with its metadata into {@code dir}. */
    public static void save(Path dir, FlowNet net, List<String> classes, int steps, double guidance) throws IOException {
        Files.createDirectories(dir);
        net.save(dir.resolve(WEIGHTS));
        JsonObject meta = new JsonObject();
        meta.addProperty("family", FAMILY);
        meta.addProperty("recipe", RECIPE);
        meta.add("config", GSON.toJsonTree(net.config()));
        meta.add("classes", GSON.toJsonTree(classes));
        meta.addProperty("parameters", net.parameterCount());
        JsonObject sampling = new JsonObject();
        sampling.addProperty("steps", steps);
        sampling.addProperty("guidance_scale", guidance);
        meta.add("sampling", sampling);
        Files.writeString(dir.resolve(META), GSON.toJson(meta), StandardCharsets.UTF_8);
    }

    public FlowNet net() {
        return net;
    }

    public List<String> classes() {
        return classes;
    }

    public int imageSize() {
        return net.config().imageSize();
    }

    public int defaultSteps() {
        return defaultSteps;
    }

    public double defaultGuidance() {
        return defaultGuidance;
    }

    /** Index of {@code className}, or −1. */
    public int classIndex(String className) {
        return classes.indexOf(className);
    }

    /**
     * ODE samples, one per (label, seed): image i comes from noise seeded {@code seeds[i]} alone, so it is
     * the same in any batch. Returns [0, 1] pixel arrays.
     */
    public float[][] generate(int[] labels, long[] seeds, int steps, double guidance) {
        Gradients.gradModeOff();
        try (NDManager m = manager.newSubManager()) {
            Noise noise = new Noise(seeds, imageSize() * imageSize());
            Trajectory t = FlowSampler.sample(net, labels, noise, new double[steps], guidance, m);
            return FlowSampler.toUnitImages(t.images());
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
