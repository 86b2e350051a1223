package dev.tropism.evaluations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.json.JsonMapper;

/** The report serializes to the brief's JSON with the application's snake_case naming, and reads back. */
class EvalReportJsonTest {

    static final JsonMapper JSON = JsonMapper.builder().propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .build();

    @Test
    void reportIsTheContractsJson() {
        EvalReport report = EvalFixtures.failing();
        JsonNode json = JSON.readTree(JSON.writeValueAsString(report));
        assertThat(json.propertyNames()).containsExactly("evaluation", "suite", "verdict", "checks", "candidate",
                "baseline", "deltas");
        assertThat(json.get("verdict").asString()).isEqualTo("failed");
        assertThat(json.get("suite").toString()).isEqualTo("{\"id\":\"suite_1\",\"name\":\"arith-gate\",\"version\":3}");
        assertThat(json.get("checks").get(0).propertyNames()).containsExactly("name", "threshold", "value", "passed",
                "detail");
        JsonNode candidate = json.get("candidate");
        assertThat(candidate.propertyNames()).containsExactly("pairwise", "ece", "gold", "overoptimization",
                "latency_ms", "errors");
        assertThat(candidate.get("pairwise").propertyNames()).containsExactly("accuracy", "ci_low", "ci_high", "pairs",
                "ties");
        assertThat(candidate.get("ece").isNull()).isTrue();
        assertThat(candidate.get("gold").propertyNames()).containsExactly("spearman", "kendall", "samples");
        assertThat(candidate.get("overoptimization").propertyNames()).containsExactly("n", "proxy", "gold",
                "gold_peak_n", "drop", "proxy_gold_gap");
        assertThat(candidate.get("latency_ms").propertyNames()).containsExactly("p50", "p95", "samples");
        assertThat(candidate.get("errors").get("timeout").asInt()).isEqualTo(2);
        assertThat(json.get("deltas").propertyNames()).containsExactly("pairwise_accuracy", "gold_spearman",
                "gold_kendall", "overoptimization", "p95_latency_ms"); // no ece: the spec candidate has none
        assertThat(json.get("deltas").get("p95_latency_ms").asDouble()).isEqualTo(5.0);

        assertThat(JSON.readValue(JSON.writeValueAsString(report), EvalReport.class)).isEqualTo(report);
    }

    @Test
    void undefinedCorrelationIsNullWithItsReason() {
        EvalMetrics.Gold g = GoldCorrelation.measure(new double[] {1, 1}, new double[] {0, 1});
        JsonNode json = JSON.readTree(JSON.writeValueAsString(g));
        assertThat(json.get("spearman").isNull()).isTrue();
        assertThat(json.get("kendall").isNull()).isTrue();
        assertThat(json.get("undefined_reason").asString()).contains("same score");
    }

    @Test
    void flatMetricsAndDirections() {
        assertThat(EvalFixtures.HONEST.flat()).containsExactly(Map.entry("pairwise_accuracy", 0.9), Map.entry("ece", 0.04),
                Map.entry("gold_spearman", 0.82), Map.entry("gold_kendall", 0.66), Map.entry("overoptimization", 0.0),
                Map.entry("p95_latency_ms", 4.0));
        EvalMetrics partial = new EvalMetrics(null, null, null, null, new EvalMetrics.Latency(null, null, 0), null);
        assertThat(partial.flat()).isEmpty();
        assertThat(partial.errors()).isEmpty();
        assertThat(EvalMetrics.higherIsBetter("pairwise_accuracy")).isTrue();
        assertThat(EvalMetrics.higherIsBetter("gold_kendall")).isTrue();
        assertThat(EvalMetrics.higherIsBetter("ece")).isFalse();
        assertThat(EvalMetrics.higherIsBetter("overoptimization")).isFalse();
        assertThat(EvalMetrics.higherIsBetter("p95_latency_ms")).isFalse();
        assertThatThrownBy(() -> EvalMetrics.higherIsBetter("accuracy")).hasMessageContaining("unknown metric");

        Map<String, Double> deltas = EvalReport.deltas(EvalFixtures.HACKABLE, EvalFixtures.HONEST);
        assertThat(deltas.get("pairwise_accuracy")).isCloseTo(-0.35, within(1e-12));
        assertThat(deltas.get("overoptimization")).isEqualTo(0.25);
        assertThat(EvalReport.deltas(EvalFixtures.HONEST, null)).isEmpty();
        assertThat(new EvalMetrics.Overoptimization(List.of(1, 2), List.of(0.0, 1.0), List.of(0.0, 1.0), 2, 0, 0)
                .maxN()).isEqualTo(2);
    }
}
