package dev.tropism.engine.flow;

import dev.tropism.engine.ConfigException;

/**
 * Shape of the {@code tiny-flow} velocity network ({@link FlowNet}).
 *
 * @param imageSize side of the square grayscale images. Default 14 (Fashion-MNIST halved: a Flow-GRPO step
 *     at 28×28 costs about 4× as much, measured in docs/benchmarks.md); 28 is supported.
 * @param channels width of the first U-Net level; deeper levels have twice as many. Default 32.
 * @param levels U-Net resolutions (each halves the last); {@code imageSize} must be divisible by
 *     2^(levels−1). Default 2 (14 → 7).
 * @param numClasses classes of the conditional model; index {@code numClasses} is the null class used for
 *     classifier-free guidance (Ho &amp; Salimans 2022). Default 10 (Fashion-MNIST).
 * @param embedDim width of the time and class embeddings. Default 64.
 * @param groups GroupNorm groups. Default 8; must divide {@code channels}.
 */
public record FlowNetConfig(int imageSize, int channels, int levels, int numClasses, int embedDim, int groups) {

    public static final FlowNetConfig DEFAULT = new FlowNetConfig(14, 32, 2, 10, 64, 8);

    public FlowNetConfig {
        if (imageSize < 4 || imageSize > 64) {
            throw new ConfigException("image_size", "must be in [4, 64], got " + imageSize);
        }
        if (levels < 1 || levels > 4 || imageSize % (1 << (levels - 1)) != 0) {
            throw new ConfigException("levels", "must be in [1, 4] with image_size divisible by 2^(levels-1); got "
                    + levels + " for image_size " + imageSize);
        }
        if (channels < 4 || channels > 256) {
            throw new ConfigException("channels", "must be in [4, 256], got " + channels);
        }
        if (groups < 1 || channels % groups != 0) {
            throw new ConfigException("groups", "must divide channels (" + channels + "), got " + groups);
        }
        if (numClasses < 1 || numClasses > 1000) {
            throw new ConfigException("num_classes", "must be in [1, 1000], got " + numClasses);
        }
        if (embedDim < 4 || embedDim % 2 != 0 || embedDim > 1024) {
            throw new ConfigException("embed_dim", "must be even and in [4, 1024], got " + embedDim);
        }
    }

    /** Channels at U-Net level {@code l}: {@code channels} at the top, twice that below. */
    int channelsAt(int l) {
        return l == 0 ? channels : 2 * channels;
    }

    /** The null (unconditional) class index. */
    public int nullClass() {
        return numClasses;
    }
}
