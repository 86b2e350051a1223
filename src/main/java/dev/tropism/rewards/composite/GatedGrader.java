package dev.tropism.rewards.composite;

import dev.tropism.rewards.Grader;
import dev.tropism.rewards.GraderCompiler;
import dev.tropism.rewards.GraderNumbers;
import dev.tropism.rewards.GraderType;
import dev.tropism.rewards.GradingBatch;
import dev.tropism.rewards.Outcomes;
import dev.tropism.rewards.PerSampleGrader;
import java.util.List;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * {@code gated}: Gated Reward Accumulation (G-RA; Sun, Li, Chen, Qin &amp; Hu 2025, "Stabilizing
 * Long-term Multi-turn Reinforcement Learning with Gated Rewards", arXiv:2508.10548). Dense, immediate
 * rewards accumulate only when the higher-priority outcome reward meets a threshold:
 *
 * <pre>
 *   reward = o + 1[o ≥ τ] · Σ_k w_k · d_k
 * </pre>
 *
 * with o the {@code outcome} grader's score, τ = {@code threshold} (default 1.0), d_k the score of dense
 * grader k ({@code dense}, keyed) and w_k its weight ({@code weights} by key, default 1.0). The paper
 * gates step rewards of a multi-turn agent on the long-term reward so that a policy cannot farm
 * shaping terms (format, style, partial progress) while failing the task, the reward hacking that
 * ungated sums invite; here the gate is per sample and the outcome is itself a grader.
 *
 * <p>Dense graders score every sample, gate open or not, so their sub-rewards ({@code <name>} of each)
 * are logged for all samples; this grader records its reward under its own name.
 */
public final class GatedGrader implements Grader {

    private final String name;
    private final Grader outcome;
    private final double tau;
    private final List<NamedGraders.Part> dense;

    private GatedGrader(String name, Grader outcome, double tau, List<NamedGraders.Part> dense) {
        this.name = name;
        this.outcome = outcome;
        this.tau = tau;
        this.dense = List.copyOf(dense);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public double[] score(GradingBatch batch, Outcomes out) {
        double[] o = outcome.score(batch, out);
        double[] accumulated = new double[batch.size()];
        for (NamedGraders.Part d : dense) {
            double[] dk = d.grader().score(batch, out);
            for (int i = 0; i < dk.length; i++) {
                accumulated[i] += d.weight() * dk[i];
            }
        }
        double[] reward = new double[batch.size()];
        for (int i = 0; i < reward.length; i++) {
            double r = o[i] + (o[i] >= tau ? accumulated[i] : 0.0); // the gate 1[o ≥ τ]
            reward[i] = out.finite(i, name, r, PerSampleGrader.FALLBACK);
            out.sub(i, name, reward[i]);
        }
        return reward;
    }

    public static final class Type implements GraderType {

        private static final Set<String> FIELDS = Set.of("type", "name", "outcome", "threshold", "dense", "weights");

        @Override
        public String type() {
            return "gated";
        }

        @Override
        public Grader compile(JsonNode node, String pointer, GraderCompiler.Context ctx) {
            ctx.onlyFields(node, pointer, FIELDS);
            String name = ctx.name(node, pointer);
            Double tau = GraderNumbers.optional(node, "threshold", pointer, 1.0,
                    Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY, ctx);
            Grader outcome = ctx.grader(node.get("outcome"), pointer + "/outcome");
            List<NamedGraders.Part> dense = NamedGraders.compile(node, "dense", "weights", pointer, ctx);
            if (name == null || tau == null || outcome == null || dense == null) {
                return null;
            }
            return new GatedGrader(name, outcome, tau, dense);
        }
    }
}
