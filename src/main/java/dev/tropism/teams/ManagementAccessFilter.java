package dev.tropism.teams;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * The actuator exposes every team's job ids and training curves (Prometheus gauges), so everything
 * under {@code /actuator} except {@code /actuator/health} needs the admin key as a bearer token
 * (Prometheus: {@code authorization: {credentials_file: admin.key}}). Team keys are refused.
 */
@Component
class ManagementAccessFilter extends OncePerRequestFilter {

    private final AdminKey adminKey;

    ManagementAccessFilter(AdminKey adminKey) {
        this.adminKey = adminKey;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        String path = request.getRequestURI().substring(request.getContextPath().length());
        return !path.startsWith("/actuator") || path.equals("/actuator/health") || path.startsWith("/actuator/health/");
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String header = request.getHeader(HttpHeaders.AUTHORIZATION);
        boolean bearer = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7);
        if (bearer && adminKey.matches(header.substring(7).trim())) {
            chain.doFilter(request, response);
            return;
        }
        response.setStatus(HttpServletResponse.SC_UNAUTHORIZED);
        response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        response.getWriter().write("{\"type\":\"about:blank\",\"title\":\"Unauthorized\",\"status\":401,"
                + "\"code\":\"unauthorized\",\"detail\":\"The actuator needs the admin key: Authorization: Bearer <admin key>.\"}");
    }
}
