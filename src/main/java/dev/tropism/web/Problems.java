package dev.tropism.web;

import java.net.URI;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;

/** Builds RFC 9457 problem details carrying a snake_case {@code code} and optional {@code errors}. */
public final class Problems {

    public static final String TYPE_BASE = "https://tropism.dev/problems/";

    private Problems() {
    }

    public static ProblemDetail problem(HttpStatusCode status, String code, String detail, List<Violation> violations) {
        ProblemDetail pd = ProblemDetail.forStatusAndDetail(status, detail);
        decorate(pd, code, violations);
        return pd;
    }

    /** Sets {@code type}, {@code code} and (when any) {@code errors} on an existing problem detail. */
    public static void decorate(ProblemDetail pd, String code, List<Violation> violations) {
        pd.setType(URI.create(TYPE_BASE + code.replace('_', '-')));
        pd.setProperty("code", code);
        if (!violations.isEmpty()) {
            pd.setProperty("errors", violations.stream()
                    .map(v -> Map.of("pointer", v.pointer(), "detail", v.reason()))
                    .toList());
        }
    }

    public static ResponseEntity<ProblemDetail> response(ProblemDetail pd) {
        return ResponseEntity.status(pd.getStatus()).contentType(MediaType.APPLICATION_PROBLEM_JSON).body(pd);
    }
}
