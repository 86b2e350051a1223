package dev.tropism.engine.flow;

import dev.tropism.engine.PolicyFamily;
import dev.tropism.engine.RunOptions;
import dev.tropism.engine.RunSpec;
import dev.tropism.engine.TrainingRun;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A {@code tiny-flow} pretraining run on the shipped Fashion-MNIST subset ({@link FashionMnist}).
 *
 * @param model network shape; its image size must be 14 or 28 and its class count 10
 * @param training optimizer, schedule and classifier settings
 * @param seed seed of initialization, batching, noise and both classifiers
 */
public record FlowPretrainSpec(FlowNetConfig model, FlowPretrainConfig training, long seed) implements RunSpec {

    public FlowPretrainSpec {
        if (model.imageSize() != 14 && model.imageSize() != 28) {
            throw new dev.tropism.engine.ConfigException("image_size", "the shipped dataset comes at 14 or 28 pixels, got "
                    + model.imageSize());
        }
        if (model.numClasses() != FashionMnist.CLASSES.size()) {
            throw new dev.tropism.engine.ConfigException("num_classes", "Fashion-MNIST has "
                    + FashionMnist.CLASSES.size() + " classes, got " + model.numClasses());
        }
    }

    @Override
    public PolicyFamily family() {
        return PolicyFamily.FLOW_MATCHING;
    }

    @Override
    public TrainingRun open(Path checkpoint, RunOptions options) throws IOException {
        return new FlowPretrainRun(this, checkpoint, options);
    }
}
