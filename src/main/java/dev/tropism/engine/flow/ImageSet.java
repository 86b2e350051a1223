package dev.tropism.engine.flow;

import java.util.List;

/**
 * Labelled square grayscale images, pixels in [−1, 1] (−1 is the black background), row-major.
 *
 * @param pixels one array of {@code size·size} values per image
 * @param labels class index of each image
 * @param size side length in pixels
 * @param classNames the class names, indexed by label
 */
public record ImageSet(float[][] pixels, int[] labels, int size, List<String> classNames) {

    public ImageSet {
        if (pixels.length != labels.length) {
            throw new IllegalArgumentException(pixels.length + " images but " + labels.length + " labels");
        }
        classNames = List.copyOf(classNames);
    }

    public int count() {
        return labels.length;
    }

    /** Images {@code from} (inclusive) to {@code to} (exclusive), sharing the arrays. */
    public ImageSet slice(int from, int to) {
        return new ImageSet(java.util.Arrays.copyOfRange(pixels, from, to), java.util.Arrays.copyOfRange(labels, from, to),
                size, classNames);
    }
}
