package dev.tropism.engine.flow;

import dev.tropism.engine.GeneratedImages;
import dev.tropism.engine.RewardFunction;
import dev.tropism.engine.RewardResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A small real {@code tiny-flow} base model, pretrained once per JVM, and simple image rewards for tests. */
public final class FlowFixtures {

    /** 14×14, 16 channels: about 65k parameters. */
    static final FlowNetConfig SMALL = new FlowNetConfig(14, 16, 2, 10, 32, 4);
    private static Path baseModel;

    private FlowFixtures() {
    }

    /** A base model pretrained for 150 steps (classifiers 150 steps each); its directory. */
    public static synchronized Path baseModel() {
        if (baseModel == null) {
            try {
                Path dir = Files.createTempDirectory("tiny-flow-fixture");
                FlowPretrainConfig cfg = new FlowPretrainConfig(150, 64, 3e-3, 20, 0, 1, 0.1, 1.0, 6, 0, 150);
                try (FlowPretrainRun run = new FlowPretrainRun(new FlowPretrainSpec(SMALL, cfg, 11), null)) {
                    while (run.step() < run.totalSteps()) {
                        run.trainStep();
                    }
                    run.exportModel(dir);
                }
                baseModel = dir;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return baseModel;
    }

    /** Reward: mean pixel intensity (brightness), in [0, 1]. */
    public static RewardFunction brightness() {
        return batch -> {
            GeneratedImages images = batch.images();
            List<RewardResult> out = new ArrayList<>();
            for (int i = 0; i < batch.size(); i++) {
                double sum = 0;
                for (float v : images.get(i)) {
                    sum += v;
                }
                out.add(RewardResult.of(sum / images.get(i).length));
            }
            return out;
        };
    }

    public static List<Map<String, Object>> prompts(String... classes) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (String c : classes) {
            out.add(Map.of("prompt", c));
        }
        return out;
    }
}
