package dev.tropism.support;

import dev.tropism.engine.Engine;
import dev.tropism.engine.PolicyFamily;
import dev.tropism.engine.TrainingRun;
import dev.tropism.engine.flow.FashionMnist;
import dev.tropism.engine.flow.FlowModel;
import dev.tropism.engine.flow.FlowNetConfig;
import dev.tropism.engine.flow.FlowPretrainConfig;
import dev.tropism.engine.flow.FlowPretrainSpec;
import dev.tropism.engine.flow.ImageClassifier;
import dev.tropism.engine.flow.Png;
import dev.tropism.models.ModelRecord;
import dev.tropism.models.ModelStore;
import dev.tropism.storage.Artifacts;
import dev.tropism.web.Ids;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;

/**
 * A real, very small {@code tiny-flow} model (14×14, 8 channels, 20 steps; its classifiers 60 steps each),
 * pretrained once per JVM through the engine and registered for a team directly (object storage +
 * {@link ModelStore}), without the {@code POST /v1/models} recipe.
 */
public final class TinyFlow {

    public static final int SIDE = 14;
    private static Path exported;

    private TinyFlow() {
    }

    /** The exported model directory (generator plus {@code classifiers/reward} and {@code classifiers/gold}). */
    public static synchronized Path exported() {
        if (exported == null) {
            try {
                Path dir = Files.createTempDirectory("tiny-flow-test");
                FlowNetConfig net = new FlowNetConfig(SIDE, 8, 2, 10, 16, 4);
                FlowPretrainConfig cfg = new FlowPretrainConfig(20, 32, 3e-3, 5, 0, 1, 0.1, 1.0, 4, 0, 60);
                try (TrainingRun run = Engine.open(new FlowPretrainSpec(net, cfg, 5))) {
                    while (run.step() < run.totalSteps()) {
                        run.trainStep();
                    }
                    run.exportModel(dir);
                }
                exported = dir;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return exported;
    }

    /** Ids of one team's registered flow model and its reward classifier. */
    public record Registered(String flowModel, String classifier) {
    }

    /** Uploads the model and its reward classifier and registers both, ready, for {@code teamId}. */
    public static Registered register(String teamId, Artifacts artifacts, ModelStore models) throws IOException {
        String flow = Ids.newId("model_");
        String classifier = Ids.newId("model_");
        artifacts.upload(exported(), ModelRecord.prefixOf(flow));
        artifacts.upload(exported().resolve(FlowModel.REWARD_CLASSIFIER_DIR), ModelRecord.prefixOf(classifier));
        Instant now = Instant.now();
        models.insert(new ModelRecord(0, flow, teamId, "tiny-flow-test", PolicyFamily.FLOW_MATCHING, FlowModel.RECIPE,
                ModelRecord.READY, null, null, null, ModelRecord.prefixOf(flow), null, now));
        models.insert(new ModelRecord(0, classifier, teamId, "tiny-flow-test/reward-classifier", PolicyFamily.IMAGE_CLASSIFIER,
                FlowModel.RECIPE, ModelRecord.READY, flow, null, null, ModelRecord.prefixOf(classifier), null, now));
        return new Registered(flow, classifier);
    }

    /** Test image {@code index} of Fashion-MNIST at 14×14 as [0, 1] pixels. */
    public static float[] testImage(int index) {
        float[] x = FashionMnist.test(SIDE).pixels()[index].clone();
        for (int i = 0; i < x.length; i++) {
            x[i] = (x[i] + 1f) / 2f;
        }
        return x;
    }

    /** The label of test image {@code index}. */
    public static int testLabel(int index) {
        return FashionMnist.test(SIDE).labels()[index];
    }

    /** Base64 of a grayscale PNG of [0, 1] pixels. */
    public static String pngBase64(float[] pixels, int side) {
        return Base64.getEncoder().encodeToString(Png.encode(pixels, side));
    }
}
