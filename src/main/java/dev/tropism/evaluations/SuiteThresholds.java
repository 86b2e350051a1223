package dev.tropism.evaluations;

import dev.tropism.web.Violation;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Validates a suite's {@code thresholds} object against what the suite can measure, field by field, and returns
 * it normalized (only the given thresholds, as numbers).
 */
final class SuiteThresholds {

    /** The flat metrics a {@code max_regression} entry may name, and what each needs. */
    static final Map<String, String> REGRESSION_METRICS = Map.of(
            "pairwise_accuracy", "preferences",
            "ece", "preferences",
            "gold_spearman", "prompts",
            "gold_kendall", "prompts",
            "overoptimization", "prompts",
            "p95_latency_ms", "");
    private static final List<String> FIELDS = List.of("min_pairwise_accuracy", "max_ece", "min_gold_correlation",
            "max_overoptimization", "max_p95_latency_ms", "max_regression");

    private SuiteThresholds() {
    }

    /**
     * The normalized thresholds ({@code {}} when {@code node} is null).
     *
     * @param hasPreferences whether the suite has held-out pairs
     * @param hasPrompts whether the suite samples a policy on prompts
     * @param hasBaseline whether the suite names a baseline
     */
    static ObjectNode parse(JsonNode node, boolean hasPreferences, boolean hasPrompts, boolean hasBaseline,
            List<Violation> violations, JsonMapper json) {
        ObjectNode out = json.createObjectNode();
        if (node == null) {
            return out;
        }
        RequestFields f = RequestFields.of(node, "/thresholds", FIELDS, violations);
        put(out, "min_pairwise_accuracy", f.number("min_pairwise_accuracy", 0, false, 1));
        put(out, "max_ece", f.number("max_ece", 0, false, 1));
        put(out, "min_gold_correlation", f.number("min_gold_correlation", -1, false, 1));
        put(out, "max_overoptimization", f.number("max_overoptimization", 0, false, Double.MAX_VALUE));
        put(out, "max_p95_latency_ms", f.number("max_p95_latency_ms", 0, true, Double.MAX_VALUE));
        needs(f, "min_pairwise_accuracy", hasPreferences, "preferences", violations);
        needs(f, "max_ece", hasPreferences, "preferences", violations);
        needs(f, "min_gold_correlation", hasPrompts, "prompts", violations);
        needs(f, "max_overoptimization", hasPrompts, "prompts", violations);
        if (f.has("max_regression")) {
            ObjectNode regression = out.putObject("max_regression");
            if (!hasBaseline) {
                violations.add(new Violation("/thresholds/max_regression", "needs a baseline to compare with"));
            }
            RequestFields r = RequestFields.of(f.node("max_regression"), "/thresholds/max_regression",
                    new ArrayList<>(new TreeSet<>(REGRESSION_METRICS.keySet())), violations);
            for (String metric : new TreeSet<>(REGRESSION_METRICS.keySet())) {
                Double allowed = r.number(metric, 0, false, Double.MAX_VALUE);
                if (allowed != null) {
                    regression.put(metric, allowed);
                }
                String need = REGRESSION_METRICS.get(metric);
                boolean measurable = switch (need) {
                    case "preferences" -> hasPreferences;
                    case "prompts" -> hasPrompts;
                    default -> true;
                };
                needs(r, metric, measurable, need, violations);
            }
        }
        return out;
    }

    private static void put(ObjectNode out, String field, Double value) {
        if (value != null) {
            out.put(field, value);
        }
    }

    private static void needs(RequestFields f, String field, boolean has, String what, List<Violation> violations) {
        if (f.has(field) && !has) {
            violations.add(new Violation(f.pointer(field), "needs " + what + ": this suite cannot measure it"));
        }
    }
}
