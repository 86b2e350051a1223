package dev.tropism.rewards.text;

import dev.tropism.rewards.Grader;
import dev.tropism.rewards.GraderCompiler;
import dev.tropism.rewards.GraderNumbers;
import dev.tropism.rewards.GraderType;
import dev.tropism.rewards.GradingBatch;
import dev.tropism.rewards.Outcomes;
import dev.tropism.rewards.PerSampleGrader;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * {@code checks}: partial credit over a list of named sub-checks, weighted by how rarely each check is
 * passed within the sample's group, combined with the all-pass outcome. After VeRPO (Wang et al. 2026,
 * "VeRPO: Verifiable Dense Reward Policy Optimization for Code Generation", arXiv:2601.03525): a dense
 * reward from the difficulty-weighted sum of passed unit tests, anchored to the end-to-end outcome; in
 * the spirit of pass-rate weighted unit-test rewards. The weighting below is this grader's own simple,
 * closed form, not the paper's exact estimator.
 *
 * <p>Check k passes on sample i when its score s_{k,i} ≥ {@code pass_threshold} (default 1.0). For a
 * group g of G samples answering the same item (GRPO's G completions of one prompt), with K checks:
 *
 * <pre>
 *   p_k     = (1/G) Σ_{i∈g} pass_{k,i}                 pass rate of check k in the group
 *   u_k     = (1 − p_k) + δ                             δ = {@code delta}, default 0.05
 *   w_k     = u_k / Σ_j u_j                             weights sum to 1
 *   partial = Σ_k w_k · pass_{k,i}
 *   allPass = Π_k pass_{k,i}
 *   reward  = α · allPass + (1 − α) · partial          α = {@code outcome_weight}, default 0.5
 * </pre>
 *
 * Why: under group-relative advantages (GRPO) a check that every sample passes adds the same constant
 * to everyone and carries no signal, while passing a check that few samples pass is the progress worth
 * reinforcing. Weighting by 1 − p_k puts the credit where the group still differs; without that, many
 * easy checks drown one hard check (VeRPO's "cardinality bias"). δ keeps a check that the whole group
 * passes at a small non-zero weight, so partial credit stays defined and regressions on it still cost
 * something. The all-pass term keeps the optimum at full correctness: partial credit alone can prefer
 * passing most checks over passing all.
 *
 * <p>A group of one sample (G = 1, e.g. evaluation) has no pass-rate information of its own (p_k would be
 * the sample's own pass vector), so its weights are uniform, w_k = 1/K; so are they when every u_k is 0
 * (δ = 0 and every check passed by the whole group). Each check records its own sub-reward under its
 * name; this grader records its reward under its own name. A check whose grader fails on a sample
 * (its error is reported) scores its fallback there, which fails the check.
 */
public final class ChecksGrader implements Grader {

    private final String name;
    private final List<Grader> checks;
    private final double passThreshold;
    private final double alpha;
    private final double delta;

    private ChecksGrader(String name, List<Grader> checks, double passThreshold, double alpha, double delta) {
        this.name = name;
        this.checks = List.copyOf(checks);
        this.passThreshold = passThreshold;
        this.alpha = alpha;
        this.delta = delta;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public double[] score(GradingBatch batch, Outcomes out) {
        int size = batch.size();
        int numChecks = checks.size();
        boolean[][] pass = new boolean[numChecks][size]; // (K, B)
        for (int k = 0; k < numChecks; k++) {
            double[] s = checks.get(k).score(batch, out);
            for (int i = 0; i < size; i++) {
                pass[k][i] = s[i] >= passThreshold;
            }
        }
        int groupSize = batch.groupSize();
        double[] reward = new double[size];
        double[] w = new double[numChecks];
        for (int start = 0; start < size; start += groupSize) {
            weights(pass, start, groupSize, w);
            for (int i = start; i < start + groupSize; i++) {
                double partial = 0;
                boolean allPass = true;
                for (int k = 0; k < numChecks; k++) {
                    if (pass[k][i]) {
                        partial += w[k];
                    } else {
                        allPass = false;
                    }
                }
                double r = alpha * (allPass ? 1.0 : 0.0) + (1 - alpha) * partial;
                reward[i] = out.finite(i, name, r, PerSampleGrader.FALLBACK);
                out.sub(i, name, reward[i]);
            }
        }
        return reward;
    }

    /** Fills {@code w} with the weights w_k of the group of {@code groupSize} samples at {@code start}. */
    private void weights(boolean[][] pass, int start, int groupSize, double[] w) {
        double sum = 0;
        for (int k = 0; k < w.length; k++) {
            int passed = 0;
            for (int i = start; i < start + groupSize; i++) {
                passed += pass[k][i] ? 1 : 0;
            }
            double pk = (double) passed / groupSize;
            w[k] = (1 - pk) + delta; // u_k
            sum += w[k];
        }
        for (int k = 0; k < w.length; k++) {
            w[k] = groupSize == 1 || sum == 0 ? 1.0 / w.length : w[k] / sum;
        }
    }

    public static final class Type implements GraderType {

        private static final Set<String> FIELDS = Set.of("type", "name", "checks", "pass_threshold",
                "outcome_weight", "delta");

        @Override
        public String type() {
            return "checks";
        }

        @Override
        public Grader compile(JsonNode node, String pointer, GraderCompiler.Context ctx) {
            ctx.onlyFields(node, pointer, FIELDS);
            String name = ctx.name(node, pointer);
            Double threshold = GraderNumbers.optional(node, "pass_threshold", pointer, 1.0,
                    Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY, ctx);
            Double alpha = GraderNumbers.optional(node, "outcome_weight", pointer, 0.5, 0, 1, ctx);
            Double delta = GraderNumbers.optional(node, "delta", pointer, 0.05, 0, 1, ctx);
            JsonNode list = node.get("checks");
            String cp = pointer + "/checks";
            if (list == null || !list.isArray() || list.isEmpty()) {
                ctx.violation(cp, "must be a non-empty array of graders (each check named by its grader's name)");
                return null;
            }
            List<Grader> checks = new ArrayList<>();
            for (int k = 0; k < list.size(); k++) {
                Grader g = ctx.grader(list.get(k), cp + "/" + k);
                if (g != null) {
                    checks.add(g);
                }
            }
            if (name == null || threshold == null || alpha == null || delta == null || checks.size() != list.size()) {
                return null;
            }
            return new ChecksGrader(name, checks, threshold, alpha, delta);
        }
    }
}
