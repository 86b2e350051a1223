package dev.tropism.rewards.text;

import dev.tropism.rewards.Grader;
import dev.tropism.rewards.GraderCompiler;
import dev.tropism.rewards.GraderNumbers;
import dev.tropism.rewards.GraderType;
import dev.tropism.rewards.GradingBatch;
import dev.tropism.rewards.GradingException;
import dev.tropism.rewards.Outcomes;
import dev.tropism.rewards.PerSampleGrader;
import dev.tropism.rewards.Regexes;
import dev.tropism.rewards.Sample;
import dev.tropism.rewards.Template;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;

/**
 * {@code text_similarity}: how similar the rendered {@code input} (default {@code {{sample.output_text}}})
 * is to the rendered {@code reference}, in [0, 1], by one {@link Metric}. Identical texts score 1 under
 * every metric. With {@code pass_threshold} τ the grader's score is 1 when similarity ≥ τ and 0
 * otherwise, while its sub-reward {@code <name>} stays the raw similarity (so
 * {@code train/reward/<name>/mean} shows progress below the threshold). After OpenAI's
 * {@code text_similarity} grader, with metrics defined in the classes named below.
 */
public final class TextSimilarityGrader extends PerSampleGrader {

    /** Whitespace in the Unicode sense (spaces, tabs, newlines, no-break and ideographic spaces). */
    private static final Pattern WHITESPACE = Pattern.compile("\\s+", Pattern.UNICODE_CHARACTER_CLASS);

    /** The similarity measures. Token metrics split on whitespace and compare tokens exactly. */
    enum Metric {
        /** 1 − Levenshtein distance / longer length, in code points ({@link FuzzyRatio}). */
        FUZZY_RATIO,
        /** Sentence BLEU-4 over whitespace tokens, smoothed ({@link SentenceBleu}). */
        BLEU,
        /** ROUGE-L F1 over whitespace tokens ({@link RougeL}). */
        ROUGE_L,
        /** Cosine of character n-gram counts ({@link CharNgramCosine}). */
        CHAR_NGRAM_COSINE;

        double similarity(String input, String reference, int n) {
            return switch (this) {
                case FUZZY_RATIO -> FuzzyRatio.ratio(input, reference);
                case BLEU -> SentenceBleu.score(tokens(input), tokens(reference));
                case ROUGE_L -> RougeL.f1(tokens(input), tokens(reference));
                case CHAR_NGRAM_COSINE -> CharNgramCosine.cosine(input, reference, n);
            };
        }

        String key() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Metric of(String key) {
            return Arrays.stream(values()).filter(m -> m.key().equals(key)).findFirst().orElse(null);
        }
    }

    private final Template input;
    private final Template reference;
    private final Metric metric;
    private final int n;

    private TextSimilarityGrader(String name, Template input, Template reference, Metric metric, int n) {
        super(name);
        this.input = input;
        this.reference = reference;
        this.metric = metric;
        this.n = n;
    }

    static List<String> tokens(String text) {
        String t = text.strip();
        return t.isEmpty() ? List.of() : Arrays.asList(WHITESPACE.split(t));
    }

    /**
     * Longest text compared, in chars. Levenshtein and the LCS of ROUGE-L cost time proportional to the
     * product of both lengths: 10,000 × 10,000 is about 0.1 s, and unbounded texts could pin a worker.
     */
    static final int MAX_CHARS = 10_000;

    @Override
    protected double scoreOne(Sample sample) throws GradingException {
        String a = input.render(sample);
        String b = reference.render(sample);
        if (a.length() > MAX_CHARS || b.length() > MAX_CHARS) {
            throw new GradingException(Regexes.INPUT_TOO_LONG, "texts of " + a.length() + " and " + b.length()
                    + " chars; text_similarity compares at most " + MAX_CHARS);
        }
        return metric.similarity(a, b, n);
    }

    /**
     * The thresholded grader: 1.0 where the similarity is at least τ, else 0.0. The wrapped grader has
     * already recorded the raw similarity as the sub-reward {@code <name>}.
     */
    private record Thresholded(TextSimilarityGrader similarity, double tau) implements Grader {

        @Override
        public String name() {
            return similarity.name();
        }

        @Override
        public double[] score(GradingBatch batch, Outcomes out) {
            double[] s = similarity.score(batch, out);
            for (int i = 0; i < s.length; i++) {
                s[i] = s[i] >= tau ? 1.0 : 0.0;
            }
            return s;
        }
    }

    public static final class Type implements GraderType {

        private static final Set<String> FIELDS = Set.of("type", "name", "input", "reference", "metric", "n",
                "pass_threshold");

        @Override
        public String type() {
            return "text_similarity";
        }

        @Override
        public Grader compile(JsonNode node, String pointer, GraderCompiler.Context ctx) {
            ctx.onlyFields(node, pointer, FIELDS);
            String name = ctx.name(node, pointer);
            Template input = node.has("input") ? ctx.template(node, "input", pointer)
                    : Template.parse("{{sample.output_text}}", pointer + "/input", ctx);
            Template reference = ctx.template(node, "reference", pointer);
            String m = ctx.string(node, "metric", pointer);
            Metric metric = m == null ? null : Metric.of(m);
            if (m != null && metric == null) {
                ctx.violation(pointer + "/metric", "must be one of "
                        + Arrays.stream(Metric.values()).map(Metric::key).toList());
            }
            Integer n = GraderNumbers.optionalInt(node, "n", pointer, CharNgramCosine.DEFAULT_N, 1, 32, ctx);
            if (node.has("n") && metric != null && metric != Metric.CHAR_NGRAM_COSINE) {
                ctx.violation(pointer + "/n", "only applies to metric char_ngram_cosine");
            }
            Double tau = GraderNumbers.optional(node, "pass_threshold", pointer, Double.NaN, 0, 1, ctx);
            if (name == null || input == null || reference == null || metric == null || n == null || tau == null) {
                return null;
            }
            TextSimilarityGrader g = new TextSimilarityGrader(name, input, reference, metric, n);
            return Double.isNaN(tau) ? g : new Thresholded(g, tau);
        }
    }
}
