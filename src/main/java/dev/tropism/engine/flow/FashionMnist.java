package dev.tropism.engine.flow;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.GZIPInputStream;

/**
 * The Fashion-MNIST subset shipped in {@code src/main/resources/datasets/fashion-mnist} (Xiao et al. 2017,
 * MIT licence; provenance and splits in that folder's README): 10,000 training and the 10,000 test images
 * as IDX files. Images are read once per (split, size) and shared; 14×14 images are 2×2 means of the
 * 28×28 originals.
 */
public final class FashionMnist {

    /** Class names in label order; prompts of flow jobs name one of these. */
    public static final List<String> CLASSES = List.of("t-shirt", "trouser", "pullover", "dress", "coat", "sandal",
            "shirt", "sneaker", "bag", "ankle boot");

    private static final String ROOT = "/datasets/fashion-mnist/";
    private static final Map<String, ImageSet> CACHE = new ConcurrentHashMap<>();

    private FashionMnist() {
    }

    /** The 10,000 shipped training images at {@code size} (28, or 14 by 2×2 averaging). */
    public static ImageSet train(int size) {
        return load("train10k", size);
    }

    /** The 10,000 upstream test images at {@code size}. */
    public static ImageSet test(int size) {
        return load("t10k", size);
    }

    private static ImageSet load(String name, int size) {
        if (size != 28 && size != 14) {
            throw new IllegalArgumentException("image size must be 28 or 14, got " + size);
        }
        return CACHE.computeIfAbsent(name + "@" + size, k -> {
            try {
                byte[][] raw = readImages(ROOT + name + "-images-idx3-ubyte.gz");
                int[] labels = readLabels(ROOT + name + "-labels-idx1-ubyte.gz");
                float[][] pixels = new float[raw.length][];
                for (int i = 0; i < raw.length; i++) {
                    pixels[i] = size == 28 ? scale(raw[i]) : downsample(raw[i]);
                }
                return new ImageSet(pixels, labels, size, CLASSES);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the shipped Fashion-MNIST files", e);
            }
        });
    }

    private static float[] scale(byte[] image) {
        float[] out = new float[image.length];
        for (int i = 0; i < image.length; i++) {
            out[i] = (image[i] & 0xff) / 127.5f - 1f;
        }
        return out;
    }

    /** 28×28 bytes → 14×14 means of 2×2 blocks, in [−1, 1]. */
    private static float[] downsample(byte[] image) {
        float[] out = new float[14 * 14];
        for (int r = 0; r < 14; r++) {
            for (int c = 0; c < 14; c++) {
                int sum = (image[2 * r * 28 + 2 * c] & 0xff) + (image[2 * r * 28 + 2 * c + 1] & 0xff)
                        + (image[(2 * r + 1) * 28 + 2 * c] & 0xff) + (image[(2 * r + 1) * 28 + 2 * c + 1] & 0xff);
                out[r * 14 + c] = sum / 4f / 127.5f - 1f;
            }
        }
        return out;
    }

    private static byte[][] readImages(String resource) throws IOException {
        try (DataInputStream in = open(resource)) {
            if (in.readInt() != 2051) {
                throw new IOException(resource + " is not an IDX3 image file");
            }
            int n = in.readInt();
            int rows = in.readInt();
            int cols = in.readInt();
            byte[][] images = new byte[n][rows * cols];
            for (byte[] image : images) {
                in.readFully(image);
            }
            return images;
        }
    }

    private static int[] readLabels(String resource) throws IOException {
        try (DataInputStream in = open(resource)) {
            if (in.readInt() != 2049) {
                throw new IOException(resource + " is not an IDX1 label file");
            }
            int[] labels = new int[in.readInt()];
            for (int i = 0; i < labels.length; i++) {
                labels[i] = in.readUnsignedByte();
            }
            return labels;
        }
    }

    private static DataInputStream open(String resource) throws IOException {
        InputStream raw = FashionMnist.class.getResourceAsStream(resource);
        if (raw == null) {
            throw new IOException("missing resource " + resource);
        }
        return new DataInputStream(new java.io.BufferedInputStream(new GZIPInputStream(raw, 1 << 16)));
    }
}
