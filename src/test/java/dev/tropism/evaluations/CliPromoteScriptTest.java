package dev.tropism.evaluations;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.rewards.PromotionGate;
import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;

/**
 * {@code tools/tropism-eval promote} against the live aliases REST, with a scripted {@link PromotionGate} standing in
 * for the evaluations' verdicts: 0 when the alias moved, 1 when the gate refused (409 {@code evaluation_required}),
 * 2 for an unknown suite. {@link CliScriptTest} covers the same through real evaluations.
 */
@TropismIntegrationTest
@Import(CliPromoteScriptTest.Config.class)
class CliPromoteScriptTest {

    static final String SUITE_ID = "suite_cli000000000001";

    /** Knows one suite, {@code cli-gate}; passes the targets a test lists, refuses the rest. */
    static final class ScriptedGate implements PromotionGate {

        final Map<String, String> passingEvaluations = new ConcurrentHashMap<>();

        @Override
        public Verdict check(String teamId, String suite, String targetId) {
            if (!suite.equals("cli-gate")) {
                return new Verdict(false, null, null, "no evaluation suite '" + suite + "'");
            }
            String evaluation = passingEvaluations.get(targetId);
            return evaluation != null ? new Verdict(true, evaluation, SUITE_ID, null)
                    : new Verdict(false, "eval_failed0000000001", SUITE_ID, "the newest evaluation of " + targetId
                            + " on cli-gate failed: min_gold_correlation");
        }
    }

    @TestConfiguration
    static class Config {

        @Bean
        @Primary
        ScriptedGate scriptedGate() {
            return new ScriptedGate();
        }
    }

    @LocalServerPort
    int port;

    @Autowired
    TropismTestClient api;

    @Autowired
    ScriptedGate gate;

    @TempDir
    Path tmp;

    @BeforeAll
    static void toolsAreInstalled() throws Exception {
        TropismEvalCli.requireTools();
    }

    @Test
    void promotionExitsZeroWhenAllowedOneWhenRefusedTwoForAnUnknownSuite() throws Exception {
        TropismTestClient.Team team = api.newTeam("cli-promote");
        TropismEvalCli cli = new TropismEvalCli("http://127.0.0.1:" + port, tmp);
        String honest = cli.uploadSpec(team.key(), "honest",
                "{\"type\":\"length\",\"name\":\"len\",\"min\":100,\"falloff\":100}");
        String hackable = cli.uploadSpec(team.key(), "hackable",
                "{\"type\":\"length\",\"name\":\"len\",\"max\":0,\"falloff\":100}");
        gate.passingEvaluations.put(honest, "eval_passed000000001");

        TropismEvalCli.Result refused = cli.run(team.key(), "promote", "arith@production", hackable, "--require-suite",
                "cli-gate");
        assertThat(refused.exit()).as(refused.both()).isEqualTo(1);
        assertThat(refused.out()).contains("promotion refused: arith@production stays where it was")
                .contains("(evaluation_required)").contains("evaluation: eval_failed0000000001, suite: " + SUITE_ID);
        assertThat(team.calls().get("/v1/aliases/arith@production").status()).isEqualTo(404); // nothing moved

        TropismEvalCli.Result promoted = cli.run(team.key(), "promote", "arith@production", honest, "--require-suite",
                "cli-gate");
        assertThat(promoted.exit()).as(promoted.both()).isZero();
        assertThat(promoted.out()).contains("arith@production → " + honest + " (reward_spec), allowed by evaluation "
                + "eval_passed000000001");
        assertThat(team.calls().get("/v1/aliases/arith@production").json().get("target").asString()).isEqualTo(honest);

        TropismEvalCli.Result unknownSuite = cli.run(team.key(), "promote", "arith@production", honest,
                "--require-suite", "no-such-suite");
        assertThat(unknownSuite.exit()).as(unknownSuite.both()).isEqualTo(2);
        assertThat(unknownSuite.err()).contains("answered HTTP 422").contains("/require_passing_suite");
    }
}
