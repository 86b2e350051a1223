package dev.tropism.teams;

import dev.tropism.web.ApiException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.servlet.HandlerMapping;

/**
 * Requires {@code Authorization: Bearer <key>} on {@code /v1/**}, records the {@link Caller}, and enforces the
 * operation's {@link RequiresScope} ({@link ScopeCheck}). Requests that reach no controller method (an unknown
 * {@code /v1} path) are authenticated but carry no scope to check, and answer 404 after.
 */
class AuthInterceptor implements HandlerInterceptor {

    static final String CALLER_ATTRIBUTE = Caller.REQUEST_ATTRIBUTE;

    /** One answer for an unknown, a revoked and an expired key, so that none can be told from the others. */
    static final String INVALID_KEY = "The API key is not valid.";

    private final ApiKeyService keys;

    AuthInterceptor(ApiKeyService keys) {
        this.keys = keys;
    }

    @Override
    public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler) {
        if ("OPTIONS".equals(request.getMethod())) {
            return true;
        }
        String header = request.getHeader(HttpHeaders.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7) || header.substring(7).isBlank()) {
            throw unauthorized("Send Authorization: Bearer <api key>.");
        }
        Caller caller = keys.authenticate(header.substring(7).trim(), request.getHeader(Caller.TEAM_HEADER))
                .orElseThrow(() -> unauthorized(INVALID_KEY));
        request.setAttribute(CALLER_ATTRIBUTE, caller);
        if (handler instanceof HandlerMethod method) {
            Object pattern = request.getAttribute(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE);
            ScopeCheck.enforce(caller, method, request.getMethod(), pattern != null ? pattern.toString()
                    : request.getRequestURI().substring(request.getContextPath().length()));
        }
        return true;
    }

    private static ApiException unauthorized(String detail) {
        return new ApiException(HttpStatus.UNAUTHORIZED, "unauthorized", detail);
    }
}
