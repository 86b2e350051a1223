package dev.tropism.rewards;

import dev.tropism.web.ApiException;
import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Base64;
import javax.imageio.ImageIO;

/**
 * Images sent to "try it" ({@code "image_b64"}): a base64 PNG (grayscale or colour), square, at most
 * {@link #MAX_SIDE} pixels a side, converted to grayscale [0, 1] pixels (0 black). Colour is reduced to
 * luma, 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601); alpha is ignored.
 */
final class SampleImages {

    static final int MAX_SIDE = 64;
    /** Base64 of far more than any 64×64 PNG needs. */
    private static final int MAX_BASE64_CHARS = 200_000;

    /** A decoded image: {@code side}² pixels in [0, 1], row-major. */
    record Decoded(float[] pixels, int side) {
    }

    private SampleImages() {
    }

    /** Decodes {@code base64}; a 422 at {@code pointer} when it is not a small square PNG. */
    static Decoded decode(String base64, String pointer) {
        if (base64.length() > MAX_BASE64_CHARS) {
            throw ApiException.invalid(pointer, "is longer than " + MAX_BASE64_CHARS + " characters; send a PNG of at"
                    + " most " + MAX_SIDE + "×" + MAX_SIDE + " pixels");
        }
        byte[] bytes;
        try {
            bytes = Base64.getMimeDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid(pointer, "is not base64: " + e.getMessage());
        }
        BufferedImage image;
        try {
            image = ImageIO.read(new ByteArrayInputStream(bytes));
        } catch (IOException | RuntimeException e) {
            image = null;
        }
        if (image == null) {
            throw ApiException.invalid(pointer, "is not a readable PNG image");
        }
        int w = image.getWidth();
        int h = image.getHeight();
        if (w != h || w > MAX_SIDE) {
            throw ApiException.invalid(pointer, "must be a square image of at most " + MAX_SIDE + "×" + MAX_SIDE
                    + " pixels, got " + w + "×" + h);
        }
        return new Decoded(grayscale(image), w);
    }

    private static float[] grayscale(BufferedImage image) {
        int side = image.getWidth();
        float[] out = new float[side * side];
        Raster raster = image.getRaster();
        boolean gray = !(image.getColorModel() instanceof IndexColorModel) && raster.getNumBands() <= 2;
        if (gray) {
            // The stored gray level itself: getRGB would pass it through a colour-space conversion.
            double max = (1 << raster.getSampleModel().getSampleSize(0)) - 1;
            for (int y = 0; y < side; y++) {
                for (int x = 0; x < side; x++) {
                    out[y * side + x] = (float) (raster.getSample(x, y, 0) / max);
                }
            }
            return out;
        }
        for (int y = 0; y < side; y++) {
            for (int x = 0; x < side; x++) {
                int rgb = image.getRGB(x, y);
                double luma = 0.299 * ((rgb >> 16) & 0xff) + 0.587 * ((rgb >> 8) & 0xff) + 0.114 * (rgb & 0xff);
                out[y * side + x] = (float) Math.min(1.0, luma / 255.0);
            }
        }
        return out;
    }
}
