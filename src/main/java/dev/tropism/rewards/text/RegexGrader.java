package dev.tropism.rewards.text;

import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import dev.tropism.rewards.Grader;
import dev.tropism.rewards.GraderCompiler;
import dev.tropism.rewards.GraderOptions;
import dev.tropism.rewards.GraderType;
import dev.tropism.rewards.GradingBatch;
import dev.tropism.rewards.GradingException;
import dev.tropism.rewards.Outcomes;
import dev.tropism.rewards.PerSampleGrader;
import dev.tropism.rewards.Regexes;
import dev.tropism.rewards.Sample;
import dev.tropism.rewards.Template;
import dev.tropism.web.JsonPointers;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * {@code regex}: matches a {@code pattern} against the rendered {@code input} with RE2J (RE2 syntax,
 * linear-time matching: see {@link Regexes}), either anywhere ({@code search}, like Python's
 * {@code re.search}) or against the whole input ({@code fullmatch}, like {@code re.fullmatch}).
 *
 * <p>Without a nested {@code grader} a sample scores 1.0 when it matches (and, with {@code extract},
 * when that group took part in the match), else 0.0. With a nested {@code grader}, the extracted group
 * (group 0, the whole match, unless {@code extract} names another) becomes that grader's
 * {@code {{sample.output_text}}}, and a matching sample scores what the nested grader gives it. A sample
 * that does not match scores 0.0 and is left out of the nested grader's sub-rewards and errors, so
 * {@code train/reward/<nested>/mean} is the mean over matching samples. The nested grader is called on
 * the whole batch (groups intact, with an empty output for samples that did not match) and not at all
 * when no sample matched.
 */
public final class RegexGrader implements Grader {

    /** How the pattern must match. */
    enum Mode {
        /** Anywhere in the input. */
        SEARCH,
        /** The whole input. */
        FULLMATCH;

        boolean test(Matcher m) {
            return this == SEARCH ? m.find() : m.matches();
        }
    }

    /** RE2J compile flags, by their JSON names. */
    public enum Flag {
        CASE_INSENSITIVE(Pattern.CASE_INSENSITIVE),
        /** {@code .} also matches a newline. */
        DOTALL(Pattern.DOTALL),
        /** {@code ^} and {@code $} also match at line breaks. */
        MULTILINE(Pattern.MULTILINE),
        /** Leftmost-longest (POSIX) instead of leftmost-first (Perl) matching: changes what is extracted. */
        LONGEST_MATCH(Pattern.LONGEST_MATCH);

        final int bits;

        Flag(int bits) {
            this.bits = bits;
        }
    }

    private final String name;
    private final Template input;
    private final Regexes.Bounded pattern;
    private final Mode mode;
    /** The group whose text is extracted, or -1 when none is ({@code extract} unset and no nested grader). */
    private final int group;
    private final Grader nested;

    private RegexGrader(String name, Template input, Regexes.Bounded pattern, Mode mode, int group, Grader nested) {
        this.name = name;
        this.input = input;
        this.pattern = pattern;
        this.mode = mode;
        this.group = group;
        this.nested = nested;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public double[] score(GradingBatch batch, Outcomes out) {
        int n = batch.size();
        double[] scores = new double[n];
        String[] captured = new String[n]; // the extracted text of each matching sample; null otherwise
        boolean anyMatch = false;
        for (int i = 0; i < n; i++) {
            try {
                captured[i] = match(batch.sample(i));
            } catch (GradingException e) {
                out.error(i, e.kind(), name + ": " + e.getMessage());
            }
            anyMatch |= captured[i] != null;
            scores[i] = captured[i] != null ? 1.0 : 0.0;
        }
        if (nested != null && anyMatch) {
            List<String> outputs = new ArrayList<>(n);
            for (String c : captured) {
                outputs.add(c == null ? "" : c);
            }
            Outcomes inner = new Outcomes(n);
            double[] innerScores = nested.score(batch.withOutputs(outputs), inner);
            for (int i = 0; i < n; i++) {
                if (captured[i] != null) {
                    out.copyFrom(inner, i, i);
                    scores[i] = out.finite(i, name, innerScores[i], PerSampleGrader.FALLBACK);
                }
            }
        }
        return out.record(name, scores);
    }

    /** The extracted text ("" when no group is extracted) when the sample matches, else null. */
    private String match(Sample sample) throws GradingException {
        Matcher m = pattern.matcher(input.render(sample));
        if (!mode.test(m)) {
            return null;
        }
        return group < 0 ? "" : m.group(group);
    }

    public static final class Type implements GraderType {

        private static final Set<String> FIELDS = Set.of("type", "name", "pattern", "input", "mode", "flags",
                "extract", "grader");

        @Override
        public String type() {
            return "regex";
        }

        @Override
        public Grader compile(JsonNode node, String pointer, GraderCompiler.Context ctx) {
            ctx.onlyFields(node, pointer, FIELDS);
            String name = ctx.name(node, pointer);
            Template input = GraderOptions.template(ctx, node, "input", pointer, "{{sample.output_text}}");
            Mode mode = GraderOptions.choice(ctx, node, "mode", pointer, Mode.class, Mode.SEARCH);
            Set<Flag> flags = GraderOptions.choices(ctx, node, "flags", pointer, Flag.class);
            int bits = flags == null ? 0 : flags.stream().mapToInt(f -> f.bits).reduce(0, (a, b) -> a | b);
            Regexes.Bounded pattern = GraderOptions.pattern(ctx, node, "pattern", pointer, bits);
            Grader nested = GraderOptions.absent(node, "grader") ? null
                    : ctx.grader(node.get("grader"), JsonPointers.child(pointer, "grader"));
            Integer group = extract(node, pointer, ctx, pattern == null ? null : pattern.pattern());
            if (name == null || input == null || mode == null || flags == null || pattern == null || group == null
                    || (nested == null && !GraderOptions.absent(node, "grader"))) {
                return null;
            }
            if (group < 0 && nested != null) {
                group = 0;
            }
            return new RegexGrader(name, input, pattern, mode, group, nested);
        }

        /**
         * The group {@code extract} names: a number from 0 (the whole match) to the pattern's group count,
         * or the name of a named group; -1 when absent; null when invalid.
         */
        private static Integer extract(JsonNode node, String pointer, GraderCompiler.Context ctx, Pattern pattern) {
            if (GraderOptions.absent(node, "extract")) {
                return -1;
            }
            JsonNode e = node.get("extract");
            String ep = JsonPointers.child(pointer, "extract");
            if (e.isString()) {
                Integer g = pattern == null ? null : pattern.namedGroups().get(e.asString());
                if (pattern != null && g == null) {
                    ctx.violation(ep, "the pattern has no group named '" + e.asString() + "'; its named groups are "
                            + Arrays.toString(pattern.namedGroups().keySet().stream().sorted().toArray()));
                }
                return g;
            }
            int max = pattern == null ? Integer.MAX_VALUE : pattern.groupCount();
            if (!GraderOptions.isWhole(e) || e.asDouble() < 0 || e.asDouble() > max) {
                ctx.violation(ep, pattern == null ? "must be a group number or name"
                        : "must be a group name or number from 0 to " + max + " (the pattern's group count)");
                return null;
            }
            return e.asInt();
        }
    }
}
