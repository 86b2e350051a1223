package dev.tropism.rewards;

import static dev.tropism.rewards.GraderSpecGen.range;
import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;

import dev.tropism.engine.RewardBatch;
import dev.tropism.engine.RewardResult;
import dev.tropism.engine.ScoringContext;
import dev.tropism.rewards.text.LengthGrader;
import dev.tropism.web.Violation;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;
import tools.jackson.databind.JsonNode;

/**
 * Property-based tests (QuickTheories: random generation with shrinking; fixed seeds, so a failure
 * reproduces) of the spec parser, the templates and scoring. The contract under test: a spec only ever
 * yields violations, never an exception; a compiled grader never throws and gives finite scores.
 */
class GraderPropertiesTest {

    static final long SEED = 20250601L;

    static GraderCompiler.Result compile(JsonNode spec) {
        return GraderTests.COMPILER.compile(spec, "/grader");
    }

    @Test
    void arbitrarySpecsGiveViolationsNeverExceptions() {
        AtomicInteger valid = new AtomicInteger();
        AtomicInteger tried = new AtomicInteger();
        qt().withFixedSeed(SEED).withExamples(3_000).forAll(GraderSpecGen.value(4).mix(GraderSpecGen.anySpec(3), 70))
                .checkAssert(spec -> {
                    tried.incrementAndGet();
                    GraderCompiler.Result r = compile(spec);
                    assertThat(r.grader() == null).isEqualTo(!r.violations().isEmpty());
                    for (Violation v : r.violations()) {
                        assertThat(v.pointer()).startsWith("/grader");
                        assertThat(v.reason()).isNotBlank();
                    }
                    if (r.valid()) {
                        valid.incrementAndGet();
                    }
                });
        System.out.println("arbitrary specs: " + valid.get() + " of " + tried.get() + " valid");
        assertThat(tried.get()).as("QuickTheories skips repeated values").isGreaterThan(2_500);
    }

    @Test
    void plausibleSpecsCompileAndNeverThrowWhileScoring() {
        AtomicInteger scored = new AtomicInteger();
        Gen<List<String>> outputs = in -> {
            List<String> out = new ArrayList<>();
            Gen<String> one = GraderSpecGen.output();
            for (int i = 0; i < 3; i++) {
                out.add(one.generate(in));
            }
            return out;
        };
        qt().withFixedSeed(SEED).withExamples(2_000)
                .forAll(GraderSpecGen.plausibleSpec(2), GraderSpecGen.item(), outputs)
                .checkAssert((spec, item, outs) -> {
                    GraderCompiler.Result r = compile(spec);
                    if (!r.valid()) {
                        return;
                    }
                    scored.incrementAndGet();
                    // Call the grader itself (not the reward function, which would turn an exception into
                    // an error): a group of 3 samples answering one item.
                    GradingBatch batch = GradingBatch.of(new RewardBatch(Collections.nCopies(3, item), outs, 3,
                            ScoringContext.NONE));
                    Outcomes out = new Outcomes(3);
                    double[] scores = r.grader().score(batch, out);
                    assertThat(scores).hasSize(3);
                    for (double s : scores) {
                        assertThat(Double.isFinite(s)).as("finite score %s", s).isTrue();
                    }
                    List<RewardResult> results = out.results(scores);
                    assertThat(results).allSatisfy(res -> assertThat(res.subRewards()).containsKey(r.grader().name()));
                });
        System.out.println("plausible specs scored: " + scored.get() + " of 2000");
        assertThat(scored.get()).as("enough plausible specs compile to test scoring").isGreaterThan(1_000);
    }

    @Test
    void templatesParseToViolationsAndRenderOrFailWithAGradingError() {
        qt().withFixedSeed(SEED).withExamples(5_000)
                .forAll(GraderSpecGen.text(), GraderSpecGen.item(), GraderSpecGen.output())
                .checkAssert((text, item, output) -> {
                    GraderCompiler.Context ctx = GraderTests.COMPILER.new Context();
                    Template t = Template.parse(text, "/t", ctx);
                    if (t == null) {
                        return;
                    }
                    try {
                        String rendered = t.render(new Sample(item, output));
                        if (!text.contains("{{")) {
                            assertThat(rendered).isEqualTo(text);
                        }
                    } catch (GradingException e) {
                        assertThat(e.kind()).matches("[a-z0-9_]{1,40}");
                    }
                });
    }

