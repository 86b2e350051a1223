package dev.tropism.rewards;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.engine.RewardError;
import dev.tropism.engine.RewardResult;
import dev.tropism.web.Violation;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class GraderTest {

    static final JsonMapper JSON = JsonMapper.builder().build();
    final GraderCompiler compiler = GraderCompiler.standard();

    GraderCompiler.Result compile(String grader) {
        return compiler.compile(JSON.readTree(grader), "/grader");
    }

    RewardResult score(String grader, Map<String, Object> item, String output) {
        GraderCompiler.Result r = compile(grader);
        assertThat(r.violations()).isEmpty();
        return GraderTests.scoreOne(r.grader(), item, output);
    }

    static String check(String op, String reference) {
        return "{\"type\":\"string_check\",\"name\":\"c\",\"input\":\"{{sample.output_text}}\",\"reference\":\""
                + reference + "\",\"operation\":\"" + op + "\"}";
    }

    @Test
    void stringCheckOperations() {
        Map<String, Object> item = Map.of("answer", "Paris");
        assertThat(score(check("eq", "{{item.answer}}"), item, "Paris").reward()).isEqualTo(1.0);
        assertThat(score(check("eq", "{{item.answer}}"), item, "paris").reward()).isEqualTo(0.0);
        assertThat(score(check("ne", "{{item.answer}}"), item, "paris").reward()).isEqualTo(1.0);
        assertThat(score(check("ne", "{{item.answer}}"), item, "Paris").reward()).isEqualTo(0.0);
        assertThat(score(check("like", "{{item.answer}}"), item, "It is Paris.").reward()).isEqualTo(1.0);
        assertThat(score(check("like", "{{item.answer}}"), item, "It is PARIS.").reward()).isEqualTo(0.0);
        assertThat(score(check("ilike", "{{item.answer}}"), item, "It is PARIS.").reward()).isEqualTo(1.0);
        assertThat(score(check("ilike", "{{item.answer}}"), item, "Lyon").reward()).isEqualTo(0.0);
        // literal text around placeholders, numbers rendered as text
        assertThat(score(check("eq", "x={{item.n}}!"), Map.of("n", 42), "x=42!").reward()).isEqualTo(1.0);
    }

    @Test
    void multiWeightsSubRewardsAndDefaults() {
        String multi = "{\"type\":\"multi\",\"name\":\"total\",\"graders\":{"
                + "\"a\":{\"type\":\"string_check\",\"name\":\"exact\",\"input\":\"{{sample.output_text}}\","
                + "\"reference\":\"{{item.answer}}\",\"operation\":\"eq\"},"
                + "\"b\":{\"type\":\"string_check\",\"name\":\"has\",\"input\":\"{{sample.output_text}}\","
                + "\"reference\":\"{{item.answer}}\",\"operation\":\"like\"},"
                + "\"c\":{\"type\":\"string_check\",\"name\":\"nonempty\",\"input\":\"{{sample.output_text}}\","
                + "\"reference\":\"\",\"operation\":\"ne\"}},"
                + "\"weights\":{\"a\":0.7,\"b\":0.2}}";
        RewardResult exact = score(multi, Map.of("answer", "132"), "132");
        assertThat(exact.reward()).isEqualTo(0.7 + 0.2 + 1.0);
        assertThat(exact.subRewards()).containsEntry("exact", 1.0).containsEntry("has", 1.0)
                .containsEntry("nonempty", 1.0).containsEntry("total", 1.9);
        RewardResult partial = score(multi, Map.of("answer", "132"), "1320");
        assertThat(partial.reward()).isEqualTo(0.2 + 1.0);
        assertThat(partial.subRewards()).containsEntry("exact", 0.0).containsEntry("has", 1.0);
        assertThat(compile(multi).itemFields()).containsExactly("answer");
    }

    @Test
    void missingItemFieldIsAnErrorNotAnException() {
        RewardResult r = score(check("eq", "{{item.answer}}"), Map.of("other", "x"), "x");
        assertThat(r.reward()).isEqualTo(0.0);
        assertThat(r.errors()).containsExactly(new RewardError("missing_field", "c: item has no field 'answer'"));
        assertThat(GraderTests.scoreOne(compile(check("eq", "{{item.answer}}")).grader(), Map.of(), "").errors())
                .hasSize(1);
    }

    @Test
    void reportsEveryViolationWithPointers() {
        GraderCompiler.Result r = compile("{\"type\":\"multi\",\"name\":\"t\",\"graders\":{"
                + "\"a\":{\"type\":\"string_check\",\"name\":\"x\",\"input\":\"{{sample.text}}\","
                + "\"reference\":\"{{ item }}\",\"operation\":\"regex\"},"
                + "\"b\":{\"type\":\"nope\"},"
                + "\"c\":{\"type\":\"string_check\",\"input\":\"{{item.q\",\"reference\":\"r\",\"operation\":\"eq\",\"extra\":1}},"
                + "\"weights\":{\"a\":\"high\",\"zz\":1}}");
        assertThat(r.valid()).isFalse();
        assertThat(r.violations()).extracting(Violation::pointer).containsExactlyInAnyOrder(
                "/grader/weights/a", "/grader/weights/zz",
                "/grader/graders/a/input", "/grader/graders/a/reference", "/grader/graders/a/operation",
                "/grader/graders/b/type",
                "/grader/graders/c/extra", "/grader/graders/c/name", "/grader/graders/c/input");
        assertThat(compile("null").violations()).extracting(Violation::pointer).containsExactly("/grader");
        JsonNode noType = JSON.readTree("{\"name\":\"x\"}");
        assertThat(compiler.compile(noType, "/grader").violations()).extracting(Violation::pointer)
                .containsExactly("/grader/type");
        // Grader names become metric names (train/reward/<name>/mean): no slashes, spaces or long names.
        for (String bad : new String[] {"a/b", "has space", "x".repeat(65)}) {
            String spec = "{\"type\":\"string_check\",\"name\":\"" + bad + "\",\"input\":\"{{sample.output_text}}\","
                    + "\"reference\":\"r\",\"operation\":\"eq\"}";
            assertThat(compile(spec).violations()).extracting(Violation::pointer).containsExactly("/grader/name");
        }
    }

    @Test
    void rewardFunctionIsSafeAcrossThreads() throws Exception {
        Grader fn = compile(check("eq", "{{item.answer}}")).grader();
        Thread[] threads = new Thread[4];
        double[] sums = new double[4];
        for (int t = 0; t < threads.length; t++) {
            int idx = t;
            threads[t] = new Thread(() -> {
                for (int i = 0; i < 10_000; i++) {
                    sums[idx] += GraderTests.scoreOne(fn, Map.of("answer", "a" + (i % 2)), "a0").reward();
                }
            });
            threads[t].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(sums).containsOnly(5000.0);
    }

    @Test
    void aLibraryFailureOnOneSampleCostsThatSampleOnly() {
        Grader flaky = new PerSampleGrader("flaky") {
            @Override
            protected double scoreOne(Sample sample) {
                if (sample.outputText().equals("boom")) {
                    throw new IllegalArgumentException("edge case");
                }
                if (sample.outputText().equals("deep")) {
                    throw new StackOverflowError();
                }
                return 1.0;
            }
        };
        var results = GraderTests.scoreGroup(flaky, Map.of(), java.util.List.of("ok", "boom", "deep", "fine"),
                dev.tropism.engine.ScoringContext.NONE);
        assertThat(results).extracting(RewardResult::reward).containsExactly(1.0, 0.0, 0.0, 1.0);
        assertThat(results.get(1).errors()).extracting(RewardError::kind).containsExactly("exception");
        assertThat(results.get(2).errors()).extracting(RewardError::kind).containsExactly("exception");
        assertThat(results.get(3).errors()).isEmpty();
    }
}
