package dev.tropism.serving;

import dev.tropism.engine.ConfigException;
import dev.tropism.serving.OpenAiResponses.ErrorBody;
import dev.tropism.web.ApiException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.context.request.async.AsyncRequestNotUsableException;

/**
 * OpenAI's error shape, {@code {"error":{"message","type","param","code"}}}, for the controllers that
 * extend this class, and for them only: a controller's own {@code @ExceptionHandler} methods take
 * precedence over every {@code @ControllerAdvice}, so these endpoints answer OpenAI errors (including a
 * missing or wrong API key, found by the auth interceptor before the handler runs) while the rest of
 * the API keeps RFC 9457 problems.
 */
abstract class OpenAiErrors {

    private static final Logger log = LoggerFactory.getLogger(OpenAiErrors.class);

    @ExceptionHandler(OpenAiException.class)
    ResponseEntity<ErrorBody> openAi(OpenAiException e) {
        ResponseEntity.BodyBuilder b = ResponseEntity.status(e.status()).contentType(MediaType.APPLICATION_JSON);
        if (e.retryAfter() != null) {
            b.header(HttpHeaders.RETRY_AFTER, String.valueOf(Math.max(1, e.retryAfter().toSeconds())));
        }
        return b.body(new ErrorBody(new OpenAiResponses.Error(e.getMessage(), e.type(), e.param(), e.code())));
    }

    /** Tropism's own errors on these routes (authentication, {@code team_required}). */
    @ExceptionHandler(ApiException.class)
    ResponseEntity<ErrorBody> api(ApiException e) {
        String type = e.status() == HttpStatus.UNAUTHORIZED ? "authentication_error"
                : e.status() == HttpStatus.FORBIDDEN ? "permission_error" : OpenAiException.INVALID_REQUEST;
        String code = e.status() == HttpStatus.UNAUTHORIZED ? "invalid_api_key" : e.code();
        return openAi(new OpenAiException(e.status(), type, null, code, e.getMessage(), null));
    }

    @ExceptionHandler(ConfigException.class)
    ResponseEntity<ErrorBody> config(ConfigException e) {
        return openAi(OpenAiException.invalid(e.field(), "'" + e.field() + "' " + e.reason()));
    }

    @ExceptionHandler(CompletionException.class)
    ResponseEntity<ErrorBody> completion(CompletionException e) throws Exception {
        if (e.getCause() instanceof OpenAiException) {
            return openAi((OpenAiException) e.getCause());
        }
        return unexpected(e.getCause() instanceof Exception ? (Exception) e.getCause() : e);
    }

    /** The client is gone (a streamed answer could not be written): nothing more can be written. */
    @ExceptionHandler({AsyncRequestNotUsableException.class, IOException.class, UncheckedIOException.class})
    void gone(Exception e) {
        log.debug("Client went away: {}", e.toString());
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<ErrorBody> unexpected(Exception e) {
        log.error("Unexpected error on an OpenAI-compatible endpoint", e);
        return openAi(new OpenAiException(HttpStatus.INTERNAL_SERVER_ERROR, "server_error", null,
                e.getClass().getSimpleName().toLowerCase(Locale.ROOT), "The server had an error processing the request.",
                null));
    }
}
