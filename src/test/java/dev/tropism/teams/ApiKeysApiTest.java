package dev.tropism.teams;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

/** The keys API of issue 17: scopes, expiry, listing, revocation, team admins, {@code /v1/me}. */
@TropismIntegrationTest
class ApiKeysApiTest {

    @Autowired
    TropismTestClient api;

    JsonNode createKey(TropismTestClient.Calls as, String teamId, Map<String, Object> body) {
        ApiResponse r = as.post("/v1/teams/" + teamId + "/api-keys", body);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.json();
    }

    static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asString()));
        return out;
    }

    /** The 401 body of a well-formed key nobody issued, asked of {@code path}. */
    String unknownKeyBody(String path) {
        ApiResponse r = api.as("tro_" + "x".repeat(40)).get(path);
        assertThat(r.status()).isEqualTo(401);
        return r.text();
    }

    @Test
    void aNewKeyShowsItsScopesAndExpiryOnceWithTheSecretAndTheListingNeverShowsTheSecret() {
        TropismTestClient.Team team = api.newTeam("keys-list");
        JsonNode ci = createKey(api.admin(), team.id(),
                Map.of("name", "ci", "scopes", List.of("evaluations:write"), "expires_in_days", 7));
        String secret = ci.get("key").asString();
        assertThat(ci.get("id").asString()).startsWith("key_");
        assertThat(ci.get("name").asString()).isEqualTo("ci");
        assertThat(secret).startsWith("tro_").hasSize(44);
        assertThat(ci.get("prefix").asString()).isEqualTo(secret.substring(0, 8));
        assertThat(strings(ci.get("scopes"))).containsExactly("evaluations:write");
        Instant created = Instant.parse(ci.get("created_at").asString());
        assertThat(Instant.parse(ci.get("expires_at").asString())).isEqualTo(created.plus(7, ChronoUnit.DAYS));

        ApiResponse list = api.admin().get("/v1/teams/" + team.id() + "/api-keys");
        assertThat(list.status()).as(list.toString()).isEqualTo(200);
        assertThat(list.json().get("object").asString()).isEqualTo("list");
        JsonNode data = list.json().get("data");
        assertThat(data).hasSize(2);
        JsonNode first = data.get(0);
        assertThat(first.get("id").asString()).as("oldest first").isEqualTo(team.keyId());
        assertThat(strings(first.get("scopes"))).as("a key made with only a name has the default scopes")
                .containsExactlyElementsOf(Scope.wires(Scope.DEFAULT_SCOPES));
        assertThat(first.get("created_by").asString()).isEqualTo("admin");
        assertThat(first.get("expires_at").isNull()).isTrue();
        assertThat(first.get("revoked_at").isNull()).isTrue();
        assertThat(first.has("last_used_at")).isTrue();
        JsonNode second = data.get(1);
        assertThat(second.get("id").asString()).isEqualTo(ci.get("id").asString());
        assertThat(second.get("prefix").asString()).isEqualTo(secret.substring(0, 8));
        assertThat(second.get("expires_at").asString()).isEqualTo(ci.get("expires_at").asString());
        data.forEach(k -> assertThat(k.has("key") || k.has("key_hash") || k.has("hash")).isFalse());
        assertThat(list.text()).doesNotContain(secret).doesNotContain(team.key());

        ApiResponse page = api.admin().get("/v1/teams/" + team.id() + "/api-keys?limit=1");
        assertThat(page.json().get("has_more").asBoolean()).isTrue();
        ApiResponse next = api.admin().get("/v1/teams/" + team.id() + "/api-keys?limit=1&after=" + team.keyId());
        assertThat(next.json().get("data").get(0).get("id").asString()).isEqualTo(ci.get("id").asString());
        assertThat(next.json().get("has_more").asBoolean()).isFalse();
        assertThat(api.admin().get("/v1/teams/" + team.id() + "/api-keys?after=key_nope").status()).isEqualTo(400);
        assertThat(api.admin().get("/v1/teams/team_nope/api-keys").status()).isEqualTo(404);
    }

    @Test
    void aCallOutsideTheKeysScopesIs403NamingTheMissingScope() {
        TropismTestClient.Team team = api.newTeam("keys-scopes");
        String reader = createKey(api.admin(), team.id(), Map.of("name", "r", "scopes", List.of("jobs:read")))
                .get("key").asString();
        assertThat(api.as(reader).get("/v1/jobs").status()).isEqualTo(200);
        ApiResponse write = api.as(reader).post("/v1/jobs", Map.of());
        assertThat(write.status()).isEqualTo(403);
        assertThat(write.json().get("code").asString()).isEqualTo("missing_scope");
        assertThat(write.json().get("scope").asString()).isEqualTo("jobs:write");
        assertThat(write.json().get("detail").asString()).contains("'jobs:write'");
        ApiResponse other = api.as(reader).get("/v1/datasets");
        assertThat(other.json().get("scope").asString()).isEqualTo("datasets:read");
        // The OpenAI-compatible routes answer in OpenAI's error shape, naming the scope in the message.
        ApiResponse chat = api.as(reader).post("/v1/chat/completions", Map.of());
        assertThat(chat.status()).isEqualTo(403);
        assertThat(chat.json().get("error").get("type").asString()).isEqualTo("permission_error");
        assertThat(chat.json().get("error").get("code").asString()).isEqualTo("missing_scope");
        assertThat(chat.json().get("error").get("message").asString()).contains("'inference'");

        String writer = createKey(api.admin(), team.id(), Map.of("name", "w", "scopes", List.of("jobs:write")))
                .get("key").asString();
        assertThat(api.as(writer).get("/v1/jobs").status()).as("jobs:write implies jobs:read").isEqualTo(200);

        ApiResponse keys = team.calls().get("/v1/teams/" + team.id() + "/api-keys");
        assertThat(keys.status()).as("the default scopes do not manage keys").isEqualTo(403);
        assertThat(keys.json().get("scope").asString()).isEqualTo("team:admin");
    }

    @Test
    void pretrainingAModelStartsAJobSoItAlsoNeedsJobsWrite() {
        TropismTestClient.Team team = api.newTeam("keys-pretrain");
        ApiResponse sets = team.calls().post("/v1/datasets/generate", Map.of("generator", "arithmetic", "digits", 1,
                "corpus_size", 20, "train_prompts", 10, "eval_prompts", 5, "name", "arith"));
        assertThat(sets.status()).as(sets.toString()).isEqualTo(201);
        String corpus = sets.json().get("data").get(0).get("id").asString();
        String modeller = createKey(api.admin(), team.id(), Map.of("name", "m", "scopes", List.of("models:write")))
                .get("key").asString();
        ApiResponse refused = api.as(modeller).post("/v1/models", Map.of("name", "tiny", "recipe", "tiny-gpt",
                "dataset", corpus, "hyperparameters", Map.of("max_steps", 2)));
        assertThat(refused.status()).as(refused.toString()).isEqualTo(403);
        assertThat(refused.json().get("scope").asString()).isEqualTo("jobs:write");
        assertThat(refused.json().get("detail").asString()).startsWith("Pretraining a model starts a training job");
        assertThat(team.calls().get("/v1/models").json().get("data")).as("nothing was registered").isEmpty();
    }

    @Test
    void aRevokedKeyIs401AtOnceWithTheBodyOfAnUnknownKey() {
        TropismTestClient.Team team = api.newTeam("keys-revoke");
        JsonNode k = createKey(api.admin(), team.id(), Map.of("name", "doomed"));
        String secret = k.get("key").asString();
        String keyId = k.get("id").asString();
        assertThat(api.as(secret).get("/v1/me").status()).isEqualTo(200);

        ApiResponse revoked = api.admin().delete("/v1/teams/" + team.id() + "/api-keys/" + keyId);
        assertThat(revoked.status()).as(revoked.toString()).isEqualTo(204);
        ApiResponse after = api.as(secret).get("/v1/me");
        assertThat(after.status()).isEqualTo(401);
        assertThat(after.json().get("code").asString()).isEqualTo("unauthorized");
        assertThat(after.text()).isEqualTo(unknownKeyBody("/v1/me"));
        assertThat(team.calls().get("/v1/me").status()).as("the team's other key still works").isEqualTo(200);

        String revokedAt = keyOf(team.id(), keyId).get("revoked_at").asString();
        assertThat(Instant.parse(revokedAt)).isNotNull();
        assertThat(api.admin().delete("/v1/teams/" + team.id() + "/api-keys/" + keyId).status())
                .as("revoking twice is 204 too").isEqualTo(204);
        assertThat(keyOf(team.id(), keyId).get("revoked_at").asString()).as("the first revocation stays")
                .isEqualTo(revokedAt);

        ApiResponse unknown = api.admin().delete("/v1/teams/" + team.id() + "/api-keys/key_nope");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.json().get("code").asString()).isEqualTo("not_found");
        TropismTestClient.Team other = api.newTeam("keys-revoke-other");
        assertThat(api.admin().delete("/v1/teams/" + team.id() + "/api-keys/" + other.keyId()).status())
                .as("another team's key under this team's path").isEqualTo(404);
        assertThat(other.calls().get("/v1/me").status()).isEqualTo(200);
    }

    @Test
    void anExpiredKeyIs401WithTheBodyOfAnUnknownKey() throws InterruptedException {
        TropismTestClient.Team team = api.newTeam("keys-expiry");
        Instant expiry = Instant.now().plusSeconds(2).truncatedTo(ChronoUnit.MILLIS);
        JsonNode k = createKey(api.admin(), team.id(), Map.of("name", "short", "expires_at", expiry.toString()));
        assertThat(Instant.parse(k.get("expires_at").asString())).isEqualTo(expiry);
        String secret = k.get("key").asString();
        ApiResponse me = api.as(secret).get("/v1/me");
        assertThat(me.status()).as("not expired yet").isEqualTo(200);
        assertThat(Instant.parse(me.json().get("expires_at").asString())).isEqualTo(expiry);

        Thread.sleep(Math.max(0, Duration.between(Instant.now(), expiry).toMillis()) + 200);
        ApiResponse expired = api.as(secret).get("/v1/me");
        assertThat(expired.status()).isEqualTo(401);
        assertThat(expired.text()).isEqualTo(unknownKeyBody("/v1/me"));

        ApiResponse past = api.admin().post("/v1/teams/" + team.id() + "/api-keys",
                Map.of("name", "late", "expires_at", "2020-01-01T00:00:00Z"));
        assertThat(past.status()).isEqualTo(422);
        assertThat(past.json().get("errors").get(0).get("pointer").asString()).isEqualTo("/expires_at");
    }

    @Test
    void aTeamAdminManagesItsOwnTeamsKeysOnly() {
        TropismTestClient.Team a = api.newTeam("keys-admin-a");
        TropismTestClient.Team b = api.newTeam("keys-admin-b");
        JsonNode adminKey = createKey(api.admin(), a.id(), Map.of("name", "lead", "scopes", List.of("team:admin")));
        TropismTestClient.Calls lead = api.as(adminKey.get("key").asString());

        assertThat(lead.get("/v1/teams/" + a.id() + "/api-keys").json().get("data")).hasSize(2);
        JsonNode made = createKey(lead, a.id(), Map.of("name", "deputy", "scopes", List.of("team:admin", "inference")));
        assertThat(strings(made.get("scopes"))).as("a team admin may grant team:admin")
                .containsExactly("inference", "team:admin");
        assertThat(keyOf(a.id(), made.get("id").asString()).get("created_by").asString())
                .isEqualTo(adminKey.get("id").asString());
        assertThat(lead.delete("/v1/teams/" + a.id() + "/api-keys/" + a.keyId()).status()).isEqualTo(204);
        assertThat(a.calls().get("/v1/me").status()).isEqualTo(401);

        for (ApiResponse r : List.of(lead.get("/v1/teams/" + b.id() + "/api-keys"),
                lead.post("/v1/teams/" + b.id() + "/api-keys", Map.of("name", "x")),
                lead.delete("/v1/teams/" + b.id() + "/api-keys/" + b.keyId()))) {
            assertThat(r.status()).as("another team's keys: " + r).isEqualTo(404);
            assertThat(r.json().get("code").asString()).isEqualTo("not_found");
        }
        assertThat(b.calls().get("/v1/me").status()).isEqualTo(200);
        assertThat(api.admin().get("/v1/teams/" + b.id() + "/api-keys").json().get("data")).hasSize(1);

        ApiResponse operator = lead.post("/v1/teams", Map.of("name", "mine"));
        assertThat(operator.status()).isEqualTo(403);
        assertThat(operator.json().get("scope").asString()).isEqualTo("operator");
        assertThat(lead.get("/v1/jobs").json().get("scope").asString()).as("team:admin is no superset")
                .isEqualTo("jobs:read");
        ApiResponse grantOperator = lead.post("/v1/teams/" + a.id() + "/api-keys",
                Map.of("name", "x", "scopes", List.of("operator")));
        assertThat(grantOperator.status()).isEqualTo(422);
        assertThat(grantOperator.json().get("errors").get(0).get("pointer").asString()).isEqualTo("/scopes/0");
    }

    @Test
    void badBodiesAreRefusedAtTheirPointersAndCreateNothing() {
        TropismTestClient.Team team = api.newTeam("keys-invalid");
        String path = "/v1/teams/" + team.id() + "/api-keys";
        ApiResponse unknown = api.admin().post(path, Map.of("name", "k", "scopes", List.of("jobs:read", "jobs:fly")));
        assertThat(unknown.status()).isEqualTo(422);
        assertThat(unknown.json().get("code").asString()).isEqualTo("validation_failed");
        assertThat(unknown.json().get("errors").get(0).get("pointer").asString()).isEqualTo("/scopes/1");
        assertThat(unknown.json().get("errors").get(0).get("detail").asString()).contains("jobs:fly");

        ApiResponse both = api.admin().post(path, Map.of("name", " ", "scopes", List.of("authenticated"),
                "expires_at", "2099-01-01T00:00:00Z", "expires_in_days", 3));
        assertThat(both.status()).isEqualTo(422);
        assertThat(both.json().get("errors")).extracting(e -> e.get("pointer").asString())
                .containsExactly("/name", "/scopes/0", "/expires_in_days");

        assertThat(api.admin().post(path, "{\"name\":\"k\",\"scopes\":\"jobs:read\"}").status())
                .as("a string for the list").isEqualTo(400);
        assertThat(api.admin().post(path, "{\"name\":\"k\",\"expires_in_days\":\"soon\"}").status()).isEqualTo(400);
        ApiResponse extra = api.admin().post(path, Map.of("name", "k", "role", "owner"));
        assertThat(extra.status()).isEqualTo(400);
        assertThat(extra.json().get("code").asString()).isEqualTo("unknown_field");
        assertThat(api.admin().get(path).json().get("data")).as("nothing created").hasSize(1);
    }

    @Test
    void meDescribesTheCallingKey() {
        TropismTestClient.Team team = api.newTeam("keys-me");
        JsonNode me = team.calls().get("/v1/me").json();
        assertThat(me.get("team_id").asString()).isEqualTo(team.id());
        assertThat(me.get("key_id").asString()).isEqualTo(team.keyId());
        assertThat(me.get("admin").asBoolean()).isFalse();
        assertThat(strings(me.get("scopes"))).containsExactlyElementsOf(Scope.wires(Scope.DEFAULT_SCOPES));
        assertThat(me.get("expires_at").isNull()).isTrue();

        JsonNode admin = api.admin().get("/v1/me").json();
        assertThat(admin.get("team_id").isNull()).isTrue();
        assertThat(admin.get("key_id").asString()).isEqualTo("admin");
        assertThat(admin.get("admin").asBoolean()).isTrue();
        assertThat(strings(admin.get("scopes"))).contains("operator", "team:admin", "jobs:write")
                .doesNotContain("authenticated");
        assertThat(api.adminFor(team.id()).get("/v1/me").json().get("team_id").asString()).isEqualTo(team.id());
    }

    @Test
    void lastUsedAtIsWrittenAtMostOnceAMinute() {
        TropismTestClient.Team team = api.newTeam("keys-last-used");
        assertThat(keyOf(team.id(), team.keyId()).get("last_used_at").isNull()).as("never used").isTrue();
        Instant before = Instant.now().minusSeconds(1);
        assertThat(team.calls().get("/v1/me").status()).isEqualTo(200);
        String first = keyOf(team.id(), team.keyId()).get("last_used_at").asString();
        assertThat(Instant.parse(first)).isAfter(before);
        assertThat(team.calls().get("/v1/jobs").status()).isEqualTo(200);
        assertThat(keyOf(team.id(), team.keyId()).get("last_used_at").asString())
                .as("a second call within the minute writes nothing").isEqualTo(first);
    }

    JsonNode keyOf(String teamId, String keyId) {
        for (JsonNode k : api.admin().get("/v1/teams/" + teamId + "/api-keys?limit=100").json().get("data")) {
            if (k.get("id").asString().equals(keyId)) {
                return k;
            }
        }
        throw new AssertionError("no key " + keyId + " in team " + teamId);
    }
}
