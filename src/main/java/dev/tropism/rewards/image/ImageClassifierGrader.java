package dev.tropism.rewards.image;

import dev.tropism.engine.flow.ImageClassifier;
import dev.tropism.rewards.Grader;
import dev.tropism.rewards.GraderCompiler;
import dev.tropism.rewards.GraderOptions;
import dev.tropism.rewards.GraderType;
import dev.tropism.rewards.GradingBatch;
import dev.tropism.rewards.GradingException;
import dev.tropism.rewards.ImageClassifierScorer;
import dev.tropism.rewards.Outcomes;
import dev.tropism.rewards.PerSampleGrader;
import dev.tropism.rewards.Sample;
import dev.tropism.rewards.Template;
import dev.tropism.rewards.model.RewardModelGrader;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;

/**
 * The graders backed by a team's stored {@code image-classifier} model, for image samples:
 * <ul>
 *   <li>{@code classifier}: p(class | image) under the classifier (or its log, floored at
 *       {@link #MIN_PROBABILITY} so that it stays finite);</li>
 *   <li>{@code reference_similarity}: the mean cosine similarity of the image's classifier features to the
 *       class's stored reference features ({@link ImageClassifier#referenceSimilarity}), a fixed-feature
 *       variant of "The Image as Its Own Reward" (arXiv:2511.20256), which trains an adversarial reward
 *       from reference images instead.</li>
 * </ul>
 * Fields: {@code model} (required: a ready image classifier of the team, checked at creation), {@code class}
 * (template of the class name, default {@code {{item.prompt}}}), {@code name} (default the type) and, for
 * {@code classifier}, {@code output} ({@code probability} default | {@code log_probability}).
 *
 * <p>The batch's images go through the classifier in one call. Per-sample errors: a text sample is
 * {@code unsupported}; a class the classifier does not know is {@code unknown_class}; an image of another
 * size than the classifier's is {@code unsupported}; a classifier that cannot be loaded makes every sample
 * {@code model_unavailable}.
 */
final class ImageClassifierGrader implements Grader {

    static final String UNKNOWN_CLASS = "unknown_class";
    static final double MIN_PROBABILITY = 1e-12;

    enum Output {
        PROBABILITY, LOG_PROBABILITY, REFERENCE_SIMILARITY
    }

    private final String name;
    private final ImageClassifierScorer scorer;
    private final String teamId;
    private final String modelId;
    private final Template className;
    private final Output output;

    ImageClassifierGrader(String name, ImageClassifierScorer scorer, String teamId, String modelId,
            Template className, Output output) {
        this.name = name;
        this.scorer = scorer;
        this.teamId = teamId;
        this.modelId = modelId;
        this.className = className;
        this.output = output;
    }

    @Override
    public String name() {
        return name;
    }

    /** One sample to classify: its batch index, image and rendered class name. */
    private record Row(int index, float[] image, int side, String className) {
    }

    /** The classifier's answer per row: a score, or an error kind and message. */
    private record Scored(double[] scores, String[] errorKinds, String[] errors) {
    }

