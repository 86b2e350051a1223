package dev.tropism.web;

import dev.tropism.engine.ConfigException;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.i18n.LocaleContextHolder;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.validation.FieldError;
import org.springframework.validation.ObjectError;
import org.springframework.web.ErrorResponse;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.bind.MethodArgumentNotValidException;
import org.springframework.web.bind.MissingServletRequestParameterException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.method.annotation.HandlerMethodValidationException;
import org.springframework.web.multipart.MaxUploadSizeExceededException;
import org.springframework.web.multipart.support.MissingServletRequestPartException;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;
import org.springframework.web.servlet.resource.NoResourceFoundException;
import org.springframework.beans.TypeMismatchException;
import tools.jackson.core.exc.StreamReadException;
import tools.jackson.databind.DatabindException;
import tools.jackson.databind.exc.MismatchedInputException;
import tools.jackson.databind.exc.UnrecognizedPropertyException;
import tools.jackson.databind.exc.ValueInstantiationException;

/**
 * Renders every error as an RFC 9457 problem detail ({@code application/problem+json}) with a
 * snake_case {@code code} and, for validation failures, {@code errors[].pointer} (RFC 6901). Runs
 * first; the catch-all for anything else is {@link FallbackAdvice}, last, so that other modules'
 * advice for their own exceptions still applies.
 */
