package dev.tropism.rewards.composite;

import dev.tropism.engine.ScoringContext;
import dev.tropism.rewards.Grader;
import dev.tropism.rewards.GraderCompiler;
import dev.tropism.rewards.GraderType;
import dev.tropism.rewards.GradingBatch;
import dev.tropism.rewards.GradingException;
import dev.tropism.rewards.Outcomes;
import dev.tropism.rewards.PerSampleGrader;
import dev.tropism.rewards.Sample;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * {@code shaped}: Preference As Reward (PAR; Fu et al. 2025, "Reward Shaping to Mitigate Reward
 * Hacking in RLHF", eq. 3), which bounds a proxy reward by comparing it with the rewards of reference
 * completions sampled from the base (reference) model for the same prompt:
 *
 * <pre>
 *   par:       r_PAR      = (1/M) Σ_m σ(k · (r − r_ref,m))
 *   centered:  r_centered = σ(k · (r − (1/M) Σ_m r_ref,m))
 * </pre>
 *
 * where r is the inner grader's score of the sample, r_ref,m its score of the m-th reference
 * completion and σ the logistic sigmoid. Both lie in (0, 1) and are steepest where the policy's
 * sample is about as good as the reference (the paper's two design principles: the RL reward should
 * be bounded, and it should grow fast at first and converge slowly); {@code centered} is the plain
 * "subtract the reference reward, then squash" baseline the paper compares PAR with.
 *
 * <p>Reference completions come from the batch's scoring context (the frozen base model of the run,
 * cached per prompt); outside a run there is none and every sample is an {@code unsupported} error
 * scoring 0. The inner grader's own sub-reward is recorded as usual; its errors on reference
 * completions are not reported (they only lower r_ref).
 *
 * <p>Fields: {@code grader} (the inner grader, required), {@code variant} ({@code par} default |
 * {@code centered}), {@code references} M (1–16, default 4), {@code k} (sigmoid steepness, finite and
 * positive, default 1.0).
 */
public final class ShapedGrader implements Grader {

    private final String name;
    private final Grader inner;
    private final boolean centered;
    private final int references;
    private final double k;

    ShapedGrader(String name, Grader inner, boolean centered, int references, double k) {
        this.name = name;
        this.inner = inner;
        this.centered = centered;
        this.references = references;
        this.k = k;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public double[] score(GradingBatch batch, Outcomes out) {
        int n = batch.size();
        int g = batch.groupSize();
        double[] r = inner.score(batch, out);
        double[] scores = new double[n];
        double[][] ref = referenceRewards(batch, out);
        for (int i = 0; ref != null && i < n; i++) {
            double[] rr = ref[batch.group(i)];
            double v;
            if (centered) {
                double mean = 0;
                for (double x : rr) {
                    mean += x / rr.length;
                }
                v = sigmoid(k * (r[i] - mean));
            } else {
                v = 0;
                for (double x : rr) {
                    v += sigmoid(k * (r[i] - x)) / rr.length;
                }
            }
            scores[i] = out.finite(i, name, v, PerSampleGrader.FALLBACK);
        }
        return out.record(name, scores);
    }

    /** r_ref per group: M reference completions of the group's item, scored by the inner grader. */
    private double[][] referenceRewards(GradingBatch batch, Outcomes out) {
        int groups = batch.size() / batch.groupSize();
        List<Map<String, Object>> items = new ArrayList<>(groups * references);
        List<String> outputs = new ArrayList<>(groups * references);
        try {
            for (int gi = 0; gi < groups; gi++) {
                Map<String, Object> item = batch.sample(gi * batch.groupSize()).item();
                List<String> completions = batch.context().referenceCompletions(item, references);
                items.addAll(Collections.nCopies(references, item));
                outputs.addAll(completions.subList(0, references));
            }
        } catch (UnsupportedOperationException e) {
            for (int i = 0; i < batch.size(); i++) {
                out.error(i, GradingException.UNSUPPORTED, name + ": " + e.getMessage());
            }
            return null;
        }
        Sample[] samples = new Sample[items.size()];
        for (int j = 0; j < samples.length; j++) {
            samples[j] = new Sample(items.get(j), outputs.get(j));
        }
        GradingBatch refBatch = new GradingBatch(samples, references, batch.context());
        double[] flat = inner.score(refBatch, new Outcomes(samples.length));
        double[][] ref = new double[groups][references];
        for (int j = 0; j < flat.length; j++) {
            ref[j / references][j % references] = flat[j];
        }
        return ref;
    }

    private static double sigmoid(double x) {
        return 1.0 / (1.0 + Math.exp(-x));
    }

    public static final class Type implements GraderType {

        private static final Set<String> FIELDS = Set.of("type", "name", "grader", "variant", "references", "k");

        @Override
        public String type() {
            return "shaped";
        }

        @Override
        public Grader compile(JsonNode node, String pointer, GraderCompiler.Context ctx) {
            ctx.onlyFields(node, pointer, FIELDS);
            String name = ctx.name(node, pointer);
            Grader inner = ctx.grader(node.get("grader"), pointer + "/grader");
            boolean centered = false;
            JsonNode variant = node.get("variant");
            if (variant != null && !variant.isNull()) {
                if (variant.isString() && (variant.asString().equals("par") || variant.asString().equals("centered"))) {
                    centered = variant.asString().equals("centered");
                } else {
                    ctx.violation(pointer + "/variant", "must be 'par' or 'centered'");
                }
            }
            int references = 4;
            JsonNode m = node.get("references");
            if (m != null && !m.isNull()) {
                if (m.isIntegralNumber() && m.canConvertToInt() && m.asInt() >= 1 && m.asInt() <= 16) {
                    references = m.asInt();
                } else {
                    ctx.violation(pointer + "/references", "must be an integer from 1 to 16");
                }
            }
            double k = 1.0;
            JsonNode kn = node.get("k");
            if (kn != null && !kn.isNull()) {
                if (kn.isNumber() && Double.isFinite(kn.asDouble()) && kn.asDouble() > 0) {
                    k = kn.asDouble();
                } else {
                    ctx.violation(pointer + "/k", "must be a finite number greater than 0");
                }
            }
            return name == null || inner == null ? null : new ShapedGrader(name, inner, centered, references, k);
        }
    }
}
