package dev.tropism.catalog;

import dev.tropism.web.JsonPointers;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/** {@code multi}: the weighted sum of named sub-graders (weights default to 1.0). */
final class MultiGrader implements Grader {

    private record Weighted(Grader grader, double weight) {
    }

    private final String name;
    private final List<Weighted> parts;

    private MultiGrader(String name, List<Weighted> parts) {
        this.name = name;
        this.parts = List.copyOf(parts);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public double[] score(GradingBatch batch, Outcomes out) {
        double[] total = new double[batch.size()];
        for (Weighted w : parts) {
            double[] part = w.grader().score(batch, out);
            for (int i = 0; i < total.length; i++) {
                total[i] += w.weight() * part[i];
            }
        }
        for (int i = 0; i < total.length; i++) {
            total[i] = out.finite(i, name, total[i], PerSampleGrader.FALLBACK);
            out.sub(i, name, total[i]);
        }
        return total;
    }

    static final class Type implements GraderType {

        private static final Set<String> FIELDS = Set.of("type", "name", "graders", "weights");

        @Override
        public String type() {
            return "multi";
        }

        @Override
        public Grader compile(JsonNode node, String pointer, GraderCompiler.Context ctx) {
            ctx.onlyFields(node, pointer, FIELDS);
            String name = ctx.name(node, pointer);
            JsonNode graders = node.get("graders");
            String gp = pointer + "/graders";
            if (graders == null || !graders.isObject() || graders.isEmpty()) {
                ctx.violation(gp, "must be a non-empty object of named graders");
                return null;
            }
            JsonNode weights = node.get("weights");
            String wp = pointer + "/weights";
            if (weights != null && !weights.isNull() && !weights.isObject()) {
                ctx.violation(wp, "must be an object of numbers keyed by grader");
                weights = null;
            }
            if (weights != null) {
                for (String key : weights.propertyNames()) {
                    JsonNode w = weights.get(key);
                    if (!graders.has(key)) {
                        ctx.violation(JsonPointers.child(wp, key), "no grader named '" + key + "' in graders");
                    } else if (!w.isNumber() || !Double.isFinite(w.asDouble())) {
                        ctx.violation(JsonPointers.child(wp, key), "must be a finite number");
                    }
                }
            }
            List<Weighted> parts = new ArrayList<>();
            for (String key : graders.propertyNames()) {
                String p = JsonPointers.child(gp, key);
                Grader g = ctx.grader(graders.get(key), p);
                if (g == null) {
                    continue;
                }
                JsonNode w = weights == null ? null : weights.get(key);
                parts.add(new Weighted(g, w != null && w.isNumber() ? w.asDouble() : 1.0));
            }
            return name == null ? null : new MultiGrader(name, parts);
        }
    }
}
