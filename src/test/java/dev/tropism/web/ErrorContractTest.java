package dev.tropism.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import tools.jackson.databind.JsonNode;

@TropismIntegrationTest
class ErrorContractTest {

    @Autowired
    TropismTestClient api;

    static void assertProblem(ApiResponse r, int status, String code) {
        assertThat(r.status()).as(r.toString()).isEqualTo(status);
        assertThat(r.contentType().isCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)).as(r.toString()).isTrue();
        JsonNode body = r.json();
        assertThat(body.get("status").asInt()).isEqualTo(status);
        assertThat(body.get("code").asString()).isEqualTo(code);
        assertThat(body.get("title").asString()).isNotBlank();
        assertThat(body.get("type").asString()).isNotBlank();
        assertThat(body.has("detail")).isTrue();
    }

    @Test
    void validationErrorsCarryJsonPointers() {
        ApiResponse r = api.admin().post("/v1/teams", "{\"name\":\"   \"}");
        assertProblem(r, 422, "validation_failed");
        assertThat(r.json().get("errors").get(0).get("pointer").asString()).isEqualTo("/name");
        assertThat(r.json().get("errors").get(0).get("detail").asString()).isNotBlank();
    }

    @Test
    void malformedJsonUnknownFieldAndWrongType() {
        assertProblem(api.admin().post("/v1/teams", "{\"name\": "), 400, "malformed_json");
        assertProblem(api.admin().post("/v1/teams", ""), 400, "malformed_json");

        ApiResponse unknown = api.admin().post("/v1/teams", "{\"name\":\"a\",\"colour\":\"red\"}");
        assertProblem(unknown, 400, "unknown_field");
        assertThat(unknown.json().get("errors").get(0).get("pointer").asString()).isEqualTo("/colour");

        ApiResponse wrong = api.admin().post("/v1/teams", "{\"name\":{\"first\":\"a\"}}");
        assertProblem(wrong, 400, "invalid_type");
        assertThat(wrong.json().get("errors").get(0).get("pointer").asString()).isEqualTo("/name");

        ApiResponse nested = api.admin().post("/v1/reward-specs/validate", "{\"grader\":{\"a\":1},\"x\":{\"y\":1}}");
        assertProblem(nested, 400, "unknown_field");
        assertThat(nested.json().get("errors").get(0).get("pointer").asString()).isEqualTo("/x");
    }

    @Test
    void httpLevelErrors() {
        assertProblem(api.admin().delete("/v1/teams"), 405, "method_not_allowed");
        assertProblem(api.admin().exchange(HttpMethod.POST, "/v1/teams", MediaType.TEXT_PLAIN, "name=x"), 415,
                "unsupported_media_type");
        assertProblem(api.admin().get("/v1/no-such-route"), 404, "not_found");
        assertProblem(api.anonymous().get("/no-such-page"), 404, "not_found");
        assertProblem(api.anonymous().get("/v1/teams"), 401, "unauthorized");
    }
}
