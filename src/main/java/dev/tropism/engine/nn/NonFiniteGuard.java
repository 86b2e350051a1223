package dev.tropism.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
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

    private int consecutive;

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
        String where = "gradient norm is " + norm + " at step " + step + " (non-finite in "
                + Gradients.nonFinite(params, scratch) + ")";
        if (++consecutive > MAX_CONSECUTIVE_SKIPS) {
            throw new NumericalInstabilityException(where + ", " + consecutive + " updates in a row");
        }
        Gradients.zero(params, scratch);
        return false;
    }
}
