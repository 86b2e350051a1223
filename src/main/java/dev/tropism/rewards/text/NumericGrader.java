package dev.tropism.rewards.text;

import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import dev.tropism.rewards.Grader;
import dev.tropism.rewards.GraderCompiler;
import dev.tropism.rewards.GraderOptions;
import dev.tropism.rewards.GraderType;
import dev.tropism.rewards.GradingException;
import dev.tropism.rewards.PerSampleGrader;
import dev.tropism.rewards.Regexes;
import dev.tropism.rewards.Sample;
import dev.tropism.rewards.Template;
import dev.tropism.web.JsonPointers;
import java.math.BigDecimal;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * {@code numeric}: extracts a number from the rendered {@code input} and scores 1.0 when it is close to
 * the number the rendered {@code reference} holds, else 0.0. "Close" is Python's {@code math.isclose}
 * (PEP 485): {@code |a − b| ≤ max(rel_tol · max(|a|, |b|), abs_tol)}. Both tolerances default to 0, so
 * by default the two numbers must be equal in value ({@code 1.50} equals {@code 1.5}); PEP 485's default
 * is {@code rel_tol = 1e-9}. Numbers are compared as exact decimals ({@link BigDecimal}), so 20-digit
 * integers compare exactly, not as the nearest doubles.
 *
 * <p>Number syntax: an optional sign ({@code +}, {@code -} or U+2212 {@code −}), digits with an optional
 * fraction ({@code 3}, {@code 3.25}, {@code .5}, {@code 3.}) and an optional exponent ({@code 1e-3},
 * {@code 2.5E+4}). Digits may be grouped in threes by {@code thousands_separator} ({@code 1,234,567});
 * a badly grouped run such as {@code 1,23} reads as the two numbers 1 and 23. In free text a sign only
 * counts when it does not follow a letter or digit, so {@code 5-3} holds the numbers 5 and 3. The
 * number taken is the {@code last} (default, as in GSM8K-style answer extraction) or {@code first}
 * match of {@code pattern}: with no pattern, the last number in the text; with a pattern (RE2 syntax),
 * its group 1 when it has groups, else the whole match, which must then be a number as a whole
 * (surrounding white space aside). The reference must be a number as a whole. Either failing is a
 * {@code not_a_number} error (score 0).
 */
public final class NumericGrader extends PerSampleGrader {

    /** Which match of the pattern is the answer. */
    enum Occurrence {
        FIRST, LAST
    }

    /** Longest number text parsed, in chars: longer runs of digits are not a plausible answer. */
    public static final int MAX_NUMBER_LENGTH = 400;
    /** Largest |decimal exponent| of a parsed number, so that no comparison builds a huge decimal. */
    static final int MAX_EXPONENT = 1_000;

    private final Template input;
    private final Template reference;
    /** The user's pattern, or null for "any number". */
    private final Regexes.Bounded pattern;
    private final Occurrence occurrence;
    private final NumberSyntax syntax;
    private final BigDecimal absTol;
    private final BigDecimal relTol;

    private NumericGrader(String name, Template input, Template reference, Regexes.Bounded pattern, Occurrence occurrence,
            NumberSyntax syntax, double absTol, double relTol) {
        super(name);
        this.input = input;
        this.reference = reference;
        this.pattern = pattern;
        this.occurrence = occurrence;
        this.syntax = syntax;
        this.absTol = BigDecimal.valueOf(absTol); // the decimal the spec wrote, not its binary neighbour
        this.relTol = BigDecimal.valueOf(relTol);
    }

    @Override
    protected double scoreOne(Sample sample) throws GradingException {
        String text = input.render(sample);
        String ref = reference.render(sample);
        BigDecimal b = syntax.parse(ref);
        if (b == null) {
            throw new GradingException(GradingException.NOT_A_NUMBER, "reference '" + abbreviate(ref)
                    + "' is not a number");
        }
        BigDecimal a = pattern == null ? syntax.find(text, occurrence) : extract(text);
        return isClose(a, b) ? 1.0 : 0.0;
    }

    /** PEP 485: {@code |a − b| ≤ max(rel_tol · max(|a|, |b|), abs_tol)}. */
    boolean isClose(BigDecimal a, BigDecimal b) {
        BigDecimal diff = a.subtract(b).abs();
        BigDecimal rel = relTol.multiply(a.abs().max(b.abs())); // exact: exponents are bounded by MAX_EXPONENT
        return diff.compareTo(rel.max(absTol)) <= 0;
    }

    private BigDecimal extract(String text) throws GradingException {
        Matcher m = pattern.matcher(text);
        String found = null;
        while (m.find()) {
            found = m.groupCount() >= 1 ? m.group(1) : m.group();
            if (occurrence == Occurrence.FIRST) {
                break;
            }
        }
        if (found == null) {
            throw new GradingException(GradingException.NOT_A_NUMBER, "pattern does not match the input");
        }
        BigDecimal a = syntax.parse(found);
        if (a == null) {
            throw new GradingException(GradingException.NOT_A_NUMBER, "matched text '" + abbreviate(found)
                    + "' is not a number");
        }
        return a;
    }

