package dev.tropism.rewards.model;

import dev.tropism.rewards.Grader;
import dev.tropism.rewards.GraderCompiler;
import dev.tropism.rewards.GraderType;
import dev.tropism.rewards.GradingBatch;
import dev.tropism.rewards.GradingException;
import dev.tropism.rewards.Outcomes;
import dev.tropism.rewards.PerSampleGrader;
import dev.tropism.rewards.RewardModelScorer;
import dev.tropism.rewards.Template;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;

/**
 * {@code reward_model}: the scalar r(prompt ⊕ completion) of a learned Bradley–Terry reward model (a
 * {@code reward-model} of the spec's team, trained by a {@code reward_model} job; Ouyang et al. 2022,
 * eq. 1), optionally squashed by a logistic sigmoid into (0, 1).
 *
 * <p>Fields: {@code model} (required: a ready reward model of the team, checked at creation),
 * {@code prompt} (template, default {@code {{item.prompt}}}), {@code completion} (template, default
 * {@code {{sample.output_text}}}), {@code transform} ({@code none} default | {@code sigmoid}).
 *
 * <p>The whole batch is scored in one call (the model batches its forward passes). A model that cannot
 * be loaded at run time makes every sample a {@code model_unavailable} error scoring 0.
 */
public final class RewardModelGrader implements Grader {

    public static final String MODEL_UNAVAILABLE = "model_unavailable";

    private final String name;
    private final RewardModelScorer scorer;
    private final String teamId;
    private final String modelId;
    private final Template prompt;
    private final Template completion;
    private final boolean sigmoid;

    RewardModelGrader(String name, RewardModelScorer scorer, String teamId, String modelId, Template prompt,
            Template completion, boolean sigmoid) {
        this.name = name;
        this.scorer = scorer;
        this.teamId = teamId;
        this.modelId = modelId;
        this.prompt = prompt;
        this.completion = completion;
        this.sigmoid = sigmoid;
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
        List<String> prompts = new ArrayList<>(n);
        List<String> completions = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            try {
                String p = prompt.render(batch.sample(i));
                String c = completion.render(batch.sample(i));
                rows.add(i);
                prompts.add(p);
                completions.add(c);
            } catch (GradingException e) {
                out.error(i, e.kind(), name + ": " + e.getMessage());
            }
        }
        if (!rows.isEmpty()) {
            try {
                double[] r = scorer.score(teamId, modelId, prompts, completions);
                for (int j = 0; j < rows.size(); j++) {
                    double v = sigmoid ? 1.0 / (1.0 + Math.exp(-r[j])) : r[j];
                    scores[rows.get(j)] = out.finite(rows.get(j), name, v, PerSampleGrader.FALLBACK);
                }
            } catch (RuntimeException e) {
                for (int i : rows) {
                    out.error(i, MODEL_UNAVAILABLE, name + ": reward model " + modelId + " could not score: " + e.getMessage());
                }
            }
        }
        return out.record(name, scores);
    }

    /** The {@code reward_model} type: a bean, because it needs the models module's scorer. */
    @Component
    public static final class Type implements GraderType {

        private static final Set<String> FIELDS = Set.of("type", "name", "model", "prompt", "completion", "transform");

        private final RewardModelScorer scorer;

        public Type(RewardModelScorer scorer) {
            this.scorer = scorer;
        }

        @Override
        public String type() {
            return "reward_model";
        }

        @Override
        public Grader compile(JsonNode node, String pointer, GraderCompiler.Context ctx) {
            ctx.onlyFields(node, pointer, FIELDS);
            String name = ctx.name(node, pointer);
            String model = ctx.string(node, "model", pointer);
            if (model != null && ctx.teamId() == null) {
                ctx.violation(pointer + "/model", "reward models belong to a team; create the spec with a team key");
            } else if (model != null && !ctx.stored()) {
                // A stored spec was checked when it was created, and retention never deletes a checkpoint whose model
                // a stored spec names (RewardModelUsers): a model that cannot load later is a per-sample
                // model_unavailable error, not a broken spec.
                scorer.unusable(ctx.teamId(), model).ifPresent(reason -> ctx.violation(pointer + "/model", reason));
            }
            Template prompt = node.has("prompt") ? ctx.template(node, "prompt", pointer)
                    : Template.parse("{{item.prompt}}", pointer + "/prompt", ctx);
            Template completion = node.has("completion") ? ctx.template(node, "completion", pointer)
                    : Template.parse("{{sample.output_text}}", pointer + "/completion", ctx);
            boolean sigmoid = false;
            JsonNode t = node.get("transform");
            if (t != null && !t.isNull()) {
                if (t.isString() && (t.asString().equals("none") || t.asString().equals("sigmoid"))) {
                    sigmoid = t.asString().equals("sigmoid");
                } else {
                    ctx.violation(pointer + "/transform", "must be 'none' or 'sigmoid'");
                }
            }
            if (name == null || model == null || prompt == null || completion == null) {
                return null;
            }
            return new RewardModelGrader(name, scorer, ctx.teamId(), model, prompt, completion, sigmoid);
        }
    }
}
