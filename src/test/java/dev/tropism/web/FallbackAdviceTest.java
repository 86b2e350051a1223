package dev.tropism.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLTransientConnectionException;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;

class FallbackAdviceTest {

    final FallbackAdvice advice = new FallbackAdvice();

    @Test
    void connectionFailureAnywhereInCauseChainIs503() {
        ResponseEntity<ProblemDetail> r = advice.unexpected(new IllegalStateException("wrapped",
                new RuntimeException(new SQLTransientConnectionException("HikariPool-1 - Connection is not available"))));
        assertThat(r.getStatusCode().value()).isEqualTo(503);
        assertThat(r.getBody().getProperties()).containsEntry("code", "database_unavailable");
        assertThat(advice.unexpected(new DataAccessResourceFailureException("down")).getStatusCode().value())
                .isEqualTo(503);
    }

    @Test
    void anythingElseIsGeneric500() {
        ResponseEntity<ProblemDetail> r = advice.unexpected(new NullPointerException("secret internals"));
        assertThat(r.getStatusCode().value()).isEqualTo(500);
        assertThat(r.getBody().getDetail()).doesNotContain("secret");
        assertThat(r.getBody().getProperties()).containsEntry("code", "internal_error");
    }
}
