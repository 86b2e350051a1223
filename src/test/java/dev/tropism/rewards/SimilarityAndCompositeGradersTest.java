package dev.tropism.rewards;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.tropism.engine.RewardBatch;
import dev.tropism.engine.RewardError;
import dev.tropism.engine.RewardResult;
import dev.tropism.engine.ScoringContext;
import dev.tropism.web.Violation;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code text_similarity}, {@code checks}, {@code gated} and {@code multi} with a formula: rewards against
 * hand-computed values (derivations in the comments), and every validation error with its pointer.
 * Specs are written with single quotes for readability ({@link #json} turns them into double quotes).
 */
class SimilarityAndCompositeGradersTest {

    static final double EPS = 1e-12;

    static String json(String singleQuoted) {
        return singleQuoted.replace('\'', '"');
    }

    static String sim(String metric, String input, String reference, String extra) {
        return "{'type':'text_similarity','name':'sim','metric':'" + metric + "'"
                + (input == null ? "" : ",'input':'" + input + "'") + ",'reference':'" + reference + "'" + extra + "}";
    }

    /** A text_similarity of the output against the literal {@code reference}. */
    static String sim(String metric, String reference) {
        return sim(metric, null, reference, "");
    }

    static String like(String name, String needle) {
        return "{'type':'string_check','name':'" + name + "','input':'{{sample.output_text}}','reference':'" + needle
                + "','operation':'like'}";
    }

    static final String EXACT = "{'type':'string_check','name':'exact','input':'{{sample.output_text}}',"
            + "'reference':'{{item.answer}}','operation':'eq'}";

    /** checks a, b, c: the output contains "a", "b", "c". */
    static String abcChecks(String extra) {
        return "{'type':'checks','name':'abc','checks':[" + like("has_a", "a") + "," + like("has_b", "b") + ","
                + like("has_c", "c") + "]" + extra + "}";
    }

    /** multi over "sim" (fuzzy ratio to the answer) and "exact" (equals the answer). */
    static String formula(String formula) {
        return "{'type':'multi','name':'total','graders':{'sim':" + sim("fuzzy_ratio", "{{item.answer}}")
                + ",'exact':" + EXACT + "},'formula':'" + formula + "'}";
    }

    static Arguments row(String spec, Map<String, Object> item, List<String> outputs, double... expected) {
        return Arguments.of(spec, item, outputs, expected);
    }

    static Arguments row(String spec, String output, double expected) {
        return row(spec, Map.of(), List.of(output), expected);
    }

    static final Map<String, Object> SITTING = Map.of("answer", "sitting");

    static Stream<Arguments> rewards() {
        return Stream.of(
                // --- fuzzy_ratio: 1 − d / max(len), code points ---
                row(sim("fuzzy_ratio", "sitting"), "kitten", 1 - 3.0 / 7),          // k→s, e→i, +g: d = 3
                row(sim("fuzzy_ratio", "abc"), "abc", 1.0),
                row(sim("fuzzy_ratio", ""), "", 1.0),                              // two empty strings are identical
                row(sim("fuzzy_ratio", "abc"), "", 0.0),                           // d = 3 = max length
                row(sim("fuzzy_ratio", "xyz"), "abc", 0.0),
                row(sim("fuzzy_ratio", "cafe"), "café", 0.75),                     // é is one code point
                row(sim("fuzzy_ratio", "😀b"), "😀a", 0.5),                        // 2 code points (4 UTF-16 units)
                row(sim("fuzzy_ratio", "{{item.a}}", "{{item.b}}", ""), Map.of("a", "flaw", "b", "lawn"),
                        List.of("ignored"), 0.5),                                  // -f, +n: d = 2 of 4
                // --- bleu: BP · exp(Σ log p_n / N'), method-1 smoothing ε = 0.1 ---
                // p1 = 5/6, p2 = 3/5, p3 = 1/4, p4 = 0 matches of 3 → 0.1/3; BP = 1 (c = r = 6)
                row(sim("bleu", "the cat is on the mat"), "the cat sat on the mat", Math.pow(5.0 / 6 * 3 / 5 / 4 * 0.1 / 3, 0.25)),
                row(sim("bleu", "a b c d e"), "a b c d e", 1.0),
                row(sim("bleu", "Paris"), "Paris", 1.0),                           // effective order N' = 1
                // N' = 2, p1 = p2 = 1; BP = exp(1 − 6/2)
                row(sim("bleu", "the cat sat on the mat"), "the cat", Math.exp(-2)),
                // c = 5 > r = 4 so BP = 1; p = 4/5, 3/4, 2/3, 1/2 → (1/5)^(1/4)
                row(sim("bleu", "a b c d"), "a b c d e", Math.pow(0.2, 0.25)),
                row(sim("bleu", "w x y z"), "a b c d", 0.0),                       // no token in common
                // one unigram match: p_n = 1/4, then 0.1/3, 0.1/2, 0.1/1 → (1/4 · 0.1³ / 6)^(1/4)
                row(sim("bleu", "a x y z"), "a b c d", Math.pow(0.25 * 0.001 / 6, 0.25)),
                row(sim("bleu", "a"), "", 0.0),
                row(sim("bleu", ""), "   ", 1.0),                                   // both have no tokens
                row(sim("bleu", "the cat sat"), "  the \t cat\u3000sat\n", 1.0),  // Unicode whitespace splits tokens
                // --- rouge_l: F1 of LCS precision and recall over tokens ---
                row(sim("rouge_l", "the cat is on the mat"), "the cat sat on the mat", 5.0 / 6), // LCS 5, P = R = 5/6
                row(sim("rouge_l", "a c"), "a b c d", 2.0 / 3),                    // LCS 2, P = 1/2, R = 1 → 2/3
                row(sim("rouge_l", "a b c"), "c b a", 1.0 / 3),                    // order matters: LCS 1
                row(sim("rouge_l", "x y"), "a b", 0.0),
                row(sim("rouge_l", "a b"), "a b", 1.0),
                row(sim("rouge_l", ""), "", 1.0),
                row(sim("rouge_l", "a"), "", 0.0),
                // --- char_ngram_cosine: cosine of n-gram counts ---
                // n = 2: {ab:2, ba:1}·{ab:1, bb:1, ba:1} = 3, norms √5, √3
                row(sim("char_ngram_cosine", null, "abba", ",'n':2"), Map.of(), List.of("abab"), 3 / Math.sqrt(15)),
                row(sim("char_ngram_cosine", "abce"), "abcd", 0.5),                // n = 3: {abc, bcd}·{abc, bce} = 1 / 2
                row(sim("char_ngram_cosine", "ab"), "ab", 1.0),                   // shorter than n: one gram each
                row(sim("char_ngram_cosine", "abc"), "ab", 0.0),
                row(sim("char_ngram_cosine", "a"), "", 0.0),
                row(sim("char_ngram_cosine", "x"), "x", 1.0),
                // 日本語日本 bigrams {日本:2, 本語:1, 語日:1}, 日本語 {日本:1, 本語:1}: 3 / (√6 · √2)
                row(sim("char_ngram_cosine", null, "日本語", ",'n':2"), Map.of(), List.of("日本語日本"), Math.sqrt(3) / 2),
                row(sim("char_ngram_cosine", "the quick brown fox"), "the quick brown fox", 1.0),
                // --- pass_threshold: 1 when similarity ≥ τ ---
                row(sim("fuzzy_ratio", null, "sitting", ",'pass_threshold':0.5"), Map.of(), List.of("kitten"), 1.0),
                row(sim("fuzzy_ratio", null, "sitting", ",'pass_threshold':0.6"), Map.of(), List.of("kitten"), 0.0),
                row(sim("char_ngram_cosine", null, "same text", ",'pass_threshold':1"), Map.of(), List.of("same text"), 1.0),
                // --- checks, one group of 4: pass rates p = (3/4, 2/4, 1/4); u = 1 − p + 0.05 = (0.30, 0.55, 0.80),
                // w = u / 1.65 = (6/33, 11/33, 16/33); reward = 0.5·allPass + 0.5·Σ w·pass ---
                row(abcChecks(""), Map.of(), List.of("abc", "ab", "a", "x"), 1.0, 0.5 * 17 / 33, 0.5 * 6 / 33, 0.0),
                // α = 0, δ = 0: u = (1/4, 1/2, 3/4), w = (1/6, 1/3, 1/2)
                row(abcChecks(",'outcome_weight':0,'delta':0"), Map.of(), List.of("abc", "ab", "a", "x"),
                        1.0, 0.5, 1.0 / 6, 0.0),
                // α = 1: only the all-pass outcome
                row(abcChecks(",'outcome_weight':1"), Map.of(), List.of("abc", "ab"), 1.0, 0.0),
                // a group of one has uniform weights 1/3: 0.5·0 + 0.5·2/3
                row(abcChecks(""), Map.of(), List.of("ab"), 1.0 / 3),
                row(abcChecks(""), Map.of(), List.of("cab"), 1.0),
                // the whole group passes everything, δ = 0: Σu = 0 → uniform
                row(abcChecks(",'delta':0"), Map.of(), List.of("abc", "cba"), 1.0, 1.0),
                // graded checks with τ = 0.5: kitten passes fuzzy (4/7 vs sitting) and contains "t"; xyz passes neither
                row("{'type':'checks','name':'c','pass_threshold':0.5,'checks':[" + sim("fuzzy_ratio", "sitting") + ","
                        + "{'type':'string_check','name':'t','input':'{{sample.output_text}}','reference':'t','operation':'like'}]}",
                        Map.of(), List.of("kitten", "xyz"), 1.0, 0.0),
                // --- gated: o + 1[o ≥ τ]·Σ w·d ---
                row(gated(""), Map.of("answer", "42"), List.of("42"), 1.0 + 0.1),       // gate open at o = τ = 1
                row(gated(""), Map.of("answer", "42"), List.of("please 41"), 0.0),      // gate shut: dense ignored
                row(gated(""), Map.of("answer", "please"), List.of("please"), 1.0 + 0.2 + 0.1),
                // continuous outcome fuzzy(·, sitting) with τ = 0.6: kitten 4/7 < τ, sittin 6/7 ≥ τ
                row(gatedFuzzy(), SITTING, List.of("kitten"), 4.0 / 7),
                row(gatedFuzzy(), SITTING, List.of("sittin"), 6.0 / 7 + 0.1),
                // --- multi with formula (sim = fuzzy(kitten, sitting) = 4/7, exact = 0) ---
                row(formula("0.7*exact + 0.3*max(sim, 0)"), SITTING, List.of("sitting"), 1.0),
                row(formula("0.7*exact + 0.3*max(sim, 0)"), SITTING, List.of("kitten"), 0.3 * 4 / 7),
                row(formula("1 + 2 * sim ^ 2"), SITTING, List.of("kitten"), 1 + 2 * 16.0 / 49),
                row(formula("(1 + 2) * sim"), SITTING, List.of("kitten"), 12.0 / 7),
                row(formula("-sim ^ 2"), SITTING, List.of("kitten"), -16.0 / 49),   // -(x²), not (-x)²
                row(formula("2 ^ 3 ^ 2 * exact"), SITTING, List.of("sitting"), 512),   // right-associative
                row(formula("10 % 3 * sim - 1"), SITTING, List.of("kitten"), 4.0 / 7 - 1),
                row(formula("if(exact >= 1, 1, 0.5 * sim)"), SITTING, List.of("kitten"), 2.0 / 7),
                row(formula("if(exact >= 1, 1, 0.5 * sim)"), SITTING, List.of("sitting"), 1.0),
                row(formula("clip(3 * sim, 0, 1) + clip(sim - 1, 0, 1)"), SITTING, List.of("kitten"), 1.0),
                row(formula("min(sim, 0.5) + abs(sim - 1)"), SITTING, List.of("kitten"), 0.5 + 3.0 / 7),
                row(formula("MAX(Sim, 0) + FLOOR(sim) + CEILING(sim)"), SITTING, List.of("kitten"), 4.0 / 7 + 1),
                row(formula("sqrt(sim)"), SITTING, List.of("kitten"), Math.sqrt(4.0 / 7)),
                row(formula("sim > 0.5 && !(exact = 1)"), SITTING, List.of("kitten"), 1.0),
                row(formula("sim < 0.5 || exact"), SITTING, List.of("kitten"), 0.0),
                // comparisons and logic are 1/0 inside arithmetic too
                row(formula("(exact == 0) + 0"), SITTING, List.of("kitten"), 1.0),
                row(formula("2*(sim >= 0.5) + (exact != 0)"), SITTING, List.of("kitten"), 2.0),
                row(formula("0.5*(sim > 0.5 && exact < 1) - !exact"), SITTING, List.of("kitten"), -0.5),
                row(formula("max(sim < 1, exact) * 3"), SITTING, List.of("sitting"), 3.0),
                row(formula("1 - 2 > 0 || 1 + 1 == 2"), SITTING, List.of("kitten"), 1.0),
                // failures score 0 (errors checked in formulaErrorsScoreZeroWithTheirKind)
                row(formula("sim / exact"), SITTING, List.of("kitten"), 0.0),
                row(formula("sim * 1e400"), SITTING, List.of("kitten"), 0.0));
    }

    /** outcome: exact; dense: polite (contains "please", weight 0.2) and nonempty (weight 0.1). */
    static String gated(String extra) {
        return "{'type':'gated','name':'g','outcome':" + EXACT + ",'dense':{'polite':" + like("polite", "please")
                + ",'nonempty':{'type':'string_check','name':'nonempty','input':'{{sample.output_text}}','reference':'',"
                + "'operation':'ne'}},'weights':{'polite':0.2,'nonempty':0.1}" + extra + "}";
    }

    static String gatedFuzzy() {
        return "{'type':'gated','name':'g','threshold':0.6,'outcome':" + sim("fuzzy_ratio", "{{item.answer}}")
                + ",'dense':{'nonempty':{'type':'string_check','name':'nonempty','input':'{{sample.output_text}}',"
                + "'reference':'','operation':'ne'}},'weights':{'nonempty':0.1}}";
    }

    @ParameterizedTest(name = "[{index}] {0} ← {2}")
    @MethodSource("rewards")
    void rewardMatchesHandComputedValue(String spec, Map<String, Object> item, List<String> outputs, double[] expected) {
        Grader g = GraderTests.compile(json(spec));
        List<RewardResult> results = outputs.size() == 1 ? List.of(GraderTests.scoreOne(g, item, outputs.get(0)))
                : GraderTests.scoreGroup(g, item, outputs, ScoringContext.NONE);
        double[] actual = results.stream().mapToDouble(RewardResult::reward).toArray();
        assertThat(actual).containsExactly(expected, within(EPS));
    }

    @Test
    void thresholdedSimilarityKeepsTheRawSimilarityAsItsSubReward() {
        Grader g = GraderTests.compile(json(sim("fuzzy_ratio", null, "sitting", ",'pass_threshold':0.5")));
        RewardResult r = GraderTests.scoreOne(g, Map.of(), "kitten");
        assertThat(r.reward()).isEqualTo(1.0);
        assertThat(r.subRewards()).containsOnlyKeys("sim");
        assertThat(r.subRewards().get("sim")).isCloseTo(4.0 / 7, within(EPS));
    }

    @Test
    void checksWeighEachGroupOnItsOwnAndRecordEveryCheck() {
        Grader g = GraderTests.compile(json(abcChecks("")));
        // Two groups of two. Group A ("abc", "a"): p = (1, 1/2, 1/2), u = (0.05, 0.55, 0.55), w = (1, 11, 11)/23.
        // Group B ("ab", "x"): p = (1/2, 1/2, 0), u = (0.55, 0.55, 1.05), w = (11, 11, 21)/43.
        List<RewardResult> r = new GraderRewardFunction(g).score(new RewardBatch(List.of(Map.of(), Map.of(), Map.of(),
                Map.of()), List.of("abc", "a", "ab", "x"), 2, ScoringContext.NONE));
        assertThat(r.stream().mapToDouble(RewardResult::reward).toArray())
                .containsExactly(new double[] {1.0, 0.5 / 23, 0.5 * 22 / 43, 0.0}, within(EPS));
        assertThat(r.get(2).subRewards()).containsEntry("has_a", 1.0).containsEntry("has_b", 1.0)
                .containsEntry("has_c", 0.0).containsKey("abc");
        assertThat(r.get(2).subRewards().get("abc")).isCloseTo(0.5 * 22 / 43, within(EPS));
    }

    @Test
    void overlongTextsAreAnInputTooLongErrorNotAQuadraticScan() {
        String grader = "{\"type\":\"text_similarity\",\"name\":\"sim\",\"reference\":\"{{item.answer}}\","
                + "\"metric\":\"fuzzy_ratio\"}";
        RewardResult r = GraderTests.scoreOne(GraderTests.compile(grader), Map.of("answer", "a".repeat(10_001)),
                "b".repeat(1_000_000));
        assertThat(r.reward()).isZero();
        assertThat(r.errors()).extracting(RewardError::kind).containsExactly("input_too_long");
    }

    @Test
    void gatedRecordsDenseSubRewardsEvenWhenTheGateIsShut() {
        RewardResult r = GraderTests.scoreOne(GraderTests.compile(json(gated(""))), Map.of("answer", "42"), "please 41");
        assertThat(r.reward()).isEqualTo(0.0);
        assertThat(r.subRewards()).containsEntry("exact", 0.0).containsEntry("polite", 1.0)
                .containsEntry("nonempty", 1.0).containsEntry("g", 0.0);
    }

    @Test
    void formulaErrorsScoreZeroWithTheirKind() {
        assertThat(formulaErrors("sim / exact")).extracting(RewardError::kind).containsExactly("formula");
        assertThat(formulaErrors("sim / exact").get(0).message()).startsWith("total: formula 'sim / exact' failed:");
        assertThat(formulaErrors("sim * 1e400")).extracting(RewardError::kind).containsExactly("non_finite");
        assertThat(formulaErrors("0 ^ (-1) + sim")).extracting(RewardError::kind).containsExactly("formula");
        assertThat(formulaErrors("sqrt(sim - 1)")).extracting(RewardError::kind).containsExactly("formula");
        // Huge magnitudes are refused before BigDecimal work that would take minutes per sample.
        long t0 = System.nanoTime();
        for (String hostile : List.of("floor(10^600000000) + sim", "ceiling(1e600000000) + sim", "(10^300)^1000 + sim",
                "sim ^ 100000")) {
            assertThat(formulaErrors(hostile)).as(hostile).extracting(RewardError::kind).containsExactly("formula");
        }
        assertThat((System.nanoTime() - t0) / 1e9).isLessThan(5.0);
        RewardResult ok = GraderTests.scoreOne(GraderTests.compile(json(formula("0.5 * sim"))), SITTING, "kitten");
        assertThat(ok.errors()).isEmpty();
        assertThat(ok.subRewards()).containsEntry("exact", 0.0).containsKeys("sim", "total");
        assertThat(ok.subRewards().get("total")).isCloseTo(2.0 / 7, within(EPS));
    }

    static List<RewardError> formulaErrors(String f) {
        RewardResult r = GraderTests.scoreOne(GraderTests.compile(json(formula(f))), SITTING, "kitten");
        assertThat(r.reward()).isEqualTo(0.0);
        return r.errors();
    }

    @Test
    void formulaIsThreadSafeAndFast() throws Exception {
        Grader g = GraderTests.compile(json(formula("0.7*exact + 0.3*max(sim, 0)")));
        int threads = 4;
        int perThread = 2_000;
        List<Thread> workers = new ArrayList<>();
        double[][] got = new double[threads][perThread];
        for (int t = 0; t < threads; t++) {
            int id = t;
            workers.add(new Thread(() -> {
                for (int i = 0; i < perThread; i++) {
                    // thread t alternates an exact answer (1.0) and "kitten" (0.3·4/7)
                    got[id][i] = GraderTests.scoreOne(g, SITTING, (i + id) % 2 == 0 ? "sitting" : "kitten").reward();
                }
            }));
        }
        workers.forEach(Thread::start);
        for (Thread w : workers) {
            w.join();
        }
        for (int t = 0; t < threads; t++) {
            for (int i = 0; i < perThread; i++) {
                assertThat(got[t][i]).isCloseTo((i + t) % 2 == 0 ? 1.0 : 0.3 * 4 / 7, within(EPS));
            }
        }
        // Speed: one batch of 4,096 samples; the formula is parsed once, each sample binds 2 values in a copy.
        int n = 4096;
        List<Map<String, Object>> items = java.util.Collections.nCopies(n, SITTING);
        List<String> outputs = java.util.Collections.nCopies(n, "kitten");
        GraderRewardFunction fn = new GraderRewardFunction(g);
        RewardBatch batch = new RewardBatch(items, outputs, 8, ScoringContext.NONE);
        fn.score(batch); // warm-up
        long t0 = System.nanoTime();
        fn.score(batch);
        double microsPerSample = (System.nanoTime() - t0) / 1e3 / n;
        System.out.printf("multi formula: %.2f µs per sample (fuzzy + exact + formula)%n", microsPerSample);
        assertThat(microsPerSample).isLessThan(1000);
    }

    static Stream<Arguments> invalid() {
        String ok = sim("fuzzy_ratio", "r");
        return Stream.of(
                // text_similarity
                Arguments.of("{'type':'text_similarity','name':'s','metric':'bleu'}", "/grader/reference", "is required"),
                Arguments.of("{'type':'text_similarity','name':'s','reference':'r'}", "/grader/metric", "is required"),
                Arguments.of(sim("jaccard", "r"), "/grader/metric", "must be one of [fuzzy_ratio, bleu, rouge_l, char_ngram_cosine]"),
                Arguments.of(sim("bleu", null, "r", ",'n':2"), "/grader/n", "only applies to metric char_ngram_cosine"),
                Arguments.of(sim("char_ngram_cosine", null, "r", ",'n':0"), "/grader/n", "must be a whole number from 1 to 32"),
                Arguments.of(sim("char_ngram_cosine", null, "r", ",'n':'3'"), "/grader/n", "must be a whole number"),
                Arguments.of(sim("char_ngram_cosine", null, "r", ",'n':2.5"), "/grader/n", "must be a whole number"),
                Arguments.of(sim("fuzzy_ratio", null, "r", ",'pass_threshold':1.5"), "/grader/pass_threshold",
                        "must be a number from 0 to 1"),
                Arguments.of(sim("fuzzy_ratio", "{{sample.text}}", "r", ""), "/grader/input", "unknown placeholder"),
                Arguments.of(sim("fuzzy_ratio", null, "r", ",'extra':1"), "/grader/extra", "unknown field"),
                // checks
                Arguments.of("{'type':'checks','name':'c','checks':[]}", "/grader/checks", "non-empty array"),
                Arguments.of("{'type':'checks','name':'c','checks':{'a':" + ok + "}}", "/grader/checks", "non-empty array"),
                Arguments.of("{'type':'checks','name':'c','checks':[" + like("a", "a") + ",{'type':'nope'}]}",
                        "/grader/checks/1/type", "unknown grader type 'nope'"),
                Arguments.of("{'type':'checks','name':'c','checks':[" + like("a", "a") + "," + like("a", "b") + "]}",
                        "/grader/checks/1/name", "duplicate grader name 'a'"),
                Arguments.of(abcChecks(",'outcome_weight':2"), "/grader/outcome_weight", "must be a number from 0 to 1"),
                Arguments.of(abcChecks(",'delta':-0.1"), "/grader/delta", "must be a number from 0 to 1"),
                Arguments.of(abcChecks(",'pass_threshold':'x'"), "/grader/pass_threshold", "must be a finite number"),
                // gated
                Arguments.of("{'type':'gated','name':'g','dense':{'d':" + ok + "}}", "/grader/outcome", "is required"),
                Arguments.of("{'type':'gated','name':'g','outcome':" + EXACT + "}", "/grader/dense", "non-empty object"),
                Arguments.of(gated(",'threshold':'high'"), "/grader/threshold", "must be a finite number"),
                Arguments.of("{'type':'gated','name':'g','outcome':" + EXACT + ",'dense':{'d':" + ok + "},'weights':{'zz':1}}",
                        "/grader/weights/zz", "no grader named 'zz' in dense"),
                Arguments.of("{'type':'gated','name':'g','outcome':" + EXACT + ",'dense':{'d':{'type':'x'}}}",
                        "/grader/dense/d/type", "unknown grader type"),
                // multi formula
                Arguments.of(formula("0.7*exact +"), "/grader/formula", "does not parse: Missing second operand for operator"),
                Arguments.of(formula("(sim"), "/grader/formula", "does not parse: Closing brace not found"),
                Arguments.of(formula("exact + foo * bar"), "/grader/formula", "unknown grader keys [bar, foo]"),
                Arguments.of(formula("total + exact"), "/grader/formula", "cycle: the formula names this multi grader's own name 'total'"),
                Arguments.of(formula("random()"), "/grader/formula", "does not parse: Undefined function 'random'"),
                Arguments.of(formula("fact(5) * sim"), "/grader/formula", "does not parse: Undefined function 'fact'"),
                Arguments.of(formula("2sim"), "/grader/formula", "does not parse"),
                Arguments.of(formula("max(sim)" + " + 0".repeat(400)), "/grader/formula", "must be at most 1000 characters"),
                Arguments.of(formula("sim.x"), "/grader/formula", "does not parse"),
                Arguments.of("{'type':'multi','name':'t','graders':{'a':" + EXACT + "},'formula':3}", "/grader/formula",
                        "must be a string"),
                Arguments.of("{'type':'multi','name':'t','graders':{'a':" + EXACT + "},'formula':'a','weights':{'a':1}}",
                        "/grader/formula", "give either formula or weights"),
                Arguments.of("{'type':'multi','name':'t','graders':{'a':" + EXACT + ",'A':" + ok + "},'formula':'a'}",
                        "/grader/formula", "differ only in case"));
    }

    @ParameterizedTest(name = "[{index}] {1}: {2}")
    @MethodSource("invalid")
    void invalidSpecIsRejectedWithItsPointer(String spec, String pointer, String detail) {
        GraderCompiler.Result r = GraderTests.COMPILER.compile(GraderTests.JSON.readTree(json(spec)), "/grader");
        assertThat(r.valid()).isFalse();
        assertThat(r.violations()).extracting(Violation::pointer).containsExactly(pointer);
        assertThat(r.violations().get(0).reason()).contains(detail);
    }

    @Test
    void stringLiteralsInFormulasAreRejected() {
        String spec = "{\"type\":\"multi\",\"name\":\"t\",\"graders\":{\"a\":" + json(EXACT) + "},\"formula\":\"a + \\\"x\\\"\"}";
        GraderCompiler.Result r = GraderTests.COMPILER.compile(GraderTests.JSON.readTree(spec), "/grader");
        assertThat(r.violations()).extracting(Violation::pointer).containsExactly("/grader/formula");
        assertThat(r.violations().get(0).reason()).contains("string literals are not allowed");
    }
}
