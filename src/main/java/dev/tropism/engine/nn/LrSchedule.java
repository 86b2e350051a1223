package dev.tropism.engine.nn;

/**
 * Linear warmup to {@code peak} over {@code warmup} steps, then cosine decay to {@code peak·minRatio}
 * at {@code total} (Loshchilov &amp; Hutter 2017, SGDR; nanoGPT's get_lr). Steps are 0-based.
 */
public record LrSchedule(double peak, int warmup, int total, double minRatio) {

    public double at(int step) {
        if (step < warmup) {
            return peak * (step + 1) / warmup;
        }
        if (total <= warmup) {
            return peak;
        }
        double progress = Math.min(1.0, (double) (step - warmup) / (total - warmup));
        double min = peak * minRatio;
        return min + 0.5 * (1 + Math.cos(Math.PI * progress)) * (peak - min);
    }
}
