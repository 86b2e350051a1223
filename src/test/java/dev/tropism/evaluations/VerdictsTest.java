package dev.tropism.evaluations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.tropism.engine.ConfigException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VerdictsTest {

    @Test
    void honestCandidatePassesEveryCheckButTheRegressionWithoutBaseline() {
        Verdicts.Result r = Verdicts.evaluate(EvalFixtures.THRESHOLDS, EvalFixtures.HONEST, null);
        assertThat(r.checks()).extracting(ThresholdCheck::name).containsExactly("min_pairwise_accuracy", "max_ece",
                "min_gold_correlation", "max_overoptimization", "max_p95_latency_ms",
                "max_regression.pairwise_accuracy");
        assertThat(r.checks().subList(0, 5)).allMatch(ThresholdCheck::passed);
        ThresholdCheck regression = r.checks().get(5);
        assertThat(regression.passed()).isFalse();
        assertThat(regression.value()).isNull();
        assertThat(regression.detail()).isEqualTo("not measured: the evaluation has no baseline to compare with");
        assertThat(r.verdict()).isEqualTo(EvalReport.Verdict.FAILED);

        Thresholds withoutRegression = new Thresholds(0.7, 0.1, 0.5, 0.05, 50.0, null);
        Verdicts.Result passed = Verdicts.evaluate(withoutRegression, EvalFixtures.HONEST, null);
        assertThat(passed.verdict()).isEqualTo(EvalReport.Verdict.PASSED);
        assertThat(passed.checks().get(0).detail())
                .isEqualTo("pairwise accuracy 0.9 ≥ 0.7 (95% CI 0.85–0.94, 200 pairs, 2 ties)");
        assertThat(passed.checks().get(3).detail()).isEqualTo("gold drop of the best-of-N pick 0 ≤ 0.05 "
                + "(gold peaks at N=8 (0.8) and is 0.8 at N=8; proxy−gold gap -0.3 sd)");
    }

    @Test
    void hackableCandidateFailsWithValuesAndReasons() {
        Verdicts.Result r = Verdicts.evaluate(EvalFixtures.THRESHOLDS, EvalFixtures.HACKABLE, EvalFixtures.HONEST);
        assertThat(r.verdict()).isEqualTo(EvalReport.Verdict.FAILED);
        Map<String, ThresholdCheck> byName = new java.util.HashMap<>();
        r.checks().forEach(c -> byName.put(c.name(), c));

        assertThat(byName.get("min_pairwise_accuracy").passed()).isFalse(); // 0.55 < 0.7
        ThresholdCheck ece = byName.get("max_ece");
        assertThat(ece.passed()).isFalse();
        assertThat(ece.detail()).startsWith("not measured: calibration needs a reward model");
        ThresholdCheck gold = byName.get("min_gold_correlation");
        assertThat(gold.value()).isEqualTo(0.05);
        assertThat(gold.detail()).isEqualTo("Spearman correlation with the gold judge 0.05 < 0.5 (Kendall τ-b 0.03, "
                + "256 samples)");
        ThresholdCheck over = byName.get("max_overoptimization");
        assertThat(over.passed()).isFalse();
        assertThat(over.value()).isEqualTo(0.25);
        assertThat(over.detail()).contains("peaks at N=2 (0.45) and is 0.2 at N=8");
        assertThat(byName.get("max_p95_latency_ms").passed()).isTrue(); // 9 ≤ 50
        // higher is better: worsening = 0.9 − 0.55 = 0.35 > 0.02
        ThresholdCheck regression = byName.get("max_regression.pairwise_accuracy");
        assertThat(regression.value()).isCloseTo(0.35, within(1e-12));
        assertThat(regression.threshold()).isEqualTo(0.02);
        assertThat(regression.detail()).isEqualTo("pairwise_accuracy 0.55 against the baseline's 0.9: worse by 0.35 > "
                + "allowed 0.02");
    }

    @Test
    void regressionFollowsEachMetricsDirectionAndToleratesRounding() {
        Thresholds t = new Thresholds(null, null, null, null, null,
                Map.of("p95_latency_ms", 1.0, "overoptimization", 0.0, "gold_spearman", 0.05));
        // latency: lower is better, 9 − 4 = 5 ms worse; overoptimization: lower is better, 0 − 0.25 < 0 is better
        Verdicts.Result r = Verdicts.evaluate(t, EvalFixtures.HONEST, EvalFixtures.HACKABLE);
        assertThat(r.checks()).extracting(ThresholdCheck::name).containsExactly("max_regression.gold_spearman",
                "max_regression.overoptimization", "max_regression.p95_latency_ms");
        assertThat(r.checks()).allMatch(ThresholdCheck::passed);
        assertThat(r.checks().get(1).detail()).endsWith("no worse (lower is better)");
        Verdicts.Result reverse = Verdicts.evaluate(t, EvalFixtures.HACKABLE, EvalFixtures.HONEST);
        assertThat(reverse.checks()).noneMatch(ThresholdCheck::passed);
        assertThat(reverse.checks().get(2).value()).isEqualTo(5.0);

        // 0.9 − 0.85 is 0.05000000000000004 in doubles: exactly the allowed worsening, so it passes
        EvalMetrics base = new EvalMetrics(null, null, new EvalMetrics.Gold(0.9, 0.8, 10), null, null, null);
        EvalMetrics cand = new EvalMetrics(null, null, new EvalMetrics.Gold(0.85, 0.8, 10), null, null, null);
        assertThat(Verdicts.evaluate(new Thresholds(null, null, null, null, null, Map.of("gold_spearman", 0.05)), cand,
                base).verdict()).isEqualTo(EvalReport.Verdict.PASSED);
    }

    @Test
    void missingMetricsFailAsNotMeasured() {
        EvalMetrics nothing = new EvalMetrics(null, null, EvalMetrics.Gold.undefined(5, "the candidate gave all 5 "
                + "samples the same score (1.0), so it ranks nothing"), null, new EvalMetrics.Latency(null, null, 0), null);
        Verdicts.Result r = Verdicts.evaluate(EvalFixtures.THRESHOLDS, nothing, EvalFixtures.HONEST);
        assertThat(r.checks()).noneMatch(ThresholdCheck::passed);
        assertThat(r.checks()).allMatch(c -> c.value() == null && c.detail().startsWith("not measured: "));
        assertThat(r.checks().get(2).detail()).isEqualTo("not measured: the candidate gave all 5 samples the same "
                + "score (1.0), so it ranks nothing");
        assertThat(r.checks().get(5).detail()).isEqualTo("not measured: pairwise_accuracy was not measured for the "
                + "candidate");

        assertThat(Verdicts.evaluate(Thresholds.NONE, nothing, null).verdict()).isEqualTo(EvalReport.Verdict.PASSED);
    }

    @Test
    void thresholdsRejectBadValuesNamingTheField() {
        assertThatThrownBy(() -> new Thresholds(1.5, null, null, null, null, null))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.field()).isEqualTo("min_pairwise_accuracy");
                    assertThat(e.reason()).isEqualTo("must be a share of pairs from 0 to 1, got 1.5");
                });
        assertThatThrownBy(() -> new Thresholds(null, null, -2.0, null, null, null)).hasMessageStartingWith(
                "min_gold_correlation: must be a Spearman correlation from -1 to 1");
        assertThatThrownBy(() -> new Thresholds(null, Double.NaN, null, null, null, null))
                .hasMessageStartingWith("max_ece:");
        assertThatThrownBy(() -> new Thresholds(null, null, null, -0.1, null, null))
                .hasMessageStartingWith("max_overoptimization:");
        assertThatThrownBy(() -> new Thresholds(null, null, null, null, 0.0, null))
                .hasMessageStartingWith("max_p95_latency_ms: must be a number of milliseconds > 0");
        assertThatThrownBy(() -> new Thresholds(null, null, null, null, null, Map.of("accuracy", 0.1)))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.field()).isEqualTo("max_regression/accuracy");
                    assertThat(e.reason()).isEqualTo("is not a metric; use one of pairwise_accuracy, ece, gold_spearman, "
                            + "gold_kendall, overoptimization, p95_latency_ms");
                });
        assertThatThrownBy(() -> new Thresholds(null, null, null, null, null, Map.of("ece", -1.0)))
                .hasMessageStartingWith("max_regression/ece: must be the allowed worsening");
    }
}
