package dev.tropism.teams;

import dev.tropism.web.Problems;
import java.util.List;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/** The teams module's own problem: 403 {@code missing_scope} with {@code scope}, the wire name (absent when none). */
@RestControllerAdvice
@Order(Ordered.HIGHEST_PRECEDENCE + 1)
class TeamsProblemAdvice {

    @ExceptionHandler(MissingScopeException.class)
    ResponseEntity<ProblemDetail> missingScope(MissingScopeException e) {
        ProblemDetail pd = Problems.problem(HttpStatus.FORBIDDEN, "missing_scope", e.getMessage(), List.of());
        if (e.scope() != null) {
            pd.setProperty("scope", e.scope().wire());
        }
        return Problems.response(pd);
    }
}
