package dev.tropism.engine.flow;

import static dev.tropism.engine.ConfigException.require;

/**
 * Inference-time steering of a flow model toward a reward, without training.
 *
 * @param method {@code fk} (Feynman–Kac steering, {@link FkSteering}) or {@code best_of_n}
 * @param particles N, particles per image (FK) or candidates per image (best-of-N); at least 1
 * @param potential FK potential on the reward r_k of the predicted clean image: {@code diff}
 *     (exp(λ(r_k − r_prev))), {@code max} (exp(λ·max_{j≤k} r_j)) or {@code add} (exp(λ·Σ_{j≤k} r_j)); default
 *     {@code max}
 * @param lambda λ, the potential's inverse temperature; 0 turns steering off (independent particles);
 *     default 10
 * @param resampleInterval resample every this many steps; default 2
 * @param essThreshold when &gt; 0, resample at a scheduled step only if the effective sample size
 *     1/Σw̄² is below this fraction of N (ESS-adaptive); default 0.5
 * @param noiseLevel a of the SDE steps between resamplings, so that copies of a particle diverge;
 *     default 0.7
 */
public record SteeringConfig(String method, int particles, String potential, double lambda, int resampleInterval,
        double essThreshold, double noiseLevel) {

    public static final String FK = "fk";
    public static final String BEST_OF_N = "best_of_n";

    public SteeringConfig {
        require(FK.equals(method) || BEST_OF_N.equals(method), "method", "must be fk or best_of_n, got " + method);
        require(particles >= 1 && particles <= 256, "particles", "must be in [1, 256], got " + particles);
        require("diff".equals(potential) || "max".equals(potential) || "add".equals(potential), "potential",
                "must be diff, max or add, got " + potential);
        require(lambda >= 0 && lambda <= 1000, "lambda", "must be in [0, 1000], got " + lambda);
        require(resampleInterval >= 1 && resampleInterval <= 1000, "resample_interval",
                "must be in [1, 1000], got " + resampleInterval);
        require(essThreshold >= 0 && essThreshold <= 1, "ess_threshold", "must be in [0, 1] (0: always), got "
                + essThreshold);
        require(noiseLevel > 0 && noiseLevel <= 5, "noise_level", "must be in (0, 5], got " + noiseLevel);
    }

    /** FK steering with the defaults and {@code particles} particles. */
    public static SteeringConfig fk(int particles) {
        return new SteeringConfig(FK, particles, "max", 10.0, 2, 0.5, 0.7);
    }
}
