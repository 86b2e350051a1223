package dev.tropism.rewards;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.tropism.engine.RewardError;
import dev.tropism.engine.RewardResult;
import dev.tropism.engine.ScoringContext;
import dev.tropism.web.Violation;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code likelihood} and {@code shaped}: the graders that ask the run's models through the scoring context. */
class ModelGradersTest {

    /**
     * A scripted model: the mean log-prob of a target is −(length of the context)/10 − (target length)/100,
     * and its mean probability 1/(1 + context length); reference completions are fixed per prompt.
     */
    static final class ScriptedContext implements ScoringContext {
        final List<String> seenContexts = new ArrayList<>();
        final Map<String, List<String>> references;

        ScriptedContext(Map<String, List<String>> references) {
            this.references = references;
        }

        @Override
        public Likelihood[] likelihoods(List<String> contexts, List<String> targets) {
            Likelihood[] out = new Likelihood[contexts.size()];
            for (int i = 0; i < out.length; i++) {
                seenContexts.add(contexts.get(i));
                int tokens = targets.get(i).length();
                out[i] = new Likelihood(-contexts.get(i).length() / 10.0 - tokens / 100.0,
                        1.0 / (1 + contexts.get(i).length()), tokens);
            }
            return out;
        }

        @Override
        public List<String> referenceCompletions(Map<String, Object> item, int m) {
            return references.get(String.valueOf(item.get("prompt"))).subList(0, m);
        }
    }

    static final Map<String, Object> ITEM = Map.of("prompt", "2+2=", "answer", "4");

    @Test
    void likelihoodIsTheMeanLogProbOfTheReferenceAfterPromptAndCompletion() {
        Grader g = GraderTests.compile("{\"type\":\"likelihood\",\"name\":\"lik\",\"reference\":\"{{item.answer}}\","
                + "\"separator\":\" so \"}");
        ScriptedContext ctx = new ScriptedContext(Map.of());
        List<RewardResult> r = GraderTests.scoreGroup(g, ITEM, List.of("abc", ""), ctx);
        // context "2+2=abc so " has 11 characters, target "4" one: −1.1 − 0.01
        assertThat(r.get(0).reward()).isCloseTo(-1.11, within(1e-12));
        assertThat(r.get(0).subRewards()).containsEntry("lik", r.get(0).reward());
        assertThat(r.get(1).reward()).isCloseTo(-0.81, within(1e-12)); // "2+2= so " has 8
        assertThat(ctx.seenContexts).containsExactly("2+2=abc so ", "2+2= so ");
    }

    @Test
    void debiasedLikelihoodSubtractsThePromptOnlyLikelihoodAndProbModeUsesMeanProbability() {
        Grader debiased = GraderTests.compile("{\"type\":\"likelihood\",\"name\":\"lik\",\"reference\":\"{{item.answer}}\","
                + "\"debias\":true}");
        RewardResult r = GraderTests.scoreGroup(debiased, ITEM, List.of("abc"), new ScriptedContext(Map.of())).get(0);
        // (−0.7 − 0.01) − (−0.4 − 0.01) = −0.3: the completion's three characters cost 0.3 nats
        assertThat(r.reward()).isCloseTo(-0.3, within(1e-12));

        Grader prob = GraderTests.compile("{\"type\":\"likelihood\",\"name\":\"p\",\"reference\":\"{{item.answer}}\","
                + "\"mode\":\"prob\"}");
        assertThat(GraderTests.scoreGroup(prob, ITEM, List.of("abc"), new ScriptedContext(Map.of())).get(0).reward())
                .isCloseTo(1.0 / 8, within(1e-12));
    }

    @Test
    void likelihoodWithoutAModelOrWithoutTheFieldIsAnErrorScoringZero() {
        Grader g = GraderTests.compile("{\"type\":\"likelihood\",\"name\":\"lik\",\"reference\":\"{{item.answer}}\"}");
        RewardResult none = GraderTests.scoreOne(g, ITEM, "abc");
        assertThat(none.reward()).isZero();
        assertThat(none.errors()).extracting(RewardError::kind).containsExactly("unsupported");
        RewardResult missing = GraderTests.scoreGroup(g, Map.of("prompt", "x"), List.of("abc"),
                new ScriptedContext(Map.of())).get(0);
        assertThat(missing.errors()).extracting(RewardError::kind).containsExactly("missing_field");
    }

    static final String EXACT_A = "{\"type\":\"string_check\",\"name\":\"exact\",\"input\":\"{{sample.output_text}}\","
            + "\"reference\":\"a\",\"operation\":\"eq\"}";

    @Test
    void parAveragesSigmoidsAgainstEachReferenceAndCenteredSquashesTheDifferenceOfMeans() {
        // references score [1, 0, 0, 0] under the inner grader
        ScriptedContext ctx = new ScriptedContext(Map.of("2+2=", List.of("a", "b", "c", "d")));
        Grader par = GraderTests.compile("{\"type\":\"shaped\",\"name\":\"par\",\"grader\":" + EXACT_A + "}");
        List<RewardResult> r = GraderTests.scoreGroup(par, ITEM, List.of("a", "z"), ctx);
        double s1 = 1 / (1 + Math.exp(-1.0));
        assertThat(r.get(0).reward()).isCloseTo((0.5 + 3 * s1) / 4, within(1e-12)); // r = 1
        assertThat(r.get(1).reward()).isCloseTo((1 - s1 + 3 * 0.5) / 4, within(1e-12)); // r = 0
        assertThat(r.get(0).subRewards()).containsEntry("exact", 1.0);

        Grader centered = GraderTests.compile("{\"type\":\"shaped\",\"name\":\"c\",\"variant\":\"centered\",\"k\":2,"
                + "\"references\":2,\"grader\":" + EXACT_A + "}");
        // first two references: [1, 0], mean 0.5: σ(2 · (1 − 0.5)) = σ(1)
        assertThat(GraderTests.scoreGroup(centered, ITEM, List.of("a"), ctx).get(0).reward()).isCloseTo(s1, within(1e-12));
    }

    @Test
    void shapedRewardIsBoundedEvenForHugeProxyRewards() {
        ScriptedContext ctx = new ScriptedContext(Map.of("2+2=", List.of("", "", "", "")));
        Grader par = GraderTests.compile("{\"type\":\"shaped\",\"name\":\"par\",\"grader\":{\"type\":\"multi\",\"name\":\"m\","
                + "\"graders\":{\"x\":" + EXACT_A + "},\"weights\":{\"x\":1e300}}}");
        double v = GraderTests.scoreGroup(par, ITEM, List.of("a"), ctx).get(0).reward();
        assertThat(v).isGreaterThan(0.99).isLessThanOrEqualTo(1.0);
    }

    @Test
    void invalidFieldsAreReportedWithPointers() {
        GraderCompiler.Result r = GraderTests.COMPILER.compile(GraderTests.JSON.readTree(
                "{\"type\":\"shaped\",\"name\":\"s\",\"variant\":\"log\",\"references\":0,\"k\":-1,\"grader\":"
                        + "{\"type\":\"likelihood\",\"name\":\"l\",\"mode\":\"nats\",\"debias\":\"yes\"}}"), "/grader");
        assertThat(r.violations()).extracting(Violation::pointer).containsExactlyInAnyOrder("/grader/variant",
                "/grader/references", "/grader/k", "/grader/grader/reference", "/grader/grader/mode",
                "/grader/grader/debias");
    }
}
