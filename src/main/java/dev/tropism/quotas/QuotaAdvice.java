package dev.tropism.quotas;

import dev.tropism.web.Problems;
import java.util.List;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/** Renders {@link QuotaExceededException} as a 409 problem detail naming the quota, its limit and the usage. */
@RestControllerAdvice
@Order(Ordered.HIGHEST_PRECEDENCE + 1)
class QuotaAdvice {

    static final String CODE = "quota_exceeded";

    @ExceptionHandler(QuotaExceededException.class)
    ResponseEntity<ProblemDetail> quota(QuotaExceededException e) {
        ProblemDetail pd = Problems.problem(HttpStatus.CONFLICT, CODE, e.getMessage(), List.of());
        pd.setProperty("quota", e.quota().wire());
        pd.setProperty("limit", e.limit());
        pd.setProperty("used", e.used());
        return Problems.response(pd);
    }
}
