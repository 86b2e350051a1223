package dev.tropism.engine.flowrl;

import ai.djl.ndarray.NDArray;
import dev.tropism.engine.MetricNames;
import dev.tropism.engine.nn.Scalars;
import java.util.Map;

/**
 * GRPO-Guard (Wang et al. 2025, "GRPO-Guard: Mitigating Implicit Over-Optimization in Flow Matching via
 * Regulated Clipping", arXiv:2510.22319). Diagnosis: under Flow-GRPO's SDE the importance ratio's mean sits
 * below 1 (its log has expectation −b under π_old, with b = ‖μ_θ − μ_old‖²/(2σ_k²), σ_k = s_k·sqrt(−dt)) and
 * its spread differs across steps, so clipping stops guarding against over-confident positive updates.
 * RatioNorm (their Eq. 8) re-centres and rescales the log-ratio per step,
 * <pre>  log r̃_k = (log r_k + b_k)·σ_k,   b_k = mean((μ_θ − μ_old)²)/(2σ_k²)  </pre>
 * and the per-step loss is re-weighted by 1/(−dt_k) to balance the steps' gradients. The rest is Flow-GRPO.
 * Per-step ratio means and variances are logged ({@code train/ratio/step<k>/mean|var}), because their
 * left shift and unevenness is what the paper diagnoses.
 */
final class GrpoGuard implements FlowMethod, FlowRlRun.StepObjective {

    /** RatioNorm (Eq. 8): the step's log-ratio re-centred by b_k and scaled by σ_k; {@code (B) (log r + b)·σ_k}. */
    @Override
    public NDArray logRatio(NDArray logRatio, NDArray mean, NDArray oldMean, double std) {
        return normalizedLogRatio(logRatio, mean, oldMean, std);
    }

    /** The step's loss re-weighted by 1/(−dt_k), to balance the steps' gradients. */
    @Override
    public double stepScale(double scale, double dt) {
        return scale / -dt;
    }

    /**
     * The normalized log-ratio of one step.
     *
     * @param logRatio (B) log π_θ − log π_old
     * @param mean (B, 1, S, S) μ_θ
     * @param oldMean (B, 1, S, S) μ_old
     * @param std the step's std σ_k = s_k·sqrt(−dt)
     * @return (B) (log r + b)·σ_k
     */
    static NDArray normalizedLogRatio(NDArray logRatio, NDArray mean, NDArray oldMean, double std) {
        long b = logRatio.getShape().get(0);
        NDArray shift = mean.sub(oldMean).square().reshape(b, -1).mean(new int[] {1}).div(Scalars.of(mean, 2 * std * std)); // (B)
        return logRatio.add(shift).mul(Scalars.of(logRatio, std));
    }

    @Override
    public void step(FlowRlRun run, FlowRlRun.StepBatch batch, Map<String, Double> metrics) {
        FlowRlRun.UpdateStats u = FlowGrpo.trajectoryLevel(run, batch, metrics, this);
        run.putUpdateMetrics(u, metrics);
        for (int k = 0; k < u.ratioMeanByStep().length; k++) {
            if (!Double.isNaN(u.ratioMeanByStep()[k])) {
                metrics.put(MetricNames.trainRatioAtStep(k, "mean"), u.ratioMeanByStep()[k]);
                metrics.put(MetricNames.trainRatioAtStep(k, "var"), u.ratioVarByStep()[k]);
            }
        }
    }
}
