package dev.tropism.web;

import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;

/**
 * A client error that the web layer renders as an RFC 9457 problem detail with {@code code} and,
 * for validation failures, every {@link Violation} at once under {@code errors}.
 */
public class ApiException extends RuntimeException {

    private final HttpStatus status;
    private final String code;
    private final List<Violation> violations;

    public ApiException(HttpStatus status, String code, String detail, List<Violation> violations) {
        super(detail);
        this.status = status;
        this.code = code;
        this.violations = List.copyOf(violations);
    }

    public ApiException(HttpStatus status, String code, String detail) {
        this(status, code, detail, List.of());
    }

    /** 404 for a missing id, and equally for another team's id. */
    public static ApiException notFound(String kind, String id) {
        return new ApiException(HttpStatus.NOT_FOUND, "not_found", "No " + kind + " with id '" + id + "'.");
    }

    /** 422 listing every violation found. */
    public static ApiException invalid(List<Violation> violations) {
        return new ApiException(HttpStatus.UNPROCESSABLE_CONTENT, "validation_failed",
                violations.size() + " invalid field(s): " + violations.get(0).pointer() + " " + violations.get(0).reason()
                        + (violations.size() > 1 ? " (and more)" : ""), violations);
    }

    public static ApiException invalid(String pointer, String reason) {
        return invalid(List.of(new Violation(pointer, reason)));
    }

    public static ApiException conflict(String code, String detail) {
        return new ApiException(HttpStatus.CONFLICT, code, detail);
    }

    public HttpStatus status() {
        return status;
    }

    public String code() {
        return code;
    }

    public List<Violation> violations() {
        return violations;
    }

    /** Extension members of the problem beside {@code code} and {@code errors}, e.g. {@code scope}; none here. */
    public Map<String, Object> properties() {
        return Map.of();
    }
}
