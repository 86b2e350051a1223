package dev.tropism.rewards.model;

import dev.tropism.engine.ScoringContext.Likelihood;
import dev.tropism.rewards.Grader;
import dev.tropism.rewards.GraderCompiler;
import dev.tropism.rewards.GraderType;
import dev.tropism.rewards.GradingBatch;
import dev.tropism.rewards.GradingException;
import dev.tropism.rewards.Outcomes;
import dev.tropism.rewards.PerSampleGrader;
import dev.tropism.rewards.Sample;
import dev.tropism.rewards.Template;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * {@code likelihood}: how likely the policy itself finds the reference answer after the prompt and
 * the sample's completion, after "Likelihood-Based Reward Designs for General LLM Reasoning" (the
 * log-probability reward): a completion whose reasoning makes the reference answer more probable
 * scores higher, with no verifier.
 *
 * <pre>
 *   L(c)     = mean over reference tokens y_t of  log π(y_t | c, y_&lt;t)        (mode log_prob)
 *            = mean over reference tokens y_t of  π(y_t | c, y_&lt;t)            (mode prob)
 *   reward   = L(prompt ⊕ completion ⊕ separator)
 *            − L(prompt ⊕ separator)                                        (when debias is true)
 * </pre>
 *
 * Debiasing subtracts what the policy already expects without the completion, so that the reward
 * measures what the completion adds rather than how easy the answer is. The policy is the model being
 * trained (or sampled, in a dry-run), reached through the batch's scoring context; outside a run
 * (a spec's "try it") there is none and every sample is an {@code unsupported} error scoring 0.
 *
 * <p>Fields: {@code reference} (template, required), {@code context} (template; default
 * {@code {{item.prompt}}{{sample.output_text}}}), {@code separator} (text between context and
 * reference, default empty), {@code mode} ({@code log_prob} default | {@code prob}), {@code debias}
 * (default false; needs the default context shape, so the prompt is {@code {{item.prompt}}}).
 */
public final class LikelihoodGrader implements Grader {

    enum Mode {
        LOG_PROB, PROB
    }

    private final String name;
    private final Template context;
    private final Template prompt;
    private final Template reference;
    private final String separator;
    private final Mode mode;
    private final boolean debias;

    LikelihoodGrader(String name, Template context, Template prompt, Template reference, String separator, Mode mode,
            boolean debias) {
        this.name = name;
        this.context = context;
        this.prompt = prompt;
        this.reference = reference;
        this.separator = separator;
        this.mode = mode;
        this.debias = debias;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public double[] score(GradingBatch batch, Outcomes out) {
        int n = batch.size();
        double[] scores = new double[n];
        List<Integer> rows = new ArrayList<>(n);
        List<String> contexts = new ArrayList<>(2 * n);
        List<String> targets = new ArrayList<>(2 * n);
        List<String> bases = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Sample s = batch.sample(i);
            try {
                String ref = reference.render(s);
                String ctx = context.render(s) + separator;
                String base = debias ? prompt.render(s) + separator : null;
                rows.add(i);
                contexts.add(ctx);
                targets.add(ref);
                bases.add(base);
            } catch (GradingException e) {
                out.error(i, e.kind(), name + ": " + e.getMessage());
            }
        }
        if (debias) {
            for (int j = 0; j < rows.size(); j++) {
                contexts.add(bases.get(j));
                targets.add(targets.get(j));
            }
        }
        Likelihood[] lik = null;
        if (!rows.isEmpty()) {
            try {
                lik = batch.context().likelihoods(contexts, targets);
            } catch (UnsupportedOperationException e) {
                for (int i : rows) {
                    out.error(i, GradingException.UNSUPPORTED, name + ": " + e.getMessage());
                }
            }
        }
        if (lik != null) {
            for (int j = 0; j < rows.size(); j++) {
                int i = rows.get(j);
                if (lik[j].tokens() == 0) {
                    out.error(i, GradingException.MISSING_FIELD, name + ": the reference is empty");
                    continue;
                }
                double v = value(lik[j]);
                if (debias) {
                    v -= value(lik[rows.size() + j]);
                }
                scores[i] = out.finite(i, name, v, PerSampleGrader.FALLBACK);
            }
        }
        return out.record(name, scores);
    }

    private double value(Likelihood l) {
        return mode == Mode.LOG_PROB ? l.meanLogProb() : l.meanProb();
    }

    public static final class Type implements GraderType {

        private static final Set<String> FIELDS = Set.of("type", "name", "reference", "context", "separator", "mode",
                "debias");
        private static final String DEFAULT_PROMPT = "{{item.prompt}}";

        @Override
        public String type() {
            return "likelihood";
        }

        @Override
        public Grader compile(JsonNode node, String pointer, GraderCompiler.Context ctx) {
            ctx.onlyFields(node, pointer, FIELDS);
            String name = ctx.name(node, pointer);
            Template reference = ctx.template(node, "reference", pointer);
            Template context = node.has("context") ? ctx.template(node, "context", pointer)
                    : Template.parse(DEFAULT_PROMPT + "{{sample.output_text}}", pointer + "/context", ctx);
            Template prompt = Template.parse(DEFAULT_PROMPT, pointer + "/context", ctx);
            String separator = "";
            JsonNode sep = node.get("separator");
            if (sep != null && !sep.isNull()) {
                if (sep.isString()) {
                    separator = sep.asString();
                } else {
                    ctx.violation(pointer + "/separator", "must be a string");
                }
            }
            Mode mode = Mode.LOG_PROB;
            JsonNode m = node.get("mode");
            if (m != null && !m.isNull()) {
                mode = m.isString() && (m.asString().equals("log_prob") || m.asString().equals("prob"))
                        ? Mode.valueOf(m.asString().toUpperCase(Locale.ROOT)) : null;
                if (mode == null) {
                    ctx.violation(pointer + "/mode", "must be 'log_prob' or 'prob'");
                }
            }
            boolean debias = false;
            JsonNode d = node.get("debias");
            if (d != null && !d.isNull()) {
                if (d.isBoolean()) {
                    debias = d.asBoolean();
                } else {
                    ctx.violation(pointer + "/debias", "must be true or false");
                }
            }
            if (debias && node.has("context")) {
                ctx.violation(pointer + "/debias", "needs the default context ({{item.prompt}} followed by the output), "
                        + "so that the same context without the completion is well defined; remove 'context'");
            }
            if (name == null || reference == null || context == null || prompt == null || mode == null) {
                return null;
            }
            return new LikelihoodGrader(name, context, prompt, reference, separator, mode, debias);
        }
    }
}
