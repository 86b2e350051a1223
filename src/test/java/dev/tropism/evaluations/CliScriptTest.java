package dev.tropism.evaluations;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * {@code tools/tropism-eval} run as a process against the live service: the exit codes CI relies on (0 passed,
 * 1 failed, 2 error) and what it prints. Needs bash, curl and jq on the PATH ({@code .ci/run} installs them).
 */
@TropismIntegrationTest
class CliScriptTest {

    @LocalServerPort
    int port;

    @Autowired
    TropismTestClient api;

    @TempDir
    Path tmp;

    @BeforeAll
    static void toolsAreInstalled() throws Exception {
        TropismEvalCli.requireTools();
    }

    @Test
    void badUsageExitsTwoWithTheReason() throws Exception {
        TropismEvalCli.Result noCandidate = cli("key", "run", "--suite", "gate");
        assertThat(noCandidate.exit()).isEqualTo(2);
        assertThat(noCandidate.err()).contains("run needs --candidate").contains("--help");

        assertThat(cli("key", "run", "--suite", "gate", "--candidate", "rs_1", "--timeout", "soon").err())
                .contains("--timeout must be a whole number of seconds");
        assertThat(cli("key", "deploy").exit()).isEqualTo(2);
        assertThat(cli("key").exit()).isEqualTo(2);
        TropismEvalCli.Result noKey = cli("", "run", "--suite", "gate", "--candidate", "rs_1");
        assertThat(noKey.exit()).isEqualTo(2);
        assertThat(noKey.err()).contains("no API key");
        assertThat(cli("key", "promote", "a@production", "rs_1").err()).contains("needs --require-suite");

        TropismEvalCli.Result help = cli("key", "--help");
        assertThat(help.exit()).isZero();
        assertThat(help.out()).contains("tropism-eval run --suite SUITE --candidate CANDIDATE").contains("Exit status");
    }