    @Override
    public double[] score(GradingBatch batch, Outcomes out) {
        int n = batch.size();
        double[] scores = new double[n];
        List<Row> rows = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Sample s = batch.sample(i);
            try {
                if (s.image() == null) {
                    throw ImageStatGrader.unsupported();
                }
                rows.add(new Row(i, s.image(), s.imageSide(), className.render(s)));
            } catch (GradingException e) {
                out.error(i, e.kind(), name + ": " + e.getMessage());
            }
        }
        if (rows.isEmpty()) {
            return out.record(name, scores);
        }
        Scored scored;
        try {
            scored = scorer.apply(teamId, modelId, c -> classify(c, rows));
        } catch (RuntimeException e) {
            for (Row r : rows) {
                out.error(r.index(), RewardModelGrader.MODEL_UNAVAILABLE, name + ": image classifier " + modelId
                        + " could not score: " + e.getMessage());
            }
            return out.record(name, scores);
        }
        for (int j = 0; j < rows.size(); j++) {
            int i = rows.get(j).index();
            if (scored.errorKinds()[j] != null) {
                out.error(i, scored.errorKinds()[j], name + ": " + scored.errors()[j]);
            } else {
                scores[i] = out.finite(i, name, scored.scores()[j], PerSampleGrader.FALLBACK);
            }
        }
        return out.record(name, scores);
    }

    /** Checks every row against the classifier, then scores the valid ones in one batched call. */
    private Scored classify(ImageClassifier c, List<Row> rows) {
        int m = rows.size();
        double[] scores = new double[m];
        String[] kinds = new String[m];
        String[] errors = new String[m];
        List<Integer> valid = new ArrayList<>(m);
        for (int j = 0; j < m; j++) {
            Row r = rows.get(j);
            if (r.side() != c.imageSize()) {
                kinds[j] = GradingException.UNSUPPORTED;
                errors[j] = "image classifier " + modelId + " takes " + c.imageSize() + "×" + c.imageSize()
                        + " images, this one is " + r.side() + "×" + r.side();
            } else if (c.classes().indexOf(r.className()) < 0) {
                kinds[j] = UNKNOWN_CLASS;
                errors[j] = "image classifier " + modelId + " has no class '" + abbreviate(r.className())
                        + "'; its classes are " + c.classes();
            } else {
                valid.add(j);
            }
        }
        if (valid.isEmpty()) {
            return new Scored(scores, kinds, errors);
        }
        float[][] images = new float[valid.size()][];
        int[] classIndex = new int[valid.size()];
        for (int k = 0; k < images.length; k++) {
            Row r = rows.get(valid.get(k));
            images[k] = r.image();
            classIndex[k] = c.classes().indexOf(r.className());
        }
        if (output == Output.REFERENCE_SIMILARITY) {
            double[] similarity = c.referenceSimilarity(images, classIndex);
            for (int k = 0; k < images.length; k++) {
                scores[valid.get(k)] = similarity[k];
            }
        } else {
            float[][] p = c.probabilities(images);
            for (int k = 0; k < images.length; k++) {
                double pk = p[k][classIndex[k]];
                scores[valid.get(k)] = output == Output.PROBABILITY ? pk : Math.log(Math.max(pk, MIN_PROBABILITY));
            }
        }
        return new Scored(scores, kinds, errors);
    }

    private static String abbreviate(String s) {
        return s.length() <= 64 ? s : s.substring(0, 64) + "…";
    }

    /** Fields and checks shared by both types. */
    abstract static class BaseType implements GraderType {

        private final ImageClassifierScorer scorer;

        BaseType(ImageClassifierScorer scorer) {
            this.scorer = scorer;
        }

        abstract Set<String> fields();

        /** The output, or null (with a violation). */
        abstract Output output(JsonNode node, String pointer, GraderCompiler.Context ctx);

        @Override
        public Grader compile(JsonNode node, String pointer, GraderCompiler.Context ctx) {
            ctx.onlyFields(node, pointer, fields());
            String name = ctx.name(node, pointer, type());
            String model = ctx.string(node, "model", pointer);
            if (model != null && ctx.teamId() == null) {
                ctx.violation(pointer + "/model", "image classifiers belong to a team; create the spec with a team key");
            } else if (model != null && !ctx.stored()) {
                // As reward_model: checked at creation only; a stored spec whose model cannot load scores
                // model_unavailable per sample.
                scorer.unusable(ctx.teamId(), model).ifPresent(reason -> ctx.violation(pointer + "/model", reason));
            }
            Template className = GraderOptions.template(ctx, node, "class", pointer, "{{item.prompt}}");
            Output output = output(node, pointer, ctx);
            if (name == null || model == null || className == null || output == null) {
                return null;
            }
            return new ImageClassifierGrader(name, scorer, ctx.teamId(), model, className, output);
        }
    }

    /** {@code classifier}: a bean, because it needs the models module's classifiers. */
    @Component
    static final class ClassifierType extends BaseType {

        private static final Set<String> FIELDS = Set.of("type", "name", "model", "class", "output");

        ClassifierType(ImageClassifierScorer scorer) {
            super(scorer);
        }

        @Override
        public String type() {
            return "classifier";
        }

        @Override
        Set<String> fields() {
            return FIELDS;
        }

        @Override
        Output output(JsonNode node, String pointer, GraderCompiler.Context ctx) {
            JsonNode v = node.get("output");
            if (v == null || v.isNull()) {
                return Output.PROBABILITY;
            }
            if (v.isString() && (v.asString().equals("probability") || v.asString().equals("log_probability"))) {
                return v.asString().equals("probability") ? Output.PROBABILITY : Output.LOG_PROBABILITY;
            }
            ctx.violation(pointer + "/output", "must be 'probability' or 'log_probability'");
            return null;
        }
    }

    /** {@code reference_similarity}: a bean, like {@link ClassifierType}. */
    @Component
    static final class ReferenceSimilarityType extends BaseType {

        private static final Set<String> FIELDS = Set.of("type", "name", "model", "class");

        ReferenceSimilarityType(ImageClassifierScorer scorer) {
            super(scorer);
        }

        @Override
        public String type() {
            return "reference_similarity";
        }

        @Override
        Set<String> fields() {
            return FIELDS;
        }

        @Override
        Output output(JsonNode node, String pointer, GraderCompiler.Context ctx) {
            return Output.REFERENCE_SIMILARITY;
        }
    }
}
