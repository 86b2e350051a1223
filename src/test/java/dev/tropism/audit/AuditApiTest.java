package dev.tropism.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tropism.jobs.RewardHackingSuspected;
import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.dao.DataAccessException;
import org.springframework.http.HttpMethod;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;

/** The audit log on PostgreSQL: what the HTTP calls append, what the system appends, reading it, and append-only. */
@TropismIntegrationTest
class AuditApiTest {

    static final String EXACT_GRADER = "{\"type\":\"string_check\",\"name\":\"exact\","
            + "\"input\":\"{{sample.output_text}}\",\"reference\":\"{{item.answer}}\",\"operation\":\"eq\"}";

    @Autowired
    TropismTestClient api;

    @Autowired
    JdbcClient jdbc;

    @Autowired
    AuditLog audit;

    @Autowired
    ApplicationEventPublisher events;

    @Test
    void theRowsOfAScriptedSequenceOfCallsAreExactlyThoseCalls() {
        long marker = newestId();

        ApiResponse team = api.admin().post("/v1/teams", Map.of("name", "audited"));
        String teamId = team.json().get("id").asString();
        ApiResponse key = api.admin().post("/v1/teams/" + teamId + "/api-keys", Map.of("name", "ci"));
        String keyId = key.json().get("id").asString();
        TropismTestClient.Calls calls = api.as(key.json().get("key").asString());
        ApiResponse spec = calls.post("/v1/reward-specs", "{\"name\":\"exact\",\"grader\":" + EXACT_GRADER + "}");
        assertThat(spec.status()).as(spec.toString()).isEqualTo(201);
        String specId = spec.json().get("id").asString();
        assertThat(calls.post("/v1/reward-specs", "{\"name\":\"\",\"grader\":" + EXACT_GRADER + "}").status()).isEqualTo(422);
        assertThat(calls.get("/v1/reward-specs").status()).isEqualTo(200); // reads are not audited
        assertThat(calls.post("/v1/aliases/prod", Map.of("target", specId)).status()).isEqualTo(201);
        assertThat(calls.exchange(HttpMethod.DELETE, "/v1/aliases/prod?ignored=1", null, null).status()).isEqualTo(204);
        assertThat(calls.delete("/v1/webhook-endpoints/we_nope").status()).isEqualTo(404);
        assertThat(api.anonymous().post("/v1/reward-specs", "{}").status()).isEqualTo(401);
        assertThat(api.as("tro_unknown").delete("/v1/aliases/prod").status()).isEqualTo(401);
        assertThat(api.adminFor(teamId).post("/v1/aliases/staging", Map.of("target", specId)).status()).isEqualTo(201);
        assertThat(api.admin().get("/v1/audit-events").status()).isEqualTo(200);

        List<String> rows = new ArrayList<>();
        for (JsonNode e : eventsAfter(marker)) {
            rows.add(String.join(" | ", text(e, "key_id"), text(e, "team_id"), text(e, "action"), text(e, "path"),
                    text(e, "status"), text(e, "outcome"), text(e, "resource_type"), text(e, "resource_id"),
                    text(e, "detail")));
        }
        assertThat(rows).containsExactly(
                "admin | null | POST /v1/teams | /v1/teams | 201 | succeeded | teams | " + teamId + " | null",
                "admin | null | POST /v1/teams/{teamId}/api-keys | /v1/teams/" + teamId + "/api-keys | 201 | succeeded"
                        + " | api-keys | " + keyId + " | null",
                keyId + " | " + teamId + " | POST /v1/reward-specs | /v1/reward-specs | 201 | succeeded | reward-specs | "
                        + specId + " | null",
                keyId + " | " + teamId + " | POST /v1/reward-specs | /v1/reward-specs | 422 | rejected | reward-specs"
                        + " | null | {\"code\":\"validation_failed\"}",
                keyId + " | " + teamId + " | POST /v1/aliases/{name} | /v1/aliases/prod | 201 | succeeded | aliases | prod"
                        + " | null",
                keyId + " | " + teamId + " | DELETE /v1/aliases/{name} | /v1/aliases/prod | 204 | succeeded | aliases"
                        + " | prod | null",
                keyId + " | " + teamId + " | DELETE /v1/webhook-endpoints/{id} | /v1/webhook-endpoints/we_nope | 404"
                        + " | rejected | webhook-endpoints | we_nope | {\"code\":\"not_found\"}",
                "null | null | POST /v1/reward-specs | /v1/reward-specs | 401 | denied | reward-specs | null"
                        + " | {\"code\":\"unauthorized\"}",
                "null | null | DELETE /v1/aliases/{name} | /v1/aliases/prod | 401 | denied | aliases | prod"
                        + " | {\"code\":\"unauthorized\"}",
                "admin | " + teamId + " | POST /v1/aliases/{name} | /v1/aliases/staging | 201 | succeeded | aliases"
                        + " | staging | null");
        for (JsonNode e : eventsAfter(marker)) {
            assertThat(e.get("remote_addr").asString()).isIn("127.0.0.1", "0:0:0:0:0:0:0:1");
            assertThat(e.get("at").asString()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
        }
    }

    @Test
    void aForwardedForHeaderIsNotTrustedUnlessConfigured() {
        TropismTestClient.Team team = api.newTeam("spoofing");
        team.calls().withHeader("X-Forwarded-For", "203.0.113.7").delete("/v1/aliases/nope");
        JsonNode rows = api.adminFor(team.id()).get("/v1/audit-events").json().get("data");
        assertThat(rows).hasSize(1);
        assertThat(rows.get(0).get("remote_addr").asString()).isIn("127.0.0.1", "0:0:0:0:0:0:0:1");
    }

    @Test
    void systemActionsAreAppendedAndFiltered() {
        TropismTestClient.Team team = api.newTeam("system-actions");
        audit.system(team.id(), "checkpoint.deleted", "checkpoints", "ckpt_audit1", Map.of("step", 40, "reason", "retention"));
        audit.system(null, "workers.lost", "nodes", "node_1", null);

        JsonNode byResource = api.admin().get("/v1/audit-events?resource=ckpt_audit1").json().get("data");
        assertThat(byResource).hasSize(1);
        JsonNode e = byResource.get(0);
        assertThat(e.get("key_id").asString()).isEqualTo("system");
        assertThat(e.get("team_id").asString()).isEqualTo(team.id());
        assertThat(e.get("action").asString()).isEqualTo("checkpoint.deleted");
        assertThat(e.get("outcome").asString()).isEqualTo("succeeded");
        assertThat(e.get("method").isNull()).isTrue();
        assertThat(e.get("status").isNull()).isTrue();
        assertThat(e.get("detail").get("step").asInt()).isEqualTo(40);
        assertThat(e.get("detail").get("reason").asString()).isEqualTo("retention");

        JsonNode byAction = api.admin().get("/v1/audit-events?action=workers.lost").json().get("data");
        assertThat(byAction).hasSize(1);
        assertThat(byAction.get(0).get("team_id").isNull()).isTrue();
        // the team's own view has its system row and its calls, never another team's or the team-less rows
        JsonNode own = api.adminFor(team.id()).get("/v1/audit-events?limit=100").json().get("data");
        assertThat(own).isNotEmpty().allSatisfy(r -> assertThat(r.get("team_id").asString()).isEqualTo(team.id()));
        assertThat(own.get(0).get("action").asString()).isEqualTo("checkpoint.deleted");
    }

    @Test
    void aPauseByTheHackingMonitorIsAppendedAndAWarningIsNot() {
        TropismTestClient.Team team = api.newTeam("monitored");
        events.publishEvent(new RewardHackingSuspected("job_warned", team.id(), 7, "suspected",
                Map.of("rule", "kl_bound", "action", "warn")));
        events.publishEvent(new RewardHackingSuspected("job_paused", team.id(), 9, "Reward hacking suspected at step 9",
                Map.of("rule", "kl_bound", "action", "pause")));

        JsonNode rows = api.adminFor(team.id()).get("/v1/audit-events?action=job.paused_by_hacking_monitor").json()
                .get("data");
        assertThat(rows).hasSize(1);
        JsonNode e = rows.get(0);
        assertThat(e.get("key_id").asString()).isEqualTo("system");
        assertThat(e.get("resource_type").asString()).isEqualTo("jobs");
        assertThat(e.get("resource_id").asString()).isEqualTo("job_paused");
        assertThat(e.get("detail").get("step").asInt()).isEqualTo(9);
        assertThat(e.get("detail").get("rule").asString()).isEqualTo("kl_bound");
        assertThat(api.admin().get("/v1/audit-events?resource=job_warned").json().get("data")).isEmpty();
    }

    @Test
    void aTeamReadsOnlyItsOwnAuditLog() {
        TropismTestClient.Team a = api.newTeam("audit-a");
        TropismTestClient.Team b = api.newTeam("audit-b");
        TropismTestClient.Calls aAdmin = api.as(teamAdminKey(a.id()));
        assertThat(b.calls().post("/v1/aliases/b-only", Map.of("target", "rs_missing")).status()).isGreaterThanOrEqualTo(400);
        assertThat(a.calls().post("/v1/aliases/a-only", Map.of("target", "rs_missing")).status()).isGreaterThanOrEqualTo(400);

        ApiResponse own = aAdmin.get("/v1/audit-events?limit=100");
        assertThat(own.status()).as(own.toString()).isEqualTo(200);
        assertThat(own.json().get("data")).isNotEmpty()
                .allSatisfy(r -> assertThat(r.get("team_id").asString()).isEqualTo(a.id()));
        assertThat(own.json().get("data").get(0).get("path").asString()).isEqualTo("/v1/aliases/a-only");
        assertThat(aAdmin.get("/v1/audit-events?team=" + a.id()).status()).isEqualTo(200);
        ApiResponse other = aAdmin.get("/v1/audit-events?team=" + b.id());
        assertThat(other.status()).isEqualTo(404);
        assertThat(other.json().get("code").asString()).isEqualTo("not_found");
        // the admin key reads any team's
        JsonNode bRows = api.admin().get("/v1/audit-events?team=" + b.id()).json().get("data");
        assertThat(bRows).isNotEmpty().allSatisfy(r -> assertThat(r.get("team_id").asString()).isEqualTo(b.id()));
    }

    @Test
    void pagesNewestFirstAndFiltersByTime() throws Exception {
        TropismTestClient.Team team = api.newTeam("audit-pages");
        for (int i = 0; i < 5; i++) {
            audit.system(team.id(), "page.test", "things", "thing_" + i, null);
        }
        String base = "/v1/audit-events?team=" + team.id() + "&action=page.test";
        JsonNode first = api.admin().get(base + "&limit=2").json();
        assertThat(ids(first)).containsExactly("thing_4", "thing_3");
        assertThat(first.get("has_more").asBoolean()).isTrue();
        String cursor = first.get("data").get(1).get("id").asString();
        JsonNode rest = api.admin().get(base + "&limit=100&after=" + cursor).json();
        assertThat(ids(rest)).containsExactly("thing_2", "thing_1", "thing_0");
        assertThat(rest.get("has_more").asBoolean()).isFalse();

        String at = first.get("data").get(0).get("at").asString(); // thing_4's time
        assertThat(ids(api.admin().get(base + "&from=" + at).json())).containsExactly("thing_4");
        assertThat(ids(api.admin().get(base + "&to=" + at).json())).containsExactly("thing_3", "thing_2", "thing_1", "thing_0");
        assertThat(ids(api.admin().get(base + "&from=2000-01-01T00:00:00-01:00&to=2001-01-01T00:00:00Z").json())).isEmpty();

        ApiResponse bad = api.admin().get("/v1/audit-events?from=yesterday&after=x1&limit=0");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.json().get("code").asString()).isEqualTo("invalid_parameter");
        assertThat(api.admin().get("/v1/audit-events?after=x1").json().get("errors").get(0).get("pointer").asString())
                .isEqualTo("/after");
        assertThat(api.admin().get("/v1/audit-events?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z").json()
                .get("errors").get(0).get("pointer").asString()).isEqualTo("/from");
        ApiResponse farFuture = api.admin().get("/v1/audit-events?to=%2B300000-01-01T00:00:00Z");
        assertThat(farFuture.status()).as(farFuture.toString()).isEqualTo(400);
        assertThat(farFuture.json().get("errors").get(0).get("pointer").asString()).isEqualTo("/to");
    }

