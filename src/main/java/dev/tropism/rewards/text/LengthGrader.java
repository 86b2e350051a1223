package dev.tropism.rewards.text;

import dev.tropism.rewards.Grader;
import dev.tropism.rewards.GraderCompiler;
import dev.tropism.rewards.GraderOptions;
import dev.tropism.rewards.GraderType;
import dev.tropism.rewards.GradingException;
import dev.tropism.rewards.PerSampleGrader;
import dev.tropism.rewards.Sample;
import dev.tropism.rewards.Template;
import dev.tropism.web.JsonPointers;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * {@code length}: scores the length L of the rendered {@code input} (default the output), in
 * {@code chars} (Unicode code points, which is what our character-level models emit one per token) or
 * {@code words} (runs of non-white-space). The score is the sum of the parts that are configured:
 *
 * <ul>
 *   <li><b>Target range</b> ({@code min} and/or {@code max}): 1.0 when {@code min ≤ L ≤ max}. Outside,
 *       0.0, or with {@code falloff} = F a linear ramp {@code max(0, 1 − d/F)} where d is the distance
 *       to the range ({@code min − L} or {@code L − max}).</li>
 *   <li><b>Soft overlong punishment</b> ({@code overlong: {"max_length": L_max, "cache": L_cache}}), DAPO
 *       (Yu et al. 2025, "DAPO: An Open-Source LLM Reinforcement Learning System at Scale", eq. 13):
 *       0 when {@code L ≤ L_max − L_cache}; {@code ((L_max − L_cache) − L) / L_cache} when
 *       {@code L_max − L_cache < L ≤ L_max}; −1 when {@code L > L_max}. It is a penalty in [−1, 0] meant
 *       to be added to a correctness reward (put both in a {@code multi}).</li>
 * </ul>
 */
public final class LengthGrader extends PerSampleGrader {

    /** What L counts. */
    enum Unit {
        /** Unicode code points. */
        CHARS,
        /** Maximal runs of non-white-space characters. */
        WORDS;

        int measure(String s) {
            if (this == CHARS) {
                return s.codePointCount(0, s.length());
            }
            int words = 0;
            boolean inWord = false;
            for (int i = 0; i < s.length(); ) {
                int cp = s.codePointAt(i);
                boolean space = Character.isWhitespace(cp) || Character.isSpaceChar(cp);
                if (!space && !inWord) {
                    words++;
                }
                inWord = !space;
                i += Character.charCount(cp);
            }
            return words;
        }
    }

    /** DAPO's soft overlong punishment (eq. 13): L_max and L_cache. */
    public record Overlong(int maxLength, int cache) {

        /** R_length(L). */
        public double penalty(int length) {
            if (length <= maxLength - cache) {
                return 0.0;
            }
            if (length <= maxLength) {
                return (double) ((maxLength - cache) - length) / cache;
            }
            return -1.0;
        }
    }

    /** Longest length settable, a bound that keeps the arithmetic in int. */
    static final int MAX_LENGTH = 100_000_000;

    private final Template input;
    private final Unit unit;
    private final Integer min;
    private final Integer max;
    private final Integer falloff;
    private final Overlong overlong;

    private LengthGrader(String name, Template input, Unit unit, Integer min, Integer max, Integer falloff,
            Overlong overlong) {
        super(name);
        this.input = input;
        this.unit = unit;
        this.min = min;
        this.max = max;
        this.falloff = falloff;
        this.overlong = overlong;
    }

    @Override
    protected double scoreOne(Sample sample) throws GradingException {
        int length = unit.measure(input.render(sample));
        double score = 0.0;
        if (min != null || max != null) {
            long d = min != null && length < min ? min - length : max != null && length > max ? length - max : 0;
            score += d == 0 ? 1.0 : falloff == null ? 0.0 : Math.max(0.0, 1.0 - (double) d / falloff);
        }
        if (overlong != null) {
            score += overlong.penalty(length);
        }
        return score;
    }

    public static final class Type implements GraderType {

        private static final Set<String> FIELDS = Set.of("type", "name", "input", "unit", "min", "max", "falloff",
                "overlong");
        private static final Set<String> OVERLONG_FIELDS = Set.of("max_length", "cache");

        @Override
        public String type() {
            return "length";
        }

        @Override
        public Grader compile(JsonNode node, String pointer, GraderCompiler.Context ctx) {
            ctx.onlyFields(node, pointer, FIELDS);
            String name = ctx.name(node, pointer);
            Template input = GraderOptions.template(ctx, node, "input", pointer, "{{sample.output_text}}");
            Unit unit = GraderOptions.choice(ctx, node, "unit", pointer, Unit.class, Unit.CHARS);
            boolean ok = true;
            Integer min = GraderOptions.integer(ctx, node, "min", pointer, 0, MAX_LENGTH, null);
            Integer max = GraderOptions.integer(ctx, node, "max", pointer, 0, MAX_LENGTH, null);
            ok &= (min != null || GraderOptions.absent(node, "min")) && (max != null || GraderOptions.absent(node, "max"));
            if (min != null && max != null && min > max) {
                ctx.violation(JsonPointers.child(pointer, "max"), "must be ≥ min (" + min + ")");
                ok = false;
            }
            Integer falloff = GraderOptions.integer(ctx, node, "falloff", pointer, 1, MAX_LENGTH, null);
            ok &= falloff != null || GraderOptions.absent(node, "falloff");
            if (falloff != null && min == null && max == null) {
                ctx.violation(JsonPointers.child(pointer, "falloff"), "needs min or max: it ramps the score outside that range");
                ok = false;
            }
            Overlong overlong = null;
            if (!GraderOptions.absent(node, "overlong")) {
                overlong = overlong(node.get("overlong"), JsonPointers.child(pointer, "overlong"), ctx);
                ok &= overlong != null;
            } else if (GraderOptions.absent(node, "min") && GraderOptions.absent(node, "max")) {
                ctx.violation(pointer, "give min, max or overlong (or several): there is nothing to score");
                ok = false;
            }
            if (!ok || name == null || input == null || unit == null) {
                return null;
            }
            return new LengthGrader(name, input, unit, min, max, falloff, overlong);
        }

        private static Overlong overlong(JsonNode o, String pointer, GraderCompiler.Context ctx) {
            if (!o.isObject()) {
                ctx.violation(pointer, "must be an object {\"max_length\": L_max, \"cache\": L_cache}");
                return null;
            }
            ctx.onlyFields(o, pointer, OVERLONG_FIELDS);
            Integer maxLength = required(o, "max_length", pointer, ctx);
            Integer cache = required(o, "cache", pointer, ctx);
            if (maxLength == null || cache == null) {
                return null;
            }
            if (cache > maxLength) {
                ctx.violation(JsonPointers.child(pointer, "cache"), "must be ≤ max_length (" + maxLength + ")");
                return null;
            }
            return new Overlong(maxLength, cache);
        }

        private static Integer required(JsonNode o, String field, String pointer, GraderCompiler.Context ctx) {
            if (GraderOptions.absent(o, field)) {
                ctx.violation(JsonPointers.child(pointer, field), "is required");
                return null;
            }
            return GraderOptions.integer(ctx, o, field, pointer, 1, MAX_LENGTH, null);
        }
    }
}
