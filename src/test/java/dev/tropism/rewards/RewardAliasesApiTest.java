package dev.tropism.rewards;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.engine.PolicyFamily;
import dev.tropism.models.ModelRecord;
import dev.tropism.models.ModelStatus;
import dev.tropism.models.ModelStore;
import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import dev.tropism.web.Ids;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

/**
 * The reward registry's REST API: create, move, list, history, delete, validation, team isolation, concurrent moves,
 * and the aliases shown on spec and model views. Moves gated by a suite: {@link RewardAliasPromotionApiTest}.
 */
@TropismIntegrationTest
class RewardAliasesApiTest {

    @Autowired TropismTestClient api;
    @Autowired ModelStore models;

    TropismTestClient.Team team;

    @BeforeEach
    void team() {
        team = api.newTeam("aliases");
    }

    static String spec(TropismTestClient.Team t, String name) {
        ApiResponse r = t.calls().post("/v1/reward-specs", Map.of("name", name, "grader", Map.of("type", "string_check",
                "name", "exact", "input", "{{sample.output_text}}", "reference", "{{item.answer}}", "operation", "eq")));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.json().get("id").asString();
    }

    /** A model row of {@code family} in {@code status}, as a finished job or an import would leave it. */
    static String model(ModelStore models, String teamId, PolicyFamily family, ModelStatus status) {
        String id = Ids.newId("model_");
        models.insert(new ModelRecord(0, id, teamId, "m", family, null, status, null, null, null,
                ModelRecord.prefixOf(id), 1000L, Instant.now()));
        return id;
    }

    ApiResponse move(String name, String target) {
        return team.calls().post("/v1/aliases/" + name, Map.of("target", target));
    }

    static List<String> pointers(ApiResponse r) {
        return RewardSpecsApiTest.pointers(r);
    }

    static List<String> details(ApiResponse r) {
        List<String> out = new ArrayList<>();
        r.json().get("errors").forEach(e -> out.add(e.get("detail").asString()));
        return out;
    }

    @Test
    void createMoveListHistoryAndDelete() {
        String v1 = spec(team, "helpful-v1");
        String v2 = spec(team, "helpful-v2");

        ApiResponse created = move("helpfulness@production", v1);
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        assertThat(created.json().get("name").asString()).isEqualTo("helpfulness@production");
        assertThat(created.json().get("target").asString()).isEqualTo(v1);
        assertThat(created.json().get("kind").asString()).isEqualTo("reward_spec");
        assertThat(created.json().get("updated_by").asString()).isEqualTo(team.keyId());
        assertThat(created.json().get("evaluation").isNull()).isTrue();
        assertThat(created.json().has("history")).isFalse();

        ApiResponse moved = move("helpfulness@production", v2);
        assertThat(moved.status()).as(moved.toString()).isEqualTo(200);
        assertThat(moved.json().get("target").asString()).isEqualTo(v2);
        // The same target again changes nothing and records no move.
        ApiResponse again = move("helpfulness@production", v2);
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.json().get("updated_at").asString()).isEqualTo(moved.json().get("updated_at").asString());

        JsonNode got = team.calls().get("/v1/aliases/helpfulness@production").json();
        assertThat(got.get("target").asString()).isEqualTo(v2);
        JsonNode history = got.get("history");
        assertThat(history).hasSize(2);
        assertThat(history.get(0).get("target").asString()).isEqualTo(v2);
        assertThat(history.get(0).get("previous").asString()).isEqualTo(v1);
        assertThat(history.get(0).get("moved_by").asString()).isEqualTo(team.keyId());
        assertThat(history.get(0).get("evaluation").isNull()).isTrue();
        assertThat(history.get(0).get("suite").isNull()).isTrue();
        assertThat(history.get(1).get("target").asString()).isEqualTo(v1);
        assertThat(history.get(1).get("previous").isNull()).isTrue();

        // The list pages oldest first, with the alias name as the cursor; dots in a name are part of it.
        assertThat(move("helpfulness@candidate", v1).status()).isEqualTo(201);
        assertThat(move("brevity.v1-x_y", v1).status()).isEqualTo(201);
        ApiResponse p1 = team.calls().get("/v1/aliases?limit=2");
        assertThat(p1.status()).isEqualTo(200);
        assertThat(p1.json().get("data")).extracting(n -> n.get("name").asString())
                .containsExactly("helpfulness@production", "helpfulness@candidate");
        assertThat(p1.json().get("has_more").asBoolean()).isTrue();
        assertThat(p1.json().get("data").get(0).has("history")).isFalse();
        ApiResponse p2 = team.calls().get("/v1/aliases?limit=2&after=helpfulness@candidate");
        assertThat(p2.json().get("data")).extracting(n -> n.get("name").asString()).containsExactly("brevity.v1-x_y");
        assertThat(p2.json().get("has_more").asBoolean()).isFalse();
        assertThat(team.calls().get("/v1/aliases?after=nope").status()).isEqualTo(400);

