package dev.tropism.ratelimits;

import dev.tropism.teams.Caller;
import dev.tropism.teams.RequiresScope;
import dev.tropism.teams.Scope;
import dev.tropism.web.ApiException;
import dev.tropism.web.HandlerAnnotations;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.web.servlet.HandlerInterceptor;

/**
 * Counts every authenticated {@code /v1/**} request of a team key once against its key's bucket ({@code serving}
 * for routes that require {@link Scope#INFERENCE}, else {@code api}), and writes the IETF RateLimit headers
 * (draft-ietf-httpapi-ratelimit-headers-10/11 form) on the response:
 *
 * <pre>
 * RateLimit-Policy: "api";q=6000;w=60     (q: the bucket's capacity; w: seconds to refill it from empty)
 * RateLimit: "api";r=5999;t=1              (r: tokens left; t: seconds until the bucket is full again)
 * </pre>
 *
 * An empty bucket answers 429 problem {@code rate_limited} with {@code Retry-After} (seconds until one token is back)
 * and the same headers. Registered after authentication, which puts the {@link Caller} on the request; the admin key
 * is not limited. An async request's second dispatch (server-sent events, streamed bodies) is not counted again.
 */
class RateLimitInterceptor implements HandlerInterceptor {

    static final String POLICY_HEADER = "RateLimit-Policy";
    static final String STATE_HEADER = "RateLimit";
    private static final String COUNTED = RateLimitInterceptor.class.getName() + ".counted";

    private final RateLimiter limiter;

    RateLimitInterceptor(RateLimiter limiter) {
        this.limiter = limiter;
    }

    @Override
    public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler) {
        if (request.getDispatcherType() != DispatcherType.REQUEST || request.getAttribute(COUNTED) != null) {
            return true;
        }
        Caller caller = (Caller) request.getAttribute(Caller.REQUEST_ATTRIBUTE);
        if (caller == null || caller.admin()) {
            return true;
        }
        request.setAttribute(COUNTED, Boolean.TRUE);
        RequiresScope scope = HandlerAnnotations.find(handler, RequiresScope.class);
        RatePolicy policy = scope != null && scope.value() == Scope.INFERENCE ? RatePolicy.SERVING : RatePolicy.API;
        RateLimiter.Decision d = limiter.consume(policy, caller.keyId());
        response.setHeader(POLICY_HEADER, "\"" + policy.wire() + "\";q=" + d.capacity() + ";w=" + d.windowSeconds());
        response.setHeader(STATE_HEADER, "\"" + policy.wire() + "\";r=" + d.remaining() + ";t=" + d.resetSeconds());
        if (!d.allowed()) {
            response.setHeader(HttpHeaders.RETRY_AFTER, Long.toString(d.retryAfterSeconds()));
            throw new ApiException(HttpStatus.TOO_MANY_REQUESTS, "rate_limited", "This key has used its " + policy.wire()
                    + " rate limit (" + d.capacity() + " requests, refilled over " + d.windowSeconds()
                    + " s); retry in " + d.retryAfterSeconds() + " s.");
        }
        return true;
    }
}
