package dev.tropism.rewards.composite;

import dev.tropism.rewards.Grader;
import dev.tropism.rewards.GraderCompiler;
import dev.tropism.rewards.GraderType;
import dev.tropism.rewards.GradingBatch;
import dev.tropism.rewards.GradingException;
import dev.tropism.rewards.Outcomes;
import dev.tropism.rewards.PerSampleGrader;
import java.util.List;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * {@code multi}: combines named sub-graders ({@code graders}, keyed) into one score, either as a
 * weighted sum ({@code weights} by key, default 1.0 each) or by a {@code formula} over the keys (see
 * {@link Formula}). A sample whose formula fails to evaluate scores {@link PerSampleGrader#FALLBACK}
 * with a {@code formula} error; a non-finite result scores it with a {@code non_finite} error.
 */
public final class MultiGrader implements Grader {

    /** How the sub-graders' scores of one sample combine into the multi grader's score. */
    sealed interface Combination permits WeightedSum, Formula {

        /** The combined score of sample {@code i}, given {@code scores[k][i]} of sub-grader k. */
        double combine(double[][] scores, int i) throws GradingException;
    }

    /** Σ_k weight_k · score_k. */
    record WeightedSum(double[] weights) implements Combination {

        @Override
        public double combine(double[][] scores, int i) {
            double total = 0;
            for (int k = 0; k < weights.length; k++) {
                total += weights[k] * scores[k][i];
            }
            return total;
        }
    }

    private final String name;
    private final List<Grader> graders;
    private final Combination combination;

    private MultiGrader(String name, List<Grader> graders, Combination combination) {
        this.name = name;
        this.graders = List.copyOf(graders);
        this.combination = combination;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public double[] score(GradingBatch batch, Outcomes out) {
        double[][] scores = new double[graders.size()][];
        for (int k = 0; k < scores.length; k++) {
            scores[k] = graders.get(k).score(batch, out);
        }
        double[] total = new double[batch.size()];
        for (int i = 0; i < total.length; i++) {
            double v;
            try {
                v = out.finite(i, name, combination.combine(scores, i), PerSampleGrader.FALLBACK);
            } catch (GradingException e) {
                out.error(i, e.kind(), name + ": " + e.getMessage());
                v = PerSampleGrader.FALLBACK;
            }
            total[i] = v;
            out.sub(i, name, v);
        }
        return total;
    }

    public static final class Type implements GraderType {

        private static final Set<String> FIELDS = Set.of("type", "name", "graders", "weights", "formula");

        @Override
        public String type() {
            return "multi";
        }

        @Override
        public Grader compile(JsonNode node, String pointer, GraderCompiler.Context ctx) {
            ctx.onlyFields(node, pointer, FIELDS);
            String name = ctx.name(node, pointer);
            boolean hasFormula = node.has("formula") && !node.get("formula").isNull();
            String text = hasFormula ? ctx.string(node, "formula", pointer) : null;
            String fp = pointer + "/formula";
            boolean hasWeights = node.has("weights") && !node.get("weights").isNull();
            if (hasFormula && hasWeights) {
                ctx.violation(fp, "give either formula or weights, not both: the formula carries its own coefficients");
            }
            List<NamedGraders.Part> parts = NamedGraders.compile(node, "graders", hasFormula ? null : "weights",
                    pointer, ctx);
            if (parts == null) {
                return null;
            }
            Combination combination;
            if (hasFormula) {
                combination = text == null ? null : Formula.compile(text, NamedGraders.keys(node, "graders"), name, fp, ctx);
            } else {
                combination = new WeightedSum(parts.stream().mapToDouble(NamedGraders.Part::weight).toArray());
            }
            if (name == null || combination == null) {
                return null;
            }
            return new MultiGrader(name, parts.stream().map(NamedGraders.Part::grader).toList(), combination);
        }
    }
}
