package dev.tropism.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.tropism.engine.MetricNames;
import dev.tropism.engine.NumericalInstabilityException;
import java.util.Map;

/**
 * Decides whether an update may be applied after backward. A non-finite gradient norm with a finite
 * loss skips the update (gradients are zeroed), as mixed-precision loss scalers do; more than
 * {@link #MAX_CONSECUTIVE_SKIPS} in a row is a divergence and fails the run. Such single-update spikes
 * were seen rarely on CPU (embedding gradients only, not reproducible with the same seed); the
 * {@code train/skipped_steps} metric makes every one visible.
 */
public final class NonFiniteGuard {

    /** Consecutive skipped updates tolerated before the run fails. */
    public static final int MAX_CONSECUTIVE_SKIPS = 3;

    private final FiniteCheck check;
    private int consecutive;

    /** A guard that skips non-finite updates. */
    public NonFiniteGuard() {
        this(FiniteCheck.OFF);
    }

    /** A guard that, when {@code check} is enabled, fails at the first non-finite gradient with its location. */
    public NonFiniteGuard(FiniteCheck check) {
        this.check = check;
    }

    /**
     * After backward: measures the global gradient norm and applies the optimizer's update, scaled down to
     * {@code gradClip} (0: unclipped), unless {@link #admit} skips it.
     *
     * @param step the 1-based step, for the error message
     * @return the norm; not finite when the update was skipped
     */
    public double clippedStep(AdamW optimizer, Map<String, NDArray> params, double lr, double gradClip,
            NDManager scratch, int step) {
        double norm = Gradients.globalNorm(params, scratch);
        if (admit(norm, params, scratch, step)) {
            optimizer.step(params, lr, Gradients.clipScale(norm, gradClip));
        }
        return norm;
    }

    /** Puts {@code train/grad_norm} (when finite), {@code train/skipped_steps} and {@code train/lr} of one update. */
    public static void putUpdateMetrics(Map<String, Double> metrics, double gradNorm, double lr) {
        if (Double.isFinite(gradNorm)) {
            metrics.put(MetricNames.TRAIN_GRAD_NORM, gradNorm);
        }
        metrics.put(MetricNames.TRAIN_SKIPPED_STEPS, Double.isFinite(gradNorm) ? 0.0 : 1.0);
        metrics.put(MetricNames.TRAIN_LR, lr);
    }

    /**
     * @param norm the global gradient norm of this update
     * @param step the 1-based step, for the error message
     * @return true to apply the update; false when it was skipped
     * @throws NumericalInstabilityException after too many skipped updates in a row
     */
    public boolean admit(double norm, Map<String, NDArray> params, NDManager scratch, int step) {
        if (Double.isFinite(norm)) {
            consecutive = 0;
            return true;
        }
        check.gradients(params, scratch); // anomaly mode: fails here, naming the parameter
        java.util.List<String> bad = Gradients.nonFinite(params, scratch);
        String where = "gradient norm is " + norm + " at step " + step + " (non-finite in " + bad.size() + " of "
                + params.size() + " parameter gradients, the closest to the loss being "
                + (bad.isEmpty() ? "none" : bad.get(bad.size() - 1))
                + "; anomaly mode, debug.check_finite, locates the first non-finite value)";
        if (++consecutive > MAX_CONSECUTIVE_SKIPS) {
            throw new NumericalInstabilityException(where + ", " + consecutive + " updates in a row");
        }
        Gradients.zero(params, scratch);
        return false;
    }
}