    static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }

    /** The number syntax for one thousands separator (none when empty). */
    static final class NumberSyntax {

        private final String separator;
        /** A number anywhere in a text; group 1 is its sign, group 2 the rest. */
        private final Regexes.Bounded inText;
        /** A number as the whole text. */
        private final Pattern whole;

        NumberSyntax(String separator) {
            this.separator = separator;
            String grouped = separator.isEmpty() ? "" : "\\d{1,3}(?:" + Pattern.quote(separator) + "\\d{3})+|";
            String unsigned = "(?:(?:" + grouped + "\\d+)(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?";
            String sign = "([+\\-\\x{2212}]?)";
            this.inText = Regexes.compile(sign + "(" + unsigned + ")", 0);
            this.whole = Pattern.compile("\\s*" + sign + "(" + unsigned + ")\\s*");
        }

        /** The number {@code text} is as a whole, or null. Short texts only: no input bound is needed. */
        BigDecimal parse(String text) {
            if (text.length() > MAX_NUMBER_LENGTH + 2) {
                return null;
            }
            Matcher m = whole.matcher(text);
            return m.matches() ? toDecimal(m.group(1), m.group(2)) : null;
        }

        /** The first or last number in {@code text}; a {@code not_a_number} error when there is none. */
        BigDecimal find(String text, Occurrence occurrence) throws GradingException {
            Matcher m = inText.matcher(text);
            BigDecimal found = null;
            while (m.find()) {
                String sign = m.group(1);
                int start = m.start();
                if (!sign.isEmpty() && start > 0 && Character.isLetterOrDigit(text.codePointBefore(start))) {
                    sign = ""; // "5-3" or "x-3": a hyphen between words, not a minus
                }
                BigDecimal v = toDecimal(sign, m.group(2));
                if (v != null) {
                    found = v;
                    if (occurrence == Occurrence.FIRST) {
                        break;
                    }
                }
            }
            if (found == null) {
                throw new GradingException(GradingException.NOT_A_NUMBER, "no number in the input");
            }
            return found;
        }

        /** {@code sign} and {@code digits} as a decimal; null when too long or its exponent too large. */
        private BigDecimal toDecimal(String sign, String digits) {
            if (digits.length() > MAX_NUMBER_LENGTH) {
                return null;
            }
            String plain = separator.isEmpty() ? digits : digits.replace(separator, "");
            BigDecimal v;
            try {
                v = new BigDecimal(plain);
            } catch (NumberFormatException e) { // an exponent beyond int range
                return null;
            }
            if (Math.abs((long) v.precision() - v.scale()) > MAX_EXPONENT || Math.abs(v.scale()) > MAX_EXPONENT) {
                return null;
            }
            return sign.isEmpty() || sign.equals("+") ? v : v.negate();
        }
    }

    public static final class Type implements GraderType {

        private static final Set<String> FIELDS = Set.of("type", "name", "input", "reference", "pattern", "match",
                "thousands_separator", "abs_tol", "rel_tol");
        /** Separators that cannot be confused with a sign, a decimal point, an exponent or a digit. */
        private static final Set<String> SEPARATORS = Set.of("", ",", "_", " ", "'", "\u00a0", "\u2009", "\u202f");

        @Override
        public String type() {
            return "numeric";
        }

        @Override
        public Grader compile(JsonNode node, String pointer, GraderCompiler.Context ctx) {
            ctx.onlyFields(node, pointer, FIELDS);
            String name = ctx.name(node, pointer);
            Template input = GraderOptions.template(ctx, node, "input", pointer, "{{sample.output_text}}");
            Template reference = ctx.template(node, "reference", pointer);
            Occurrence occurrence = GraderOptions.choice(ctx, node, "match", pointer, Occurrence.class,
                    Occurrence.LAST);
            Double absTol = GraderOptions.nonNegative(ctx, node, "abs_tol", pointer, 0.0);
            Double relTol = GraderOptions.nonNegative(ctx, node, "rel_tol", pointer, 0.0);
            String separator = ",";
            boolean ok = true;
            if (!GraderOptions.absent(node, "thousands_separator")) {
                JsonNode s = node.get("thousands_separator");
                if (!s.isString() || !SEPARATORS.contains(s.asString())) {
                    ctx.violation(JsonPointers.child(pointer, "thousands_separator"), "must be one of \"\" (none), "
                            + "\",\", \"_\", \" \", \"'\", U+00A0, U+2009 or U+202F");
                    ok = false;
                } else {
                    separator = s.asString();
                }
            }
            Regexes.Bounded pattern = null;
            if (!GraderOptions.absent(node, "pattern")) {
                pattern = GraderOptions.pattern(ctx, node, "pattern", pointer, 0);
                ok &= pattern != null;
            }
            if (!ok || name == null || input == null || reference == null || occurrence == null || absTol == null
                    || relTol == null) {
                return null;
            }
            return new NumericGrader(name, input, reference, pattern, occurrence, new NumberSyntax(separator),
                    absTol, relTol);
        }
    }
}