    @Test
    void updateDeleteAndTruncateOfTheAuditTableFailOnPostgreSQL() {
        audit.system(null, "append.only", "things", "thing_x", null);
        long count = jdbc.sql("SELECT COUNT(*) FROM audit_events").query(Long.class).single();
        assertThat(count).isPositive();

        assertThatThrownBy(() -> jdbc.sql("UPDATE audit_events SET outcome = 'failed'").update())
                .isInstanceOf(DataAccessException.class).hasStackTraceContaining("append-only: UPDATE refused");
        assertThatThrownBy(() -> jdbc.sql("DELETE FROM audit_events WHERE action = 'append.only'").update())
                .isInstanceOf(DataAccessException.class).hasStackTraceContaining("append-only: DELETE refused");
        assertThatThrownBy(() -> jdbc.sql("DELETE FROM audit_events WHERE id < 0").update())
                .as("refused even when no row matches").isInstanceOf(DataAccessException.class);
        assertThatThrownBy(() -> jdbc.sql("TRUNCATE audit_events").update())
                .isInstanceOf(DataAccessException.class).hasStackTraceContaining("append-only: TRUNCATE refused");

        assertThat(jdbc.sql("SELECT COUNT(*) FROM audit_events").query(Long.class).single()).isEqualTo(count);
        assertThat(jdbc.sql("SELECT outcome FROM audit_events WHERE action = 'append.only'").query(String.class).single())
                .isEqualTo("succeeded");
    }

