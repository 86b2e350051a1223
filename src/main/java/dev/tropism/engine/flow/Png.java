package dev.tropism.engine.flow;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;

/** Grayscale PNG encoding of generated images (javax.imageio, part of the JDK). */
public final class Png {

    private Png() {
    }

    /** One image of {@code side}×{@code side} pixels in [0, 1]. */
    public static byte[] encode(float[] pixels, int side) {
        return grid(new float[][] {pixels}, side, 1, 1);
    }

    /**
     * Images in [0, 1] laid out row-major in a grid of {@code columns}, each scaled up {@code zoom} times
     * (nearest neighbour) with a 1-pixel gap.
     */
    public static byte[] grid(float[][] images, int side, int columns, int zoom) {
        int rows = (images.length + columns - 1) / columns;
        int cell = side * zoom + 1;
        BufferedImage out = new BufferedImage(Math.max(1, columns * cell - 1), Math.max(1, rows * cell - 1),
                BufferedImage.TYPE_BYTE_GRAY);
        var raster = out.getRaster();
        for (int y = 0; y < out.getHeight(); y++) {
            for (int x = 0; x < out.getWidth(); x++) {
                raster.setSample(x, y, 0, 96); // grey gaps
            }
        }
        for (int i = 0; i < images.length; i++) {
            int ox = (i % columns) * cell;
            int oy = (i / columns) * cell;
            for (int r = 0; r < side * zoom; r++) {
                for (int c = 0; c < side * zoom; c++) {
                    float v = images[i][(r / zoom) * side + c / zoom];
                    raster.setSample(ox + c, oy + r, 0, Math.round(Math.max(0f, Math.min(1f, v)) * 255f));
                }
            }
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            ImageIO.write(out, "png", bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }
}
