package dev.tropism.teams;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import tools.jackson.databind.JsonNode;

@TropismIntegrationTest
class TeamsApiTest {

    @Autowired
    TropismTestClient api;

    @Test
    void adminCreatesTeamAndKeyThatAuthenticates() {
        ApiResponse team = api.admin().post("/v1/teams", Map.of("name", "acme"));
        assertThat(team.status()).isEqualTo(201);
        JsonNode t = team.json();
        assertThat(t.get("id").asString()).startsWith("team_");
        assertThat(t.get("name").asString()).isEqualTo("acme");
        assertThat(t.get("created_at").asString()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");

        ApiResponse key = api.admin().post("/v1/teams/" + t.get("id").asString() + "/api-keys", Map.of("name", "ci"));
        assertThat(key.status()).isEqualTo(201);
        assertThat(key.json().get("id").asString()).startsWith("key_");
        assertThat(key.json().get("name").asString()).isEqualTo("ci");
        String secret = key.json().get("key").asString();
        assertThat(secret).startsWith("tro_").hasSizeGreaterThanOrEqualTo(36);

        // A team key is not admin: listing teams needs the operator scope, which only the admin key holds.
        ApiResponse denied = api.as(secret).get("/v1/teams");
        assertThat(denied.status()).isEqualTo(403);
        assertThat(denied.json().get("code").asString()).isEqualTo("missing_scope");
        assertThat(denied.json().get("scope").asString()).isEqualTo("operator");
        assertThat(api.as(secret).post("/v1/teams", Map.of("name", "x")).status()).isEqualTo(403);
    }

    @Test
    void listsTeamsOldestFirstWithCursor() {
        String a = api.admin().post("/v1/teams", Map.of("name", "p1")).json().get("id").asString();
        String b = api.admin().post("/v1/teams", Map.of("name", "p2")).json().get("id").asString();
        String c = api.admin().post("/v1/teams", Map.of("name", "p3")).json().get("id").asString();

        ApiResponse afterA = api.admin().get("/v1/teams?limit=1&after=" + a);
        assertThat(afterA.status()).isEqualTo(200);
        assertThat(afterA.json().get("object").asString()).isEqualTo("list");
        assertThat(afterA.json().get("data").get(0).get("id").asString()).isEqualTo(b);
        assertThat(afterA.json().get("has_more").asBoolean()).isTrue();

        ApiResponse afterB = api.admin().get("/v1/teams?limit=100&after=" + b);
        assertThat(afterB.json().get("data")).hasSize(1);
        assertThat(afterB.json().get("data").get(0).get("id").asString()).isEqualTo(c);
        assertThat(afterB.json().get("has_more").asBoolean()).isFalse();

        assertThat(api.admin().get("/v1/teams?limit=0").status()).isEqualTo(400);
        assertThat(api.admin().get("/v1/teams?limit=101").status()).isEqualTo(400);
        assertThat(api.admin().get("/v1/teams?limit=abc").json().get("code").asString()).isEqualTo("invalid_type");
        assertThat(api.admin().get("/v1/teams?after=team_nope").status()).isEqualTo(400);
    }

    @Test
    void keyForUnknownTeamIs404() {
        ApiResponse r = api.admin().post("/v1/teams/team_doesnotexist/api-keys", Map.of("name", "k"));
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.json().get("code").asString()).isEqualTo("not_found");
    }

    @Test
    void missingOrInvalidBearerIs401Problem() {
        ApiResponse none = api.anonymous().get("/v1/teams");
        assertThat(none.status()).isEqualTo(401);
        assertThat(none.contentType().isCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)).isTrue();
        assertThat(none.json().get("code").asString()).isEqualTo("unauthorized");
        assertThat(none.json().get("status").asInt()).isEqualTo(401);

        assertThat(api.as("tro_notakey").get("/v1/teams").status()).isEqualTo(401);
        assertThat(api.as("wrong-admin").get("/v1/teams").status()).isEqualTo(401);
        assertThat(api.anonymous().withHeader("Authorization", "Basic Zm9vOmJhcg==").get("/v1/teams").status())
                .isEqualTo(401);
        // Unknown /v1 routes still need a key.
        assertThat(api.anonymous().get("/v1/nothing-here").status()).isEqualTo(401);
    }

    @Test
    void adminActsForTeamOnlyWithExistingTeam() {
        assertThat(api.adminFor("team_missing").get("/v1/teams").status()).isEqualTo(404);
        TropismTestClient.Team team = api.newTeam("acting");
        assertThat(api.adminFor(team.id()).get("/v1/teams").status()).isEqualTo(200);
        // A team key cannot act for another team.
        TropismTestClient.Team other = api.newTeam("other");
        assertThat(team.calls().withHeader("X-Tropism-Team", other.id()).get("/v1/teams").status()).isEqualTo(403);
    }

    @Test
    void openEndpointsNeedNoKey() {
        assertThat(api.anonymous().get("/actuator/health").status()).isEqualTo(200);
        ApiResponse docs = api.anonymous().get("/v3/api-docs");
        assertThat(docs.status()).isEqualTo(200);
        assertThat(docs.json().get("paths").has("/v1/teams")).isTrue();
        assertThat(api.anonymous().get("/swagger-ui/index.html").status()).isEqualTo(200);
    }
}
