package dev.tropism.web;

import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/** Last resort: a database outage anywhere in the cause chain is 503, anything else a logged 500. */
@RestControllerAdvice
@Order(Ordered.LOWEST_PRECEDENCE)
class FallbackAdvice {

    private static final Logger log = LoggerFactory.getLogger(FallbackAdvice.class);

    @ExceptionHandler(Exception.class)
    ResponseEntity<ProblemDetail> unexpected(Exception e) {
        if (ProblemAdvice.isConnectionFailure(e)) {
            log.warn("Database unavailable: {}", e.toString());
            return Problems.response(ProblemAdvice.databaseUnavailable());
        }
        log.error("Unhandled error", e);
        return Problems.response(Problems.problem(HttpStatus.INTERNAL_SERVER_ERROR, "internal_error",
                "An internal error occurred; it has been logged.", List.of()));
    }
}
