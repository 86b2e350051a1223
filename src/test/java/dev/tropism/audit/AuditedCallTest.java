package dev.tropism.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class AuditedCallTest {

    @Test
    void aCreationNamesTheNewResourceAfterTheRoutesLastLiteralSegment() {
        assertThat(AuditedCall.of("POST", "/v1/teams/team_1/api-keys", "/v1/teams/{teamId}/api-keys",
                Map.of("teamId", "team_1"), "key_9", 201))
                .isEqualTo(new AuditedCall("POST /v1/teams/{teamId}/api-keys", "api-keys", "key_9"));
        assertThat(AuditedCall.of("POST", "/v1/jobs", "/v1/jobs", Map.of(), "job_1", 201))
                .isEqualTo(new AuditedCall("POST /v1/jobs", "jobs", "job_1"));
    }

    @Test
    void otherwiseTheRoutesLastVariableAndTheSegmentBeforeIt() {
        assertThat(AuditedCall.of("DELETE", "/v1/teams/team_1/api-keys/key_2", "/v1/teams/{teamId}/api-keys/{keyId}",
                Map.of("teamId", "team_1", "keyId", "key_2"), null, 204))
                .isEqualTo(new AuditedCall("DELETE /v1/teams/{teamId}/api-keys/{keyId}", "api-keys", "key_2"));
        // an action on a resource answers with that resource: still the path's id
        assertThat(AuditedCall.of("POST", "/v1/jobs/job_1/pause", "/v1/jobs/{id}/pause", Map.of("id", "job_1"),
                "job_1", 200)).isEqualTo(new AuditedCall("POST /v1/jobs/{id}/pause", "jobs", "job_1"));
        // refused before creating anything: the collection, no id
        assertThat(AuditedCall.of("POST", "/v1/jobs", "/v1/jobs", Map.of(), null, 422))
                .isEqualTo(new AuditedCall("POST /v1/jobs", "jobs", null));
    }

    @Test
    void noRouteKeepsTheRawPath() {
        assertThat(AuditedCall.of("POST", "/v1/nothing/here", null, null, null, 404))
                .isEqualTo(new AuditedCall("POST /v1/nothing/here", null, null));
        assertThat(AuditedCall.of("PUT", "/v1/x", "/**", Map.of(), null, 404))
                .isEqualTo(new AuditedCall("PUT /v1/x", null, null));
    }

    @Test
    void outcomesFollowTheStatus() {
        assertThat(AuditOutcome.of(201)).isEqualTo(AuditOutcome.SUCCEEDED);
        assertThat(AuditOutcome.of(401)).isEqualTo(AuditOutcome.DENIED);
        assertThat(AuditOutcome.of(403)).isEqualTo(AuditOutcome.DENIED);
        assertThat(AuditOutcome.of(429)).isEqualTo(AuditOutcome.REJECTED);
        assertThat(AuditOutcome.of(503)).isEqualTo(AuditOutcome.FAILED);
    }
}