        // Deleting keeps the history, with a row that has no target; the alias is gone.
        assertThat(team.calls().delete("/v1/aliases/helpfulness@production").status()).isEqualTo(204);
        assertThat(team.calls().get("/v1/aliases/helpfulness@production").status()).isEqualTo(404);
        assertThat(team.calls().delete("/v1/aliases/helpfulness@production").status()).isEqualTo(404);
        ApiResponse recreated = move("helpfulness@production", v1);
        assertThat(recreated.status()).isEqualTo(201);
        JsonNode after = team.calls().get("/v1/aliases/helpfulness@production").json().get("history");
        assertThat(after).extracting(n -> n.get("target").isNull() ? null : n.get("target").asString())
                .containsExactly(v1, null, v2, v1);
        assertThat(after.get(1).get("previous").asString()).isEqualTo(v2);
    }

    @Test
    void targetsAndNamesAreValidated() {
        String mine = spec(team, "mine");
        TropismTestClient.Team other = api.newTeam("other");
        String theirs = spec(other, "theirs");
        String languageModel = model(models, team.id(), PolicyFamily.LANGUAGE_MODEL, ModelRecord.READY);
        String training = model(models, team.id(), PolicyFamily.REWARD_MODEL, ModelRecord.TRAINING);

        ApiResponse bad = team.calls().post("/v1/aliases/bad!name", Map.of("target", mine));
        assertThat(bad.status()).as(bad.toString()).isEqualTo(422);
        assertThat(pointers(bad)).containsExactly("/name");
        assertThat(pointers(move("a@b@c", mine))).containsExactly("/name");
        assertThat(pointers(move("x".repeat(101), mine))).containsExactly("/name");
        ApiResponse idLike = move("rs_mine", mine);
        assertThat(pointers(idLike)).containsExactly("/name");
        assertThat(details(idLike).get(0)).contains("read as ids");

        ApiResponse unknown = move("a", "no-such-alias");
        assertThat(unknown.status()).isEqualTo(422);
        assertThat(pointers(unknown)).containsExactly("/target");
        assertThat(details(unknown)).containsExactly("no alias named 'no-such-alias'");
        assertThat(details(move("a", theirs))).containsExactly("no reward spec with id '" + theirs + "'");
        assertThat(details(move("a", "rs_doesnotexist00"))).containsExactly("no reward spec with id 'rs_doesnotexist00'");
        ApiResponse lm = move("a", languageModel);
        assertThat(pointers(lm)).containsExactly("/target");
        assertThat(details(lm).get(0)).contains("language-model, not a reward-model");
        assertThat(details(move("a", training)).get(0)).contains("must be ready");
        ApiResponse missing = team.calls().post("/v1/aliases/a", Map.of());
        assertThat(pointers(missing)).containsExactly("/target");
        // Every violation at once.
        assertThat(pointers(move("bad!", "nope"))).containsExactly("/name", "/target");
        assertThat(team.calls().post("/v1/aliases/a", "{\"target\":\"" + mine + "\",\"extra\":1}").status())
                .isEqualTo(400);
        // A suite that does not exist (or no evaluations module at all: RewardAliasServiceTest) is the request's
        // mistake.
        ApiResponse gated = team.calls().post("/v1/aliases/a", Map.of("target", mine, "require_passing_suite", "ci"));
        assertThat(gated.status()).isEqualTo(422);
        assertThat(pointers(gated)).containsExactly("/require_passing_suite");
        assertThat(team.calls().get("/v1/aliases").json().get("data")).isEmpty();
    }

    @Test
    void aliasesResolveToIdsAndStayWithinTheirTeam() {
        String v1 = spec(team, "v1");
        String v2 = spec(team, "v2");
        String rewardModel = model(models, team.id(), PolicyFamily.REWARD_MODEL, ModelRecord.READY);
        assertThat(move("prod", v1).status()).isEqualTo(201);

        // An alias as the target is resolved to its id now; moving the first later leaves the second alone.
        ApiResponse copy = move("pinned", "prod");
        assertThat(copy.status()).isEqualTo(201);
        assertThat(copy.json().get("target").asString()).isEqualTo(v1);
        assertThat(move("prod", v2).status()).isEqualTo(200);
        assertThat(team.calls().get("/v1/aliases/pinned").json().get("target").asString()).isEqualTo(v1);

        ApiResponse rm = move("rm@production", rewardModel);
        assertThat(rm.status()).as(rm.toString()).isEqualTo(201);
        assertThat(rm.json().get("kind").asString()).isEqualTo("reward_model");
        // An alias can move from a spec to a model, and its kind follows.
        ApiResponse toModel = move("pinned", "rm@production");
        assertThat(toModel.json().get("target").asString()).isEqualTo(rewardModel);
        assertThat(toModel.json().get("kind").asString()).isEqualTo("reward_model");

        // Another team sees none of them and cannot use them as targets.
        TropismTestClient.Team other = api.newTeam("other");
        assertThat(other.calls().get("/v1/aliases/prod").status()).isEqualTo(404);
        assertThat(other.calls().delete("/v1/aliases/prod").status()).isEqualTo(404);
        assertThat(other.calls().get("/v1/aliases").json().get("data")).isEmpty();
        ApiResponse borrowed = other.calls().post("/v1/aliases/mine", Map.of("target", "prod"));
        assertThat(details(borrowed)).containsExactly("no alias named 'prod'");
        assertThat(details(other.calls().post("/v1/aliases/mine", Map.of("target", rewardModel))).get(0))
                .contains("no model with id");
        // The same name in another team is another alias.
        String theirs = spec(other, "theirs");
        assertThat(other.calls().post("/v1/aliases/prod", Map.of("target", theirs)).status()).isEqualTo(201);
        assertThat(team.calls().get("/v1/aliases/prod").json().get("target").asString()).isEqualTo(v2);
    }

    @Test
    void specAndModelViewsListTheirAliases() {
        String v1 = spec(team, "v1");
        String v2 = spec(team, "v2");
        String rewardModel = model(models, team.id(), PolicyFamily.REWARD_MODEL, ModelRecord.READY);
        move("helpfulness@production", v1);
        move("helpfulness@candidate", v1);
        move("rm", rewardModel);

        assertThat(team.calls().get("/v1/reward-specs/" + v1).json().get("aliases"))
                .extracting(JsonNode::asString).containsExactly("helpfulness@candidate", "helpfulness@production");
        assertThat(team.calls().get("/v1/reward-specs/" + v2).json().get("aliases")).isEmpty();
        JsonNode list = team.calls().get("/v1/reward-specs").json().get("data");
        assertThat(list.get(0).get("aliases")).extracting(JsonNode::asString).hasSize(2);
        assertThat(list.get(1).get("aliases")).isEmpty();
        assertThat(team.calls().get("/v1/models/" + rewardModel).json().get("aliases"))
                .extracting(JsonNode::asString).containsExactly("rm");

        move("helpfulness@candidate", v2);
        assertThat(team.calls().get("/v1/reward-specs/" + v1).json().get("aliases"))
                .extracting(JsonNode::asString).containsExactly("helpfulness@production");
        assertThat(team.calls().get("/v1/reward-specs/" + v2).json().get("aliases"))
                .extracting(JsonNode::asString).containsExactly("helpfulness@candidate");
        team.calls().delete("/v1/aliases/rm");
        assertThat(team.calls().get("/v1/models").json().get("data").get(0).get("aliases")).isEmpty();
    }

    /**
     * Eight moves of one new alias at once, each to its own spec: exactly one creates it, and the history has all
     * eight, each move's previous target being the one before it (no move lost or applied twice).
     */
    @Test
    void concurrentMovesKeepEveryHistoryRow() throws Exception {
        int n = 8;
        List<String> targets = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            targets.add(spec(team, "s" + i));
        }
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(n);
        List<Future<ApiResponse>> answers = new ArrayList<>();
        try {
            for (String target : targets) {
                answers.add(pool.submit(() -> {
                    start.await();
                    return move("race", target);
                }));
            }
            start.countDown();
            List<Integer> statuses = new ArrayList<>();
            for (Future<ApiResponse> f : answers) {
                statuses.add(f.get().status());
            }
            assertThat(statuses).containsOnly(200, 201);
            assertThat(statuses.stream().filter(s -> s == 201)).hasSize(1);
        } finally {
            pool.shutdownNow();
        }
        JsonNode alias = team.calls().get("/v1/aliases/race").json();
        JsonNode history = alias.get("history");
        assertThat(history).hasSize(n);
        assertThat(history.get(0).get("target").asString()).isEqualTo(alias.get("target").asString());
        List<String> moved = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            moved.add(history.get(i).get("target").asString());
            JsonNode previous = history.get(i).get("previous");
            if (i == n - 1) {
                assertThat(previous.isNull()).isTrue();
            } else {
                assertThat(previous.asString()).isEqualTo(history.get(i + 1).get("target").asString());
            }
        }
        assertThat(moved).containsExactlyInAnyOrderElementsOf(targets);
    }
}
