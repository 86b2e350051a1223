package dev.tropism.rewards;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.engine.PolicyFamily;
import dev.tropism.jobs.RunFactory;
import dev.tropism.models.ModelRecord;
import dev.tropism.models.ModelStore;
import dev.tropism.storage.ObjectStore;
import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;
import tools.jackson.databind.JsonNode;

/**
 * Alias moves gated by a {@link PromotionGate} (a scripted one: the evaluations module implements the real one), and
 * jobs that name their reward specs by alias.
 */
@TropismIntegrationTest
@Import(RewardAliasPromotionApiTest.Config.class)
class RewardAliasPromotionApiTest {

    static final String SUITE = "suite_ci0000000001";

    /** Answers what tests scripted per target; knows one suite, {@code ci} ({@value #SUITE}). */
    static final class ScriptedGate implements PromotionGate {

        final Map<String, Verdict> verdicts = new ConcurrentHashMap<>();
        final List<List<String>> calls = new CopyOnWriteArrayList<>();

        @Override
        public Verdict check(String teamId, String suite, String targetId) {
            calls.add(List.of(teamId, suite, targetId));
            if (!suite.equals("ci") && !suite.equals(SUITE)) {
                return new Verdict(false, null, null, "no evaluation suite '" + suite + "'");
            }
            return verdicts.getOrDefault(targetId, new Verdict(false, null, SUITE, "no finished evaluation of "
                    + targetId + " on this suite"));
        }
    }

    @TestConfiguration
    static class Config {

        @Bean
        @Primary
        ScriptedGate scriptedGate() {
            return new ScriptedGate();
        }

        /** Jobs fail as soon as they start: these tests train nothing. */
        @Bean
        @Primary
        RunFactory failingRunFactory() {
            return (job, checkpoint, workDir) -> {
                throw new IOException("this test trains nothing");
            };
        }
    }

    @Autowired TropismTestClient api;
    @Autowired ScriptedGate gate;
    @Autowired ModelStore models;
    @Autowired ObjectStore objects;

    TropismTestClient.Team team;
    String v1;
    String v2;

    @BeforeEach
    void setUp() {
        team = api.newTeam("promo");
        v1 = RewardAliasesApiTest.spec(team, "v1");
        v2 = RewardAliasesApiTest.spec(team, "v2");
    }

    ApiResponse move(String name, String target, String suite) {
        return team.calls().post("/v1/aliases/" + name, Map.of("target", target, "require_passing_suite", suite));
    }

    @Test
    void aMoveThatRequiresAPassingSuiteIsRefusedUntilTheTargetPasses() {
        assertThat(team.calls().post("/v1/aliases/helpfulness@production", Map.of("target", v1)).status())
                .isEqualTo(201);

        // No evaluation yet: 409, evaluation null, nothing moved.
        ApiResponse none = move("helpfulness@production", v2, "ci");
        assertThat(none.status()).as(none.toString()).isEqualTo(409);
        assertThat(none.json().get("code").asString()).isEqualTo("evaluation_required");
        assertThat(none.json().get("evaluation").isNull()).isTrue();
        assertThat(none.json().get("suite").asString()).isEqualTo(SUITE);
        assertThat(none.contentType().toString()).startsWith("application/problem+json");

        // A failed evaluation: 409 naming it.
        gate.verdicts.put(v2, new PromotionGate.Verdict(false, "eval_failed000001", SUITE,
                "min_gold_correlation 0.12 < 0.5"));
        ApiResponse failed = move("helpfulness@production", v2, "ci");
        assertThat(failed.status()).isEqualTo(409);
        assertThat(failed.json().get("evaluation").asString()).isEqualTo("eval_failed000001");
        assertThat(failed.json().get("suite").asString()).isEqualTo(SUITE);
        assertThat(failed.json().get("detail").asString()).contains("eval_failed000001", "min_gold_correlation");
        JsonNode unmoved = team.calls().get("/v1/aliases/helpfulness@production").json();
        assertThat(unmoved.get("target").asString()).isEqualTo(v1);
        assertThat(unmoved.get("history")).hasSize(1);

        // An unknown suite is the request's mistake.
        ApiResponse unknown = move("helpfulness@production", v2, "nightly");
        assertThat(unknown.status()).isEqualTo(422);
        assertThat(RewardAliasesApiTest.pointers(unknown)).containsExactly("/require_passing_suite");

        // A passing evaluation moves it, and the alias and its history record which one allowed it. The gate is
        // asked about the target's id even when the request names it by alias.
        gate.verdicts.put(v2, new PromotionGate.Verdict(true, "eval_passed000001", SUITE, null));
        assertThat(team.calls().post("/v1/aliases/helpfulness@candidate", Map.of("target", v2)).status())
                .isEqualTo(201);
        gate.calls.clear();
        ApiResponse passed = move("helpfulness@production", "helpfulness@candidate", "ci");
        assertThat(passed.status()).as(passed.toString()).isEqualTo(200);
        assertThat(gate.calls).containsExactly(List.of(team.id(), "ci", v2));
        assertThat(passed.json().get("target").asString()).isEqualTo(v2);
        assertThat(passed.json().get("evaluation").asString()).isEqualTo("eval_passed000001");
        JsonNode history = team.calls().get("/v1/aliases/helpfulness@production").json().get("history");
        assertThat(history).hasSize(2);
        assertThat(history.get(0).get("evaluation").asString()).isEqualTo("eval_passed000001");
        assertThat(history.get(0).get("suite").asString()).isEqualTo(SUITE);
        assertThat(history.get(0).get("previous").asString()).isEqualTo(v1);

        // A plain move afterwards clears the alias's evaluation: none allowed that move.
        ApiResponse plain = team.calls().post("/v1/aliases/helpfulness@production", Map.of("target", v1));
        assertThat(plain.json().get("evaluation").isNull()).isTrue();
        // A new alias can be gated too.
        ApiResponse gatedCreate = move("helpfulness@staging", v2, SUITE);
        assertThat(gatedCreate.status()).isEqualTo(201);
        assertThat(gatedCreate.json().get("evaluation").asString()).isEqualTo("eval_passed000001");
    }

