package dev.tropism.evaluations;

import static dev.tropism.jobs.RealEngineJobs.awaitModelReady;
import static dev.tropism.jobs.RealEngineJobs.awaitSucceeded;
import static dev.tropism.jobs.RealEngineJobs.exactMatchSpec;
import static dev.tropism.jobs.RealEngineJobs.lines;
import static dev.tropism.jobs.RealEngineJobs.upload;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import dev.tropism.support.TropismTestClient.Team;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import tools.jackson.databind.JsonNode;

/**
 * The gate, end to end on the real engine and PostgreSQL: a suite on the arithmetic task (1-digit addition)
 * with exact match as the gold judge, and two candidates. The honest one is a reward model trained by a
 * {@code reward_model} job on correct-versus-wrong pairs (the policy's own wrong samples against the answers); the
 * hackable one is a spec that rewards length. The honest
 * one passes; the hackable one fails on {@code min_gold_correlation} and the over-optimization probe, and the JUnit
 * report names those cases. Then an alias move that requires the suite is refused for the hackable candidate (409
 * naming its evaluation) and accepted for the honest one, and the alias then names the candidate of an evaluation.
 */
@TropismIntegrationTest
@TestPropertySource(properties = {"tropism.jobs.poll-interval=50ms", "tropism.evaluations.poll-interval=100ms"})
class RewardGateTest {

    private static final Duration TIMEOUT = Duration.ofMinutes(4);

    @Autowired TropismTestClient api;

