package dev.tropism.serving;

import java.time.Duration;
import org.springframework.http.HttpStatus;

/**
 * An error of the OpenAI-compatible endpoints, rendered as {@code {"error":{"message","type","param",
 * "code"}}} (what OpenAI's client libraries parse) instead of Tropism's RFC 9457 problems.
 *
 * @see OpenAiErrors
 */
public final class OpenAiException extends RuntimeException {

    public static final String INVALID_REQUEST = "invalid_request_error";

    private final HttpStatus status;
    private final String type;
    private final String param;
    private final String code;
    private final Duration retryAfter;

    public OpenAiException(HttpStatus status, String type, String param, String code, String message,
            Duration retryAfter) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
        this.retryAfter = retryAfter;
    }

    /** 400 {@code invalid_request_error} about {@code param}. */
    public static OpenAiException invalid(String param, String message) {
        return new OpenAiException(HttpStatus.BAD_REQUEST, INVALID_REQUEST, param, "invalid_value", message, null);
    }

    /** 404 for an unknown model, and equally for another team's. */
    public static OpenAiException modelNotFound(String model) {
        return new OpenAiException(HttpStatus.NOT_FOUND, INVALID_REQUEST, "model", "model_not_found",
                "The model '" + model + "' does not exist or you do not have access to it.", null);
    }

    public HttpStatus status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String param() {
        return param;
    }

    public String code() {
        return code;
    }

    /** For 429: the {@code Retry-After} to send; else null. */
    public Duration retryAfter() {
        return retryAfter;
    }
}
