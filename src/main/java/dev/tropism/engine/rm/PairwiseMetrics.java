package dev.tropism.engine.rm;

/**
 * What a reward model's margins m = r_c − r_r on held-out pairs say of it: pairwise accuracy, mean
 * Bradley–Terry loss and expected calibration error.
 *
 * <p>Calibration: the model predicts "chosen is preferred" with probability p = σ(m). Its prediction is
 * the more likely side, with confidence max(p, 1 − p), and it is correct when p &gt; 1/2 (a tie, p = 1/2,
 * counts as half correct). The expected calibration error (Guo et al. 2017, "On Calibration of Modern
 * Neural Networks", Eq. 3) splits [0, 1] into {@value #ECE_BINS} equal-width bins of confidence and
 * averages |accuracy − mean confidence| over the bins, weighted by their share of pairs. Confidence is
 * at least 1/2, so only the upper five bins fill; this equals the same error of σ(m) over all ten bins
 * when each pair is counted in both orders (p with label 1, 1 − p with label 0). 0 is perfect; a model
 * that is always sure and right half the time scores 1/2.
 */
public final class PairwiseMetrics {

    /** Bins of the expected calibration error. */
    public static final int ECE_BINS = 10;

    private PairwiseMetrics() {
    }

    /** Share of pairs where r_c &gt; r_r; a tie counts one half. */
    public static double accuracy(double[] margins) {
        double sum = 0;
        for (double m : margins) {
            sum += correctness(m);
        }
        return sum / margins.length;
    }

    /** Mean Bradley–Terry negative log-likelihood −log σ(m). */
    public static double meanLoss(double[] margins) {
        double sum = 0;
        for (double m : margins) {
            sum += BradleyTerry.pairLoss(m);
        }
        return sum / margins.length;
    }

    /** Mean margin r_c − r_r. */
    public static double meanMargin(double[] margins) {
        double sum = 0;
        for (double m : margins) {
            sum += m;
        }
        return sum / margins.length;
    }

    /** Expected calibration error of σ(m) over {@code bins} equal-width confidence bins (see the class comment). */
    public static double expectedCalibrationError(double[] margins, int bins) {
        double[] count = new double[bins];
        double[] confidence = new double[bins];
        double[] correct = new double[bins];
        for (double m : margins) {
            double p = BradleyTerry.preferenceProbability(m);
            double c = Math.max(p, 1 - p);
            int b = Math.min(bins - 1, (int) (c * bins)); // confidence 1.0 falls in the last bin
            count[b]++;
            confidence[b] += c;
            correct[b] += correctness(m);
        }
        double ece = 0;
        for (int b = 0; b < bins; b++) {
            if (count[b] > 0) {
                ece += count[b] / margins.length * Math.abs(correct[b] / count[b] - confidence[b] / count[b]);
            }
        }
        return ece;
    }

    private static double correctness(double margin) {
        return margin > 0 ? 1 : margin == 0 ? 0.5 : 0;
    }
}