    @Test
    void jobsResolveAliasesAtSubmission() throws Exception {
        String model = RewardAliasesApiTest.model(models, team.id(), PolicyFamily.LANGUAGE_MODEL, ModelRecord.READY);
        objects.put(ModelRecord.prefixOf(model) + "config.json", new ByteArrayInputStream("{}".getBytes()));
        ApiResponse ds = team.calls().upload("/v1/datasets", "p.jsonl",
                "{\"prompt\":\"1+1=\",\"answer\":\"2\"}\n{\"prompt\":\"2+2=\",\"answer\":\"4\"}\n"
                        .getBytes(StandardCharsets.UTF_8), Map.of("purpose", "prompts"));
        assertThat(ds.status()).as(ds.toString()).isEqualTo(201);
        String prompts = ds.json().get("id").asString();
        String rewardModel = RewardAliasesApiTest.model(models, team.id(), PolicyFamily.REWARD_MODEL,
                ModelRecord.READY);
        team.calls().post("/v1/aliases/helpfulness@production", Map.of("target", v1));
        team.calls().post("/v1/aliases/gold", Map.of("target", v2));
        team.calls().post("/v1/aliases/rm@production", Map.of("target", rewardModel));

        Map<String, Object> body = Map.of("model", model, "dataset", prompts, "eval_dataset", prompts,
                "reward_spec", "helpfulness@production", "eval_reward_spec", "gold",
                "method", Map.of("type", "grpo", "grpo", Map.of("max_steps", 2, "eval_interval", 1)));
        ApiResponse job = team.calls().post("/v1/jobs", body);
        assertThat(job.status()).as(job.toString()).isEqualTo(201);
        String jobId = job.json().get("id").asString();
        assertThat(job.json().get("reward_spec").asString()).isEqualTo(v1);
        assertThat(job.json().get("reward_spec_alias").asString()).isEqualTo("helpfulness@production");
        assertThat(job.json().get("eval_reward_spec").asString()).isEqualTo(v2);
        assertThat(job.json().get("eval_reward_spec_alias").asString()).isEqualTo("gold");
        JsonNode queued = team.calls().get("/v1/jobs/" + jobId + "/events").json().get("data").get(0);
        assertThat(queued.get("type").asString()).isEqualTo("job.queued");
        assertThat(queued.get("message").asString())
                .contains("reward_spec alias helpfulness@production resolved to " + v1)
                .contains("eval_reward_spec alias gold resolved to " + v2);
        assertThat(queued.get("data").get("reward_spec_alias").get("reward_spec").asString()).isEqualTo(v1);

        // Moving the alias later leaves the job on the spec it resolved to.
        team.calls().post("/v1/aliases/helpfulness@production", Map.of("target", v2));
        JsonNode later = team.calls().get("/v1/jobs/" + jobId).json();
        assertThat(later.get("reward_spec").asString()).isEqualTo(v1);
        assertThat(later.get("reward_spec_alias").asString()).isEqualTo("helpfulness@production");

        // An id is stored as given, with no alias.
        Map<String, Object> byId = new HashMap<>(body);
        byId.put("reward_spec", v2);
        byId.remove("eval_reward_spec");
        ApiResponse plain = team.calls().post("/v1/jobs", byId);
        assertThat(plain.status()).as(plain.toString()).isEqualTo(201);
        assertThat(plain.json().get("reward_spec").asString()).isEqualTo(v2);
        assertThat(plain.json().get("reward_spec_alias").isNull()).isTrue();

        // A reward model's alias, and an unknown alias, are 422s at their fields.
        Map<String, Object> bad = new HashMap<>(body);
        bad.put("reward_spec", "rm@production");
        bad.put("eval_reward_spec", "nope");
        ApiResponse refused = team.calls().post("/v1/jobs", bad);
        assertThat(refused.status()).isEqualTo(422);
        assertThat(RewardAliasesApiTest.pointers(refused)).containsExactly("/reward_spec", "/eval_reward_spec");
        assertThat(RewardAliasesApiTest.details(refused).get(0))
                .contains("alias 'rm@production' names reward model " + rewardModel, "reward_model grader");
        assertThat(RewardAliasesApiTest.details(refused).get(1)).isEqualTo("no alias named 'nope'");
        bad.put("reward_spec", rewardModel);
        bad.remove("eval_reward_spec");
        assertThat(RewardAliasesApiTest.details(team.calls().post("/v1/jobs", bad)))
                .singleElement().asString().startsWith("'" + rewardModel + "' is a model id, and a job takes a reward spec");
    }
}