    /** A number written in one of the ways the numeric grader reads: sign, separators, exponent. */
    record Written(BigDecimal value, String text, String separator) {
    }

    static Gen<Written> writtenNumbers() {
        return in -> {
            BigInteger unscaled = BigInteger.valueOf(Generate.longRange(0, Long.MAX_VALUE).generate(in))
                    .shiftRight(range(0, 62, in));
            BigDecimal v = new BigDecimal(unscaled, range(-5, 10, in));
            boolean negative = range(0, 1, in) == 1;
            String separator = GraderSpecGen.pick(List.of(",", "_", " ", ""), in);
            String body = switch (range(0, 2, in)) {
                case 0 -> v.toString(); // scientific when the exponent is large: 1.23E+7
                case 1 -> v.toPlainString();
                default -> grouped(v.toPlainString(), separator);
            };
            String sign = negative ? GraderSpecGen.pick(List.of("-", "\u2212"), in) : range(0, 3, in) == 0 ? "+" : "";
            return new Written(negative ? v.negate() : v, sign + body, separator);
        };
    }

    /** Groups the integer digits of {@code plain} in threes with {@code sep}. */
    static String grouped(String plain, String sep) {
        int dot = plain.indexOf('.');
        String digits = dot < 0 ? plain : plain.substring(0, dot);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < digits.length(); i++) {
            if (i > 0 && (digits.length() - i) % 3 == 0) {
                sb.append(sep);
            }
            sb.append(digits.charAt(i));
        }
        return sb + (dot < 0 ? "" : plain.substring(dot));
    }

    @Test
    void numericReadsEveryWayOfWritingANumber() {
        qt().withFixedSeed(SEED).withExamples(3_000).forAll(writtenNumbers()).checkAssert(w -> {
            String spec = "{\"type\":\"numeric\",\"name\":\"n\",\"reference\":\"{{item.answer}}\","
                    + "\"thousands_separator\":\"" + w.separator() + "\"}";
            Grader g = GraderTests.compile(spec);
            Map<String, Object> item = Map.of("answer", w.value().toString());
            // the number last in a sentence, and alone
            for (String output : List.of("so the answer is " + w.text() + ".", w.text())) {
                RewardResult r = GraderTests.scoreOne(g, item, output);
                assertThat(r.errors()).as(output).isEmpty();
                assertThat(r.reward()).as(output).isEqualTo(1.0);
            }
            // and off by one unit in the last place it is not equal (tolerances default to 0)
            RewardResult off = GraderTests.scoreOne(g, Map.of("answer", w.value().add(w.value().ulp()).toString()),
                    w.text());
            assertThat(off.reward()).isEqualTo(0.0);
        });
    }

    @Test
    void dapoOverlongPenaltyIsInMinusOneToZeroAndNonIncreasing() {
        qt().withFixedSeed(SEED).withExamples(2_000)
                .forAll(Generate.range(1, 500), Generate.range(1, 500), Generate.range(0, 1_000))
                .assuming((maxLength, cache, length) -> cache <= maxLength)
                .checkAssert((maxLength, cache, length) -> {
                    LengthGrader.Overlong o = new LengthGrader.Overlong(maxLength, cache);
                    double r = o.penalty(length);
                    assertThat(r).isBetween(-1.0, 0.0);
                    assertThat(o.penalty(length + 1)).isLessThanOrEqualTo(r);
                    if (length <= maxLength - cache) {
                        assertThat(r).isEqualTo(0.0);
                    }
                    if (length > maxLength) {
                        assertThat(r).isEqualTo(-1.0);
                    }
                });
    }

    @Test
    void lengthInCharsCountsCodePoints() {
        Grader g = GraderTests.compile("{\"type\":\"length\",\"name\":\"len\",\"max\":10}");
        qt().withFixedSeed(SEED).withExamples(2_000).forAll(GraderSpecGen.output()).checkAssert(output -> {
            double expected = output.codePointCount(0, output.length()) <= 10 ? 1.0 : 0.0;
            assertThat(GraderTests.scoreOne(g, Map.of(), output).reward()).isEqualTo(expected);
        });
    }
}
