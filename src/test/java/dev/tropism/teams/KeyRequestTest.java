package dev.tropism.teams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tropism.web.ApiException;
import dev.tropism.web.Violation;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class KeyRequestTest {

    static final Instant NOW = Instant.parse("2026-12-06T12:00:00Z");

    static List<Violation> violations(KeyRequest r) {
        try {
            r.toSpec("team_1", "admin", NOW);
        } catch (ApiException e) {
            assertThat(e.status().value()).isEqualTo(422);
            assertThat(e.code()).isEqualTo("validation_failed");
            return e.violations();
        }
        throw new AssertionError("accepted: " + r);
    }

    @Test
    void onlyANameGivesTheDefaultScopesAndNoExpiry() {
        ApiKeyEntity.Spec spec = new KeyRequest("  ci  ", null, null, null).toSpec("team_1", "key_9", NOW);
        assertThat(spec.name()).isEqualTo("ci");
        assertThat(spec.scopes()).isEqualTo(Scope.DEFAULT_SCOPES);
        assertThat(spec.expiresAt()).isNull();
        assertThat(spec.createdBy()).isEqualTo("key_9");
    }

    @Test
    void scopesAndExpiryAreTakenAsGiven() {
        ApiKeyEntity.Spec spec = new KeyRequest("ci", List.of("evaluations:write", "TEAM:ADMIN", "evaluations:write"),
                "2027-01-01T01:00:00+01:00", null).toSpec("team_1", "admin", NOW);
        assertThat(spec.scopes()).containsExactly(Scope.EVALUATIONS_WRITE, Scope.TEAM_ADMIN);
        assertThat(spec.expiresAt()).isEqualTo(Instant.parse("2027-01-01T00:00:00Z"));
        assertThat(new KeyRequest("ci", null, null, 30).toSpec("team_1", "admin", NOW).expiresAt())
                .isEqualTo(NOW.plus(30, ChronoUnit.DAYS));
    }

    @Test
    void everyViolationIsReportedAtItsPointer() {
        List<Violation> v = violations(new KeyRequest(" ", Arrays.asList("jobs:read", "jobs:fly", null, "operator",
                "authenticated"), "2026-12-06T11:59:59Z", null));
        assertThat(v).extracting(Violation::pointer)
                .containsExactly("/name", "/scopes/1", "/scopes/2", "/scopes/3", "/scopes/4", "/expires_at");
        assertThat(v.get(1).reason()).contains("unknown scope 'jobs:fly'", "jobs:read");
        assertThat(v.get(3).reason()).contains("admin key only");
        assertThat(v.get(5).reason()).contains("future");
    }

    @Test
    void expiryAndScopeListEdgeCasesAreRefused() {
        assertThat(violations(new KeyRequest("k", List.of(), null, null))).extracting(Violation::pointer)
                .containsExactly("/scopes");
        assertThat(violations(new KeyRequest("k", null, "2027-01-01T00:00:00Z", 3))).extracting(Violation::pointer)
                .containsExactly("/expires_in_days");
        assertThat(violations(new KeyRequest("k", null, null, 0))).extracting(Violation::pointer)
                .containsExactly("/expires_in_days");
        assertThat(violations(new KeyRequest("k", null, null, KeyRequest.MAX_DAYS + 1))).hasSize(1);
        assertThat(violations(new KeyRequest("k", null, "2027-01-01", null)).get(0).reason()).contains("RFC 3339");
        assertThat(violations(new KeyRequest("k", null, "2027-01-01T00:00:00", null))).as("no offset").hasSize(1);
        assertThat(violations(new KeyRequest("k", null, NOW.toString(), null))).as("now is not the future").hasSize(1);
        assertThat(violations(new KeyRequest("k", null, "+300000-01-01T00:00:00Z", null))).as("beyond the database")
                .extracting(Violation::reason).containsExactly("must be at most " + KeyRequest.MAX_DAYS + " days from now");
        assertThat(violations(new KeyRequest("x".repeat(201), null, null, null)).get(0).pointer()).isEqualTo("/name");
    }

    @Test
    void aBlankNameAloneIsRefused() {
        assertThatThrownBy(() -> new KeyRequest(null, null, null, null).toSpec("t", "a", NOW))
                .isInstanceOf(ApiException.class);
    }
}