    @Test
    void honestRewardModelPassesAndHackableSpecFailsTheGate() throws Exception {
        Team team = api.newTeam("gate");
        // The demo's arithmetic task with 1-digit operands (answers least-significant digit first: "7+8=" -> "51").
        // The policy is pretrained on all 100 problems and stopped early, so that its samples are right about half
        // the time: the gold judge (exact match) has something to tell apart. The honest reward model learns from the
        // policy's own mistakes on all 100 problems against their answers (a model this small does not learn addition
        // from 70 problems well enough to judge the other 30); the suite's prompts are 30 of the problems, and its
        // pairs are new ones on those 30 (the answer against any other number).
        List<Map<String, Object>> problems = new ArrayList<>();
        for (int a = 0; a < 10; a++) {
            for (int b = 0; b < 10; b++) {
                problems.add(Map.of("prompt", a + "+" + b + "=", "answer",
                        new StringBuilder(String.valueOf(a + b)).reverse().toString()));
            }
        }
        java.util.Collections.shuffle(problems, new Random(11));
        List<Map<String, Object>> heldOut = problems.subList(0, 30);
        List<Map<String, Object>> seen = problems.subList(30, 100);
        StringBuilder text = new StringBuilder();
        for (int copy = 0; copy < 4; copy++) {
            for (Map<String, Object> p : problems) {
                text.append(dev.tropism.jobs.RealEngineJobs.JSON.writeValueAsString(Map.of("text",
                        p.get("prompt") + (String) p.get("answer")))).append('\n');
            }
        }
        String corpus = upload(team, text.toString(), "corpus");
        String trainPrompts = upload(team, lines(seen), "prompts");
        String evalPrompts = upload(team, lines(heldOut), "prompts");
        String gold = exactMatchSpec(team);
        String policy = pretrainBase(team, corpus, trainPrompts, gold);

        String trainPairs = upload(team, lines(ownMistakes(team, policy, problems, new Random(1))), "preferences");
        String heldOutPairs = upload(team, lines(pairs(heldOut, 2, false, new Random(2))), "preferences");
        String honest = trainRewardModel(team, policy, trainPairs, heldOutPairs);
        String hackable = team.calls().post("/v1/reward-specs", Map.of("name", "longer-is-better", "grader",
                Map.of("type", "length", "name", "long", "min", 4, "max", 4, "falloff", 4))).json().get("id").asString();

        Map<String, Object> thresholds = new LinkedHashMap<>();
        thresholds.put("min_pairwise_accuracy", 0.75);
        thresholds.put("min_gold_correlation", 0.2);
        thresholds.put("max_overoptimization", 0.02);
        thresholds.put("max_p95_latency_ms", 5000);
        Map<String, Object> suiteBody = new LinkedHashMap<>();
        suiteBody.put("name", "arith-gate");
        suiteBody.put("preferences", heldOutPairs);
        suiteBody.put("prompts", evalPrompts);
        suiteBody.put("gold_reward_spec", gold);
        suiteBody.put("policy", policy);
        suiteBody.put("n_samples", 16);
        suiteBody.put("max_prompts", 24);
        suiteBody.put("max_new_tokens", 4);
        suiteBody.put("temperature", 0.5);
        suiteBody.put("seed", 7);
        suiteBody.put("thresholds", thresholds);
        ApiResponse suite = team.calls().post("/v1/eval-suites", suiteBody);
        assertThat(suite.status()).as(suite.toString()).isEqualTo(201);
        assertThat(suite.json().get("version").asInt()).isEqualTo(1);
        String suiteId = suite.json().get("id").asString();

        JsonNode honestRun = evaluate(team, "arith-gate", honest);
        JsonNode hackableRun = evaluate(team, suiteId, hackable);
        JsonNode honestReport = team.calls().get("/v1/evaluations/" + honestRun.get("id").asString() + "/report").json();
        JsonNode hackableReport = team.calls().get("/v1/evaluations/" + hackableRun.get("id").asString() + "/report")
                .json();
        Path out = Path.of("target", "gate-reports");
        Files.createDirectories(out);
        Files.writeString(out.resolve("honest.json"), honestReport.toPrettyString());
        Files.writeString(out.resolve("hackable.json"), hackableReport.toPrettyString());

        assertThat(honestRun.get("verdict").asString()).as("honest: %s", honestReport).isEqualTo("passed");
        assertThat(honestRun.get("failed_thresholds")).isEmpty();
        assertThat(hackableRun.get("verdict").asString()).as("hackable: %s", hackableReport).isEqualTo("failed");
        Set<String> failed = new java.util.HashSet<>();
        hackableRun.get("failed_thresholds").forEach(f -> failed.add(f.get("name").asString()));
        assertThat(failed).contains("min_gold_correlation", "max_overoptimization");

        // The numbers behind the verdicts.
        JsonNode h = honestReport.get("candidate");
        JsonNode k = hackableReport.get("candidate");
        assertThat(h.get("pairwise").get("accuracy").asDouble()).isGreaterThanOrEqualTo(0.75);
        assertThat(h.get("pairwise").get("ci_low").asDouble()).isLessThanOrEqualTo(h.get("pairwise").get("accuracy")
                .asDouble());
        assertThat(h.get("ece").isNumber()).as("ECE of a reward model").isTrue();
        assertThat(k.get("ece").isNull()).as("no ECE for a spec").isTrue();
        assertThat(h.get("gold").get("spearman").asDouble()).isGreaterThan(k.get("gold").get("spearman").asDouble());
        JsonNode honestCurve = h.get("overoptimization");
        JsonNode hackedCurve = k.get("overoptimization");
        assertThat(honestCurve.get("n")).hasSize(5); // 1..16
        assertThat(last(honestCurve.get("gold"))).as("honest best-of-16 beats best-of-1: %s", honestCurve)
                .isGreaterThan(honestCurve.get("gold").get(0).asDouble());
        assertThat(last(hackedCurve.get("proxy"))).as("the proxy keeps rising: %s", hackedCurve)
                .isGreaterThan(hackedCurve.get("proxy").get(0).asDouble());
        assertThat(hackedCurve.get("drop").asDouble()).isGreaterThan(0.02);
        assertThat(h.get("latency_ms").get("p95").asDouble()).isPositive();

        // JUnit XML: one test case per threshold, the failing ones named.
        ApiResponse junit = team.calls().get("/v1/evaluations/" + hackableRun.get("id").asString()
                + "/report?format=junit");
        assertThat(junit.status()).isEqualTo(200);
        Files.write(out.resolve("hackable-junit.xml"), junit.body());
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(junit.body()));
        NodeList cases = doc.getElementsByTagName("testcase");
        assertThat(cases.getLength()).isEqualTo(4);
        Set<String> failing = new java.util.HashSet<>();
        for (int i = 0; i < cases.getLength(); i++) {
            Element c = (Element) cases.item(i);
            if (c.getElementsByTagName("failure").getLength() > 0) {
                failing.add(c.getAttribute("name"));
            }
        }
        assertThat(failing).isEqualTo(failed);
        ApiResponse markdown = team.calls().get("/v1/evaluations/" + hackableRun.get("id").asString()
                + "/report?format=markdown");
        assertThat(markdown.text()).contains("min_gold_correlation", "/shared/evaluations/",
                "/v1/evaluations/" + hackableRun.get("id").asString() + "/report/curve.png");
        // The report's image link works without the key (a pull-request comment cannot send one), for this
        // evaluation only: a forged or borrowed token is a 404.
        java.util.regex.Matcher link = java.util.regex.Pattern.compile("\\((https?://[^)]+/shared/evaluations/[^)]+)\\)")
                .matcher(markdown.text());
        assertThat(link.find()).as(markdown.text()).isTrue();
        String path = java.net.URI.create(link.group(1)).getRawPath() + "?" + java.net.URI.create(link.group(1))
                .getRawQuery();
        ApiResponse shared = api.anonymous().get(path);
        assertThat(shared.status()).as(shared.toString()).isEqualTo(200);
        assertThat(ImageIO.read(new ByteArrayInputStream(shared.body())).getWidth()).isGreaterThan(100);
        assertThat(api.anonymous().get(path.replace(hackableRun.get("id").asString(), honestRun.get("id").asString()))
                .status()).as("a token of another evaluation").isEqualTo(404);
        assertThat(api.anonymous().get(path.substring(0, path.length() - 6) + "AAAAAA").status()).isEqualTo(404);
        assertThat(api.anonymous().get(path.substring(0, path.indexOf('?'))).status()).isEqualTo(404);
        Files.writeString(out.resolve("hackable.md"), markdown.text());
        Files.writeString(out.resolve("honest.md"), team.calls().get("/v1/evaluations/" + honestRun.get("id").asString()
                + "/report?format=markdown").text());
        for (Map.Entry<String, JsonNode> run : Map.of("honest", honestRun, "hackable", hackableRun).entrySet()) {
            ApiResponse png = team.calls().get("/v1/evaluations/" + run.getValue().get("id").asString()
                    + "/report/curve.png");
            assertThat(png.status()).isEqualTo(200);
            assertThat(ImageIO.read(new ByteArrayInputStream(png.body())).getWidth()).isGreaterThan(100);
            Files.write(out.resolve(run.getKey() + "-curve.png"), png.body());
        }