    @Test
    void unreachableServiceExitsTwo() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort(); // free now, closed when the script calls it
        }
        TropismEvalCli.Result r = cli("key", "run", "--suite", "gate", "--candidate", "rs_1", "--url",
                "http://127.0.0.1:" + closed);
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("cannot reach http://127.0.0.1:" + closed);
    }

    @Test
    void unknownSuiteOrWrongKeyExitsTwoWithTheProblem() throws Exception {
        TropismTestClient.Team team = api.newTeam("cli-errors");
        TropismEvalCli.Result r = cli(team.key(), "run", "--suite", "no-such-suite", "--candidate",
                "rs_0000000000000000");
        assertThat(r.exit()).isEqualTo(2);
        // the problem detail's title, code and detail, whichever 4xx the service gives (404 for the suite; before
        // the evaluations REST exists, 404 for the path)
        assertThat(r.err()).containsPattern("error: POST /v1/evaluations answered HTTP 4\\d\\d\n  .+ \\([a-z_]+\\): ");

        TropismEvalCli.Result wrongKey = cli("tro_not-a-key", "run", "--suite", "gate", "--candidate", "rs_1");
        assertThat(wrongKey.exit()).isEqualTo(2);
        assertThat(wrongKey.err()).contains("answered HTTP 401").contains("(unauthorized)");
    }

    @Test
    void uploadSpecPrintsTheIdOrTheInvalidFields() throws Exception {
        TropismTestClient.Team team = api.newTeam("cli-specs");
        Path spec = tmp.resolve("spec.json");
        Files.writeString(spec, """
                {"name": "longer-is-better", "grader": {"type": "length", "name": "len", "min": 100, "falloff": 100}}
                """);
        TropismEvalCli.Result ok = cli(team.key(), "upload-spec", spec.toString());
        assertThat(ok.exit()).as(ok.err()).isZero();
        String id = ok.out().strip();
        assertThat(id).startsWith("rs_");
        assertThat(team.calls().get("/v1/reward-specs/" + id).json().get("name").asString()).isEqualTo("longer-is-better");

        Files.writeString(spec, "{\"name\": \"broken\", \"grader\": {\"type\": \"length\", \"unit\": \"parsecs\"}}");
        TropismEvalCli.Result invalid = cli(team.key(), "upload-spec", spec.toString());
        assertThat(invalid.exit()).isEqualTo(2);
        assertThat(invalid.err()).contains("answered HTTP 422").contains("(validation_failed)").contains("/grader/");

        Files.writeString(spec, "not json");
        assertThat(cli(team.key(), "upload-spec", spec.toString()).err()).contains("is not a JSON object");
    }

    /**
     * Exit 0 for a passing candidate and 1 for a failing one, with their JUnit reports, and a gated promotion
     * accepted (0) or refused (1). Written against the REST contract of issue 16; it needs {@code /v1/eval-suites},
     * {@code /v1/evaluations} and {@code /v1/aliases}.
     */
    @Test
    void passedExitsZeroFailedExitsOneAndPromotionIsGated() throws Exception {
        TropismTestClient.Team team = api.newTeam("cli-gate");
        // every chosen answer is longer than its rejected one
        StringBuilder pairs = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            pairs.append("{\"prompt\":\"q").append(i).append("\",\"chosen\":\"a long and careful answer number ")
                    .append(i).append("\",\"rejected\":\"no\"}\n");
        }
        ApiResponse ds = team.calls().upload("/v1/datasets", "pairs.jsonl", pairs.toString().getBytes(StandardCharsets.UTF_8),
                Map.of("purpose", "preferences", "name", "cli-pairs"));
        assertThat(ds.status()).as(ds.toString()).isEqualTo(201);
        ApiResponse suite = team.calls().post("/v1/eval-suites", Map.of("name", "cli-gate", "preferences",
                ds.json().get("id").asString(), "thresholds", Map.of("min_pairwise_accuracy", 0.9)));
        assertThat(suite.status()).as(suite.toString()).isEqualTo(201);

        TropismEvalCli script = new TropismEvalCli("http://127.0.0.1:" + port, tmp);
        String longer = script.uploadSpec(team.key(), "longer", "{\"type\":\"length\",\"name\":\"len\",\"min\":100,\"falloff\":100}");
        String shorter = script.uploadSpec(team.key(), "shorter", "{\"type\":\"length\",\"name\":\"len\",\"max\":0,\"falloff\":100}");

        Path passedJunit = tmp.resolve("reports/passed.xml");
        TropismEvalCli.Result passed = cli(team.key(), "run", "--suite", "cli-gate", "--candidate", longer,
                "--junit",
                passedJunit.toString(), "--markdown", tmp.resolve("reports/passed.md").toString(), "--timeout", "120");
        assertThat(passed.exit()).as(passed.out() + passed.err()).isZero();
        assertThat(passed.out()).contains("verdict: PASSED").contains("completed");
        assertThat(failures(passedJunit)).isEmpty();
        assertThat(Files.readString(tmp.resolve("reports/passed.md"))).contains("✅ Evaluation passed");

        // A report that cannot be written is an error (2), never a failed verdict (1).
        Files.writeString(tmp.resolve("not-a-dir"), "x");
        TropismEvalCli.Result unwritable = cli(team.key(), "run", "--suite", "cli-gate", "--candidate", longer,
                "--junit", tmp.resolve("not-a-dir/passed.xml").toString(), "--timeout", "120");
        assertThat(unwritable.exit()).as(unwritable.out() + unwritable.err()).isEqualTo(2);

        Path failedJunit = tmp.resolve("reports/failed.xml");
        TropismEvalCli.Result failed = cli(team.key(), "run", "--suite", "cli-gate", "--candidate", shorter,
                "--junit",
                failedJunit.toString(), "--timeout", "120");
        assertThat(failed.exit()).as(failed.out() + failed.err()).isEqualTo(1);
        assertThat(failed.out()).contains("verdict: FAILED").contains("✗ min_pairwise_accuracy: 0 (threshold 0.9)");
        assertThat(failures(failedJunit)).containsExactly("min_pairwise_accuracy");

        TropismEvalCli.Result refused = cli(team.key(), "promote", "cli@production", shorter, "--require-suite",
                "cli-gate");
        assertThat(refused.exit()).as(refused.out() + refused.err()).isEqualTo(1);
        assertThat(refused.out()).contains("promotion refused").contains("(evaluation_required)");
        TropismEvalCli.Result promoted = cli(team.key(), "promote", "cli@production", longer, "--require-suite",
                "cli-gate");
        assertThat(promoted.exit()).as(promoted.out() + promoted.err()).isZero();
        assertThat(promoted.out()).contains("cli@production → " + longer);
    }

    /** The names of the failed test cases of a JUnit report. */
    private static List<String> failures(Path junit) throws Exception {
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(junit.toFile());
        NodeList cases = doc.getElementsByTagName("testcase");
        List<String> failed = new ArrayList<>();
        for (int i = 0; i < cases.getLength(); i++) {
            Element c = (Element) cases.item(i);
            if (c.getElementsByTagName("failure").getLength() > 0) {
                failed.add(c.getAttribute("name"));
            }
        }
        return failed;
    }

    private TropismEvalCli.Result cli(String key, String... args) throws Exception {
        return new TropismEvalCli("http://127.0.0.1:" + port, tmp).run(key, args);
    }
}
