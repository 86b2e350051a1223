package dev.tropism.evaluations;

import dev.tropism.engine.rm.PairwiseMetrics;
import dev.tropism.rewards.RewardAliases;
import java.util.List;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * Turns what an evaluation measured into its metrics, checks them against the suite's thresholds and writes the
 * report: pairwise accuracy with a bootstrap interval ({@link PairwiseBootstrap}), ECE for reward models
 * ({@link PairwiseMetrics#expectedCalibrationError}), correlation with the gold judge ({@link GoldCorrelation}), the
 * best-of-N probe ({@link BestOfNProbe}) and latency ({@link LatencyStats}), then {@link EvalReport#of}.
 */
@Component
class EvaluationJudge {

    /**
     * @param failedNames names of the failed checks, in report order
     * @param failedThresholdsJson the failed checks as a JSON array (the evaluation's {@code failed_thresholds})
     */
    record Judgement(String verdict, List<String> failedNames, String failedThresholdsJson, String reportJson) {
    }

    private final JsonMapper json;
    private final EvaluationProperties properties;

    EvaluationJudge(JsonMapper json, EvaluationProperties properties) {
        this.json = json;
        this.properties = properties;
    }

    Judgement judge(Evaluation e, EvalSuite suite, EvaluationRunner.Measured measured) {
        Thresholds thresholds = json.readValue(suite.thresholds(), Thresholds.class);
        long seed = suite.sampling().seed();
        EvalMetrics candidate = metrics(measured.candidate(), measured, seed);
        EvalMetrics baseline = measured.baseline() == null ? null : metrics(measured.baseline(), measured, seed);
        EvalReport report = EvalReport.of(e.id(), new EvalReport.Suite(suite.id(), suite.name(), suite.version()),
                thresholds, candidate, baseline);
        List<ThresholdCheck> failed = report.failedChecks();
        return new Judgement(report.verdict().wire(), failed.stream().map(ThresholdCheck::name).toList(),
                json.writeValueAsString(failed), json.writeValueAsString(report));
    }

    /** One side's metrics; {@code seed} seeds the bootstrap, so a report is reproducible. */
    EvalMetrics metrics(EvaluationRunner.Side side, EvaluationRunner.Measured measured, long seed) {
        EvalMetrics.Pairwise pairwise = null;
        Double ece = null;
        if (side.chosen() != null && side.chosen().length > 0) {
            double[] margins = new double[side.chosen().length]; // r(chosen) − r(rejected) per pair
            for (int i = 0; i < margins.length; i++) {
                margins[i] = side.chosen()[i] - side.rejected()[i];
            }
            pairwise = PairwiseBootstrap.measure(margins, seed, properties.bootstrapResamples(),
                    PairwiseBootstrap.CONFIDENCE);
            if (side.kind() == RewardAliases.Kind.REWARD_MODEL) {
                // σ(margin) is a model's preference probability; a spec's scores have no such meaning
                ece = PairwiseMetrics.expectedCalibrationError(margins, PairwiseMetrics.ECE_BINS);
            }
        }
        EvalMetrics.Gold gold = null;
        EvalMetrics.Overoptimization overoptimization = null;
        if (side.proxy() != null && side.proxy().length > 0) {
            gold = GoldCorrelation.measure(side.proxy(), measured.gold());
            int n = measured.samplesPerPrompt();
            if (n >= 2) {
                overoptimization = BestOfNProbe.measure(byPrompt(side.proxy(), n), byPrompt(measured.gold(), n));
            }
        }
        return new EvalMetrics(pairwise, ece, gold, overoptimization, LatencyStats.measure(side.latencyMs()),
                side.errors());
    }

    /** Prompt-major scores as one row per prompt of {@code n} samples. */
    private static double[][] byPrompt(double[] scores, int n) {
        double[][] out = new double[scores.length / n][n];
        for (int j = 0; j < out.length; j++) {
            System.arraycopy(scores, j * n, out[j], 0, n);
        }
        return out;
    }
}
