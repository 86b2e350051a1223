package dev.tropism.audit;

import dev.tropism.teams.Caller;
import dev.tropism.teams.RequiresScope;
import dev.tropism.teams.Scope;
import dev.tropism.web.HandlerAnnotations;
import dev.tropism.web.Timestamps;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.servlet.HandlerMapping;

/**
 * Appends every mutating call under {@code /v1/**} (POST, PUT, PATCH, DELETE) to the audit log once its status is
 * final, whatever the status: refused authentication (401) and scopes (403) included. Inference calls (routes that
 * require {@link Scope#INFERENCE}) are not audited: they change nothing, and usage meters them.
 *
 * <p>The row is written when the response is first flushed (before its body reaches the client, so a client that
 * reads the audit log right after a call finds it there), or when the request ends if nothing flushed it. An async
 * request (server-sent events) records once, at its first flush or at its completion; the async dispatch does not
 * pass this filter again.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 10)
class AuditFilter extends OncePerRequestFilter {

    /** Request attribute: the {@code id} of the response body (set by {@link AuditResponseAdvice}). */
    static final String BODY_ID = AuditFilter.class.getName() + ".bodyId";
    /** Request attribute: the problem {@code code} of an error response (set by {@link AuditResponseAdvice}). */
    static final String PROBLEM_CODE = AuditFilter.class.getName() + ".problemCode";

    private static final Logger log = LoggerFactory.getLogger(AuditFilter.class);

    private final AuditLog audit;

    AuditFilter(AuditLog audit) {
        this.audit = audit;
    }

    static boolean audited(HttpServletRequest request) {
        return AuditedCall.MUTATING_METHODS.contains(request.getMethod()) && path(request).startsWith("/v1/");
    }

    private static String path(HttpServletRequest request) {
        return request.getRequestURI().substring(request.getContextPath().length());
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return !audited(request);
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        AtomicBoolean recorded = new AtomicBoolean();
        OnFirstFlush wrapped = new OnFirstFlush(response, () -> record(request, response.getStatus(), recorded));
        boolean thrown = true;
        try {
            chain.doFilter(request, wrapped);
            thrown = false;
        } finally {
            if (!thrown && request.isAsyncStarted()) {
                request.getAsyncContext().addListener(new AsyncListener() {
                    @Override
                    public void onComplete(AsyncEvent event) {
                        record(request, response.getStatus(), recorded);
                    }

                    @Override
                    public void onTimeout(AsyncEvent event) {
                    }

                    @Override
                    public void onError(AsyncEvent event) {
                    }

                    @Override
                    public void onStartAsync(AsyncEvent event) {
                    }
                });
            } else {
                // an exception that escaped every handler becomes a 500 after this filter
                record(request, thrown ? 500 : response.getStatus(), recorded);
            }
        }
    }

    private void record(HttpServletRequest request, int status, AtomicBoolean recorded) {
        if (!recorded.compareAndSet(false, true)) {
            return;
        }
        try {
            RequiresScope scope = HandlerAnnotations.ofRequest(request, RequiresScope.class);
            if (scope != null && scope.value() == Scope.INFERENCE) {
                return;
            }
            Caller caller = (Caller) request.getAttribute(Caller.REQUEST_ATTRIBUTE);
            Object route = request.getAttribute(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE);
            @SuppressWarnings("unchecked")
            Map<String, String> variables =
                    (Map<String, String>) request.getAttribute(HandlerMapping.URI_TEMPLATE_VARIABLES_ATTRIBUTE);
            AuditedCall call = AuditedCall.of(request.getMethod(), path(request), route == null ? null : route.toString(),
                    variables, (String) request.getAttribute(BODY_ID), status);
            Object code = request.getAttribute(PROBLEM_CODE);
            audit.append(new AuditStore.Append(Timestamps.now(), caller == null ? null : caller.teamId(),
                    caller == null ? null : caller.keyId(), request.getMethod(), path(request), call.resourceType(),
                    call.resourceId(), status, AuditOutcome.of(status), request.getRemoteAddr(), call.action(),
                    code == null ? null : Map.of("code", code)));
        } catch (RuntimeException e) {
            // the call has happened (and may be answered already): losing its row is logged, not turned into an error
            log.error("Could not append the audit event of {} {}", request.getMethod(), path(request), e);
        }
    }

    /** Runs {@code onFirstFlush} before the response is first flushed, closed or committed by flushBuffer. */
    private static final class OnFirstFlush extends HttpServletResponseWrapper {

        private final Runnable onFirstFlush;
        private ServletOutputStream out;
        private PrintWriter writer;

        OnFirstFlush(HttpServletResponse response, Runnable onFirstFlush) {
            super(response);
            this.onFirstFlush = onFirstFlush;
        }

        @Override
        public void flushBuffer() throws IOException {
            onFirstFlush.run();
            super.flushBuffer();
        }

        @Override
        public ServletOutputStream getOutputStream() throws IOException {
            if (out == null) {
                ServletOutputStream delegate = super.getOutputStream();
                out = new ServletOutputStream() {
                    @Override
                    public void write(int b) throws IOException {
                        delegate.write(b);
                    }

                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        delegate.write(b, off, len);
                    }

                    @Override
                    public void flush() throws IOException {
                        onFirstFlush.run();
                        delegate.flush();
                    }

                    @Override
                    public void close() throws IOException {
                        onFirstFlush.run();
                        delegate.close();
                    }

                    @Override
                    public boolean isReady() {
                        return delegate.isReady();
                    }

                    @Override
                    public void setWriteListener(WriteListener listener) {
                        delegate.setWriteListener(listener);
                    }
                };
            }
            return out;
        }

        @Override
        public PrintWriter getWriter() throws IOException {
            if (writer == null) {
                writer = new PrintWriter(super.getWriter()) {
                    @Override
                    public void flush() {
                        onFirstFlush.run();
                        super.flush();
                    }

                    @Override
                    public void close() {
                        onFirstFlush.run();
                        super.close();
                    }
                };
            }
            return writer;
        }
    }
}