@RestControllerAdvice
@Order(Ordered.HIGHEST_PRECEDENCE)
class ProblemAdvice extends ResponseEntityExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ProblemAdvice.class);

    @ExceptionHandler(ApiException.class)
    ResponseEntity<ProblemDetail> api(ApiException e) {
        ProblemDetail pd = Problems.problem(e.status(), e.code(), e.getMessage(), e.violations());
        e.properties().forEach(pd::setProperty);
        return Problems.response(pd);
    }

    @ExceptionHandler(ConfigException.class)
    ResponseEntity<ProblemDetail> config(ConfigException e) {
        return api(ApiException.invalid("/" + e.field(), e.reason()));
    }

    @ExceptionHandler({DataAccessResourceFailureException.class, CannotCreateTransactionException.class,
            SQLTransientConnectionException.class, SQLNonTransientConnectionException.class})
    ResponseEntity<ProblemDetail> database(Exception e) {
        log.warn("Database unavailable: {}", e.toString());
        return Problems.response(databaseUnavailable());
    }

    static ProblemDetail databaseUnavailable() {
        return Problems.problem(HttpStatus.SERVICE_UNAVAILABLE, "database_unavailable",
                "The database is unavailable; retry shortly.", List.of());
    }

    /**
     * Whether {@code e} comes from losing the database: a connection-failure type anywhere in the cause
     * chain, an SQLException whose SQLState says so (class 08, connection exception; 57P01-57P03, server
     * shutting down or starting), or Hikari's "Connection is closed" (no SQLState): what the rollback
     * after a query on a broken connection throws, once Hikari has evicted that connection, and which
     * replaces the original I/O error.
     */
    static boolean isConnectionFailure(Throwable e) {
        int depth = 0;
        for (Throwable t = e; t != null && depth++ < 64; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof DataAccessResourceFailureException || t instanceof CannotCreateTransactionException
                    || t instanceof SQLTransientConnectionException || t instanceof SQLNonTransientConnectionException
                    || t.getClass().getName().equals("org.hibernate.exception.JDBCConnectionException")) {
                return true;
            }
            if (t instanceof SQLException && (isConnectionState(((SQLException) t).getSQLState())
                    || HIKARI_CLOSED_CONNECTION.equals(t.getMessage()))) {
                return true;
            }
        }
        return false;
    }

    private static final String HIKARI_CLOSED_CONNECTION = "Connection is closed";

    private static boolean isConnectionState(String sqlState) {
        return sqlState != null && (sqlState.startsWith("08") || sqlState.equals("57P01") || sqlState.equals("57P02")
                || sqlState.equals("57P03"));
    }

    @Override
    protected ResponseEntity<Object> handleHttpMessageNotReadable(HttpMessageNotReadableException ex,
            HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        Throwable cause = ex.getMostSpecificCause();
        ProblemDetail pd;
        if (cause instanceof UnrecognizedPropertyException) {
            UnrecognizedPropertyException u = (UnrecognizedPropertyException) cause;
            String pointer = JsonPointers.of(u);
            pd = Problems.problem(HttpStatus.BAD_REQUEST, "unknown_field",
                    "Unknown field '" + u.getPropertyName() + "' at " + pointer + ".",
                    List.of(new Violation(pointer, "unknown field")));
        } else if (cause instanceof ValueInstantiationException) {
            DatabindException d = (DatabindException) cause;
            String reason = d.getCause() != null && d.getCause().getMessage() != null
                    ? d.getCause().getMessage() : "invalid value";
            if (d.getCause() instanceof ConfigException) {
                ConfigException c = (ConfigException) d.getCause();
                String pointer = JsonPointers.of(d) + "/" + c.field();
                pd = Problems.problem(HttpStatus.UNPROCESSABLE_CONTENT, "validation_failed",
                        pointer + " " + c.reason(), List.of(new Violation(pointer, c.reason())));
            } else {
                String pointer = JsonPointers.of(d);
                pd = Problems.problem(HttpStatus.BAD_REQUEST, "invalid_value", "Invalid value at " + pointer + ": " + reason,
                        List.of(new Violation(pointer, reason)));
            }
        } else if (cause instanceof MismatchedInputException && !((MismatchedInputException) cause).getPath().isEmpty()) {
            MismatchedInputException m = (MismatchedInputException) cause;
            String pointer = JsonPointers.of(m);
            String expected = m.getTargetType() == null ? "another type" : describe(m.getTargetType());
            pd = Problems.problem(HttpStatus.BAD_REQUEST, "invalid_type",
                    "Wrong type at " + pointer + ": expected " + expected + ".",
                    List.of(new Violation(pointer, "expected " + expected)));
        } else if (cause instanceof DatabindException && !(cause instanceof MismatchedInputException)
                && !((DatabindException) cause).getPath().isEmpty()) {
            DatabindException d = (DatabindException) cause;
            String pointer = JsonPointers.of(d);
            pd = Problems.problem(HttpStatus.BAD_REQUEST, "invalid_value", "Invalid value at " + pointer + ".",
                    List.of(new Violation(pointer, d.getOriginalMessage())));
        } else {
            String detail = cause instanceof StreamReadException || cause instanceof DatabindException
                    ? "The request body is not valid JSON: " + ((tools.jackson.core.JacksonException) cause).getOriginalMessage()
                    : "The request body is missing or not readable.";
            pd = Problems.problem(HttpStatus.BAD_REQUEST, "malformed_json", detail, List.of());
        }
        return handleExceptionInternal(ex, pd, headers, HttpStatus.BAD_REQUEST, request);
    }

    private static String describe(Class<?> type) {
        if (type == String.class) {
            return "a string";
        }
        if (Number.class.isAssignableFrom(type) || (type.isPrimitive() && type != boolean.class)) {
            return "a number";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "a boolean";
        }
        if (java.util.Collection.class.isAssignableFrom(type) || type.isArray()) {
            return "an array";
        }
        return "an object";
    }

    @Override
    protected ResponseEntity<Object> handleMethodArgumentNotValid(MethodArgumentNotValidException ex,
            HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        List<Violation> violations = new ArrayList<>();
        for (ObjectError error : ex.getBindingResult().getAllErrors()) {
            String pointer = error instanceof FieldError
                    ? JsonPointers.fromPropertyPath(((FieldError) error).getField()) : "";
            violations.add(new Violation(pointer, error.getDefaultMessage()));
        }
        return validationFailed(ex, violations, headers, request);
    }

    @Override
    protected ResponseEntity<Object> handleHandlerMethodValidationException(HandlerMethodValidationException ex,
            HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        List<Violation> violations = new ArrayList<>();
        ex.getParameterValidationResults().forEach(r -> r.getResolvableErrors().forEach(err -> violations.add(
                new Violation("/" + JsonPointers.snake(String.valueOf(r.getMethodParameter().getParameterName())),
                        err.getDefaultMessage()))));
        return validationFailed(ex, violations, headers, request);
    }

    private ResponseEntity<Object> validationFailed(Exception ex, List<Violation> violations, HttpHeaders headers,
            WebRequest request) {
        if (violations.isEmpty()) {
            violations = List.of(new Violation("", "invalid request"));
        }
        ApiException a = ApiException.invalid(violations);
        ProblemDetail pd = Problems.problem(a.status(), a.code(), a.getMessage(), a.violations());
        return handleExceptionInternal(ex, pd, headers, HttpStatus.UNPROCESSABLE_CONTENT, request);
    }

    @Override
    protected ResponseEntity<Object> handleMaxUploadSizeExceededException(MaxUploadSizeExceededException ex,
            HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        ProblemDetail pd = Problems.problem(HttpStatus.PAYLOAD_TOO_LARGE, "payload_too_large",
                "The upload exceeds the maximum size"
                        + (ex.getMaxUploadSize() > 0 ? " of " + ex.getMaxUploadSize() + " bytes." : "."), List.of());
        return handleExceptionInternal(ex, pd, headers, HttpStatus.PAYLOAD_TOO_LARGE, request);
    }

    @Override
    protected ResponseEntity<Object> handleExceptionInternal(Exception ex, Object body, HttpHeaders headers,
            HttpStatusCode statusCode, WebRequest request) {
        if (body == null && ex instanceof ErrorResponse) {
            body = ((ErrorResponse) ex).updateAndGetBody(getMessageSource(), LocaleContextHolder.getLocale());
        }
        if (body instanceof ProblemDetail) {
            ProblemDetail pd = (ProblemDetail) body;
            if (pd.getProperties() == null || !pd.getProperties().containsKey("code")) {
                List<Violation> violations = new ArrayList<>();
                String code = codeFor(ex, statusCode, violations);
                Problems.decorate(pd, code, violations);
            }
        }
        return super.handleExceptionInternal(ex, body, headers, statusCode, request);
    }

    private static String codeFor(Exception ex, HttpStatusCode status, List<Violation> violations) {
        if (ex instanceof MissingServletRequestParameterException) {
            String name = ((MissingServletRequestParameterException) ex).getParameterName();
            violations.add(new Violation("/" + name, "is required"));
            return "missing_parameter";
        }
        if (ex instanceof MissingServletRequestPartException) {
            String name = ((MissingServletRequestPartException) ex).getRequestPartName();
            violations.add(new Violation("/" + name, "is required"));
            return "missing_part";
        }
        if (ex instanceof TypeMismatchException) {
            String name = ((TypeMismatchException) ex).getPropertyName();
            if (name != null) {
                violations.add(new Violation("/" + name, "has the wrong type"));
            }
            return "invalid_type";
        }
        if (ex instanceof HttpMediaTypeNotSupportedException) {
            return "unsupported_media_type";
        }
        if (ex instanceof HttpRequestMethodNotSupportedException) {
            return "method_not_allowed";
        }
        if (ex instanceof NoResourceFoundException) {
            return "not_found";
        }
        HttpStatus known = HttpStatus.resolve(status.value());
        return known == null ? "error" : known.name().toLowerCase(java.util.Locale.ROOT);
    }
}