        // Promotion through an alias gated on the suite.
        ApiResponse refused = team.calls().post("/v1/aliases/arith@production", Map.of("target", hackable,
                "require_passing_suite", "arith-gate"));
        assertThat(refused.status()).as(refused.toString()).isEqualTo(409);
        assertThat(refused.json().get("evaluation").asString()).isEqualTo(hackableRun.get("id").asString());
        assertThat(team.calls().get("/v1/aliases/arith@production").status()).isEqualTo(404);
        ApiResponse promoted = team.calls().post("/v1/aliases/arith@production", Map.of("target", honest,
                "require_passing_suite", "arith-gate"));
        assertThat(promoted.status()).as(promoted.toString()).isIn(200, 201);
        assertThat(promoted.json().get("evaluation").asString()).isEqualTo(honestRun.get("id").asString());

        // The alias now names the candidate of a new evaluation, recorded as such.
        JsonNode viaAlias = team.calls().post("/v1/evaluations", Map.of("suite", "arith-gate", "candidate",
                "arith@production")).json();
        assertThat(viaAlias.get("candidate").get("id").asString()).isEqualTo(honest);
        assertThat(viaAlias.get("candidate").get("alias").asString()).isEqualTo("arith@production");
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!team.calls().get("/v1/evaluations/" + viaAlias.get("id").asString()).json().get("status").asString()
                .equals("completed")) {
            assertThat(System.nanoTime()).as("evaluation %s never completed", viaAlias).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    private static double last(JsonNode array) {
        return array.get(array.size() - 1).asDouble();
    }

    /** Posts an evaluation and waits for it to complete; its final view. */
    static JsonNode evaluate(Team team, String suite, String candidate) throws InterruptedException {
        ApiResponse created = team.calls().post("/v1/evaluations", Map.of("suite", suite, "candidate", candidate));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        assertThat(created.json().get("status").asString()).isIn("queued", "running");
        String id = created.json().get("id").asString();
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (true) {
            JsonNode e = team.calls().get("/v1/evaluations/" + id).json();
            String status = e.get("status").asString();
            if (status.equals("completed")) {
                return e;
            }
            assertThat(status).as("evaluation %s: %s", id, e).isIn("queued", "running");
            assertThat(System.nanoTime()).as("evaluation %s never completed: %s", id, e).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    /** A tiny-gpt pretrained on the corpus until greedy accuracy on the train prompts reaches 0.5 (at most 200 steps). */
    private static String pretrainBase(Team team, String corpus, String prompts, String spec)
            throws InterruptedException {
        Map<String, Object> hp = new LinkedHashMap<>();
        hp.put("n_layer", 2);
        hp.put("n_embd", 64);
        hp.put("n_head", 4);
        hp.put("block_size", 12);
        hp.put("max_steps", 1000);
        hp.put("batch_size", 32);
        hp.put("learning_rate", 3e-3);
        hp.put("warmup_steps", 10);
        hp.put("eval_interval", 20);
        hp.put("eval_max_new_tokens", 4);
        hp.put("stop_at_accuracy", 0.6);
        ApiResponse created = team.calls().post("/v1/models", Map.of("name", "add1", "recipe", "tiny-gpt",
                "dataset", corpus, "eval_dataset", prompts, "reward_spec", spec, "seed", 3, "hyperparameters", hp));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        return awaitModelReady(team, created.json().get("id").asString()).get("id").asString();
    }

    private static String trainRewardModel(Team team, String base, String pairs, String evalPairs)
            throws InterruptedException {
        Map<String, Object> hp = new LinkedHashMap<>();
        hp.put("max_steps", 200);
        hp.put("learning_rate", 3e-3);
        hp.put("eval_interval", 50);
        ApiResponse job = team.calls().post("/v1/jobs", Map.of("model", base, "dataset", pairs, "eval_dataset", evalPairs,
                "seed", 3, "suffix", "rm", "method", Map.of("type", "reward_model", "reward_model", hp)));
        assertThat(job.status()).as(job.toString()).isEqualTo(201);
        JsonNode done = awaitSucceeded(team, job.json().get("id").asString());
        return done.get("result_model").asString();
    }

    /**
     * Correct-versus-wrong pairs as an RLHF team builds them: the policy's own samples of each problem (8 at
     * temperature 1 through {@code /v1/completions}), every distinct wrong one rejected against the answer, topped up
     * with near misses to 8 pairs per problem.
     */
    private static List<Map<String, Object>> ownMistakes(Team team, String policy, List<Map<String, Object>> problems,
            Random rng) {
        List<Map<String, Object>> out = new ArrayList<>();
        int seed = 0;
        for (Map<String, Object> problem : problems) {
            ApiResponse r = team.calls().post("/v1/completions", Map.of("model", policy, "prompt", problem.get("prompt"),
                    "n", 8, "max_tokens", 4, "temperature", 1.0, "seed", seed++));
            assertThat(r.status()).as(r.toString()).isEqualTo(200);
            Set<String> wrong = new java.util.LinkedHashSet<>();
            r.json().get("choices").forEach(c -> wrong.add(c.get("text").asString()));
            wrong.remove(problem.get("answer"));
            List<Map<String, Object>> topUp = pairs(List.of(problem), 8, true, rng);
            for (int k = 0; wrong.size() < 8 && k < topUp.size(); k++) {
                wrong.add((String) topUp.get(k).get("rejected"));
            }
            for (String w : wrong) {
                out.add(Map.of("prompt", problem.get("prompt"), "chosen", problem.get("answer"), "rejected", w));
            }
        }
        return out;
    }

    /**
     * {@code perPrompt} pairs per item: the answer chosen over a wrong one. With {@code nearMisses}, three in four are
     * mistakes the policy makes (the sum off by one; written most-significant digit first, or with a spurious carry)
     * and the rest any other number up to 18; without, all are any other number.
     */
    private static List<Map<String, Object>> pairs(List<Map<String, Object>> items, int perPrompt, boolean nearMisses,
            Random rng) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map<String, Object> item : items) {
            String answer = (String) item.get("answer");
            int sum = Integer.parseInt(new StringBuilder(answer).reverse().toString());
            for (int k = 0; k < perPrompt; k++) {
                String wrong = switch (nearMisses ? k % 4 : 3) {
                    case 0 -> reversed(sum + 1);
                    case 1 -> reversed(Math.abs(sum - 1) == sum ? sum + 2 : Math.abs(sum - 1));
                    case 2 -> sum >= 10 ? String.valueOf(sum) : reversed(sum + 10);
                    default -> reversed(rng.nextInt(19));
                };
                while (wrong.equals(answer)) {
                    wrong = reversed(rng.nextInt(19));
                }
                Map<String, Object> pair = new LinkedHashMap<>();
                pair.put("prompt", item.get("prompt"));
                pair.put("chosen", answer);
                pair.put("rejected", wrong);
                out.add(pair);
            }
        }
        return out;
    }

    private static String reversed(int n) {
        return new StringBuilder(String.valueOf(n)).reverse().toString();
    }
}
