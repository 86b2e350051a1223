package dev.tropism.engine.flow;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;

/**
 * Independent Gaussian streams, one per sample, drawn in Java from seeds, so a sample's initial noise and
 * its SDE noise depend only on its own seed: the same seed gives the same image alone or in any batch
 * (and Feynman–Kac steering with λ = 0 reproduces independent sampling). Streams belong to slots, not to
 * particles: after resampling, copies of one particle draw different noise and diverge.
 */
public final class Noise {

    private final Random[] streams;
    private final int pixels;

    /** One stream per seed. */
    public Noise(long[] seeds, int pixels) {
        this.streams = new Random[seeds.length];
        for (int i = 0; i < seeds.length; i++) {
            streams[i] = new Random(seeds[i]);
        }
        this.pixels = pixels;
    }

    /** Seeds {@code mix(seed, i)} for i in [0, n). */
    public static long[] seeds(long seed, int n) {
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = mix(seed, i);
        }
        return out;
    }

    /** SplitMix64 of (a, b): decorrelated seeds for derived streams. */
    public static long mix(long a, long b) {
        long z = a * 0x9E3779B97F4A7C15L + b + 0x632BE59BD9B4E019L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    public int size() {
        return streams.length;
    }

    /** The next standard-normal draw of every stream, as (B, 1, S, S) in {@code m}. */
    public NDArray next(NDManager m, int side) {
        float[] values = new float[streams.length * pixels];
        for (int i = 0; i < streams.length; i++) {
            for (int j = 0; j < pixels; j++) {
                values[i * pixels + j] = (float) streams[i].nextGaussian();
            }
        }
        return m.create(values, new Shape(streams.length, 1, side, side));
    }

}
