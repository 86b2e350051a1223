package dev.tropism.engine;

import java.util.List;

/**
 * Square grayscale images to score, pixels in [0, 1] (0 is the black background), row-major.
 *
 * @param side width and height in pixels
 * @param pixels one array of {@code side·side} values per image
 */
public record GeneratedImages(int side, List<float[]> pixels) {

    public GeneratedImages {
        pixels = List.copyOf(pixels);
        for (int i = 0; i < pixels.size(); i++) {
            if (pixels.get(i).length != side * side) {
                throw new IllegalArgumentException("image " + i + " has " + pixels.get(i).length + " pixels, expected "
                        + side + "×" + side);
            }
        }
    }

    public int count() {
        return pixels.size();
    }

    public float[] get(int i) {
        return pixels.get(i);
    }
}