    /**
     * A key of {@code teamId} with {@code team:admin}. Until scoped keys exist (helper K's branch), a key created with
     * {@code scopes} answers 400 {@code unknown_field}, and any team key may read its team's audit log.
     */
    private String teamAdminKey(String teamId) {
        ApiResponse k = api.admin().post("/v1/teams/" + teamId + "/api-keys",
                Map.of("name", "admin", "scopes", List.of("team:admin")));
        assertThat(k.status()).as(k.toString()).isEqualTo(201);
        return k.json().get("key").asString();
    }

    private long newestId() {
        JsonNode data = api.admin().get("/v1/audit-events?limit=1").json().get("data");
        return data.isEmpty() ? 0 : data.get(0).get("id").asLong();
    }

    /** The events after {@code marker}, oldest first. */
    private List<JsonNode> eventsAfter(long marker) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode e : api.admin().get("/v1/audit-events?limit=100").json().get("data")) {
            if (e.get("id").asLong() > marker) {
                out.add(0, e);
            }
        }
        return out;
    }

    private static List<String> ids(JsonNode list) {
        List<String> out = new ArrayList<>();
        list.get("data").forEach(e -> out.add(e.get("resource_id").asString()));
        return out;
    }

    private static String text(JsonNode e, String field) {
        JsonNode v = e.get(field);
        return v == null || v.isNull() ? "null" : v.isObject() ? v.toString() : v.asText();
    }
}
