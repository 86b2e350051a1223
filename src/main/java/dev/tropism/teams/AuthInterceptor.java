package dev.tropism.teams;

import dev.tropism.web.ApiException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.web.servlet.HandlerInterceptor;

/** Requires {@code Authorization: Bearer <key>} on {@code /v1/**} and records the {@link Caller}. */
class AuthInterceptor implements HandlerInterceptor {

    static final String CALLER_ATTRIBUTE = Caller.REQUEST_ATTRIBUTE;

    private final TeamService teams;

    AuthInterceptor(TeamService teams) {
        this.teams = teams;
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
        Caller caller = teams.authenticate(header.substring(7).trim(), request.getHeader(Caller.TEAM_HEADER))
                .orElseThrow(() -> unauthorized("The API key is not valid."));
        request.setAttribute(CALLER_ATTRIBUTE, caller);
        return true;
    }

    private static ApiException unauthorized(String detail) {
        return new ApiException(HttpStatus.UNAUTHORIZED, "unauthorized", detail);
    }
}
