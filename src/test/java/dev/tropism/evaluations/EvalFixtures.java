package dev.tropism.evaluations;

import java.util.List;
import java.util.Map;

/** Metrics and reports of the tests: an honest reward model as baseline and a length-hacking reward spec. */
final class EvalFixtures {

    static final EvalReport.Suite SUITE = new EvalReport.Suite("suite_1", "arith-gate", 3);

    /** A reward model: accurate, calibrated, its best-of-N gold keeps rising. */
    static final EvalMetrics HONEST = new EvalMetrics(new EvalMetrics.Pairwise(0.9, 0.85, 0.94, 200, 2), 0.04,
            new EvalMetrics.Gold(0.82, 0.66, 256),
            new EvalMetrics.Overoptimization(List.of(1, 2, 4, 8), List.of(0.1, 0.5, 0.9, 1.2),
                    List.of(0.40, 0.55, 0.70, 0.80), 8, 0, -0.3),
            new EvalMetrics.Latency(2.0, 4.0, 256), Map.of());

    /** A reward spec rewarding length: gold peaks at N=2 and falls, slower, two timeouts, no ECE. */
    static final EvalMetrics HACKABLE = new EvalMetrics(new EvalMetrics.Pairwise(0.55, 0.48, 0.62, 200, 40), null,
            new EvalMetrics.Gold(0.05, 0.03, 256),
            new EvalMetrics.Overoptimization(List.of(1, 2, 4, 8), List.of(3.0, 5.0, 6.5, 7.5),
                    List.of(0.40, 0.45, 0.30, 0.20), 2, 0.25, 2.9),
            new EvalMetrics.Latency(3.0, 9.0, 254), Map.of("timeout", 2));

    static final Thresholds THRESHOLDS = new Thresholds(0.7, 0.1, 0.5, 0.05, 50.0, Map.of("pairwise_accuracy", 0.02));

    private EvalFixtures() {
    }

    static EvalReport failing() {
        return EvalReport.of("eval_hack", SUITE, THRESHOLDS, HACKABLE, HONEST);
    }

    static EvalReport passing() {
        return EvalReport.of("eval_ok", SUITE, THRESHOLDS, HONEST, null);
    }
}
