package dev.tropism.web;

import jakarta.servlet.http.HttpServletRequest;
import java.lang.annotation.Annotation;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.HandlerMapping;

/** Annotations of the controller method that handles (or handled) a request. */
public final class HandlerAnnotations {

    private HandlerAnnotations() {
    }

    /** {@code type} on the handler method, else on its class; null when absent or not a controller method. */
    public static <A extends Annotation> A find(Object handler, Class<A> type) {
        if (!(handler instanceof HandlerMethod)) {
            return null;
        }
        HandlerMethod method = (HandlerMethod) handler;
        A onMethod = AnnotatedElementUtils.findMergedAnnotation(method.getMethod(), type);
        return onMethod != null ? onMethod : AnnotatedElementUtils.findMergedAnnotation(method.getBeanType(), type);
    }

    /** {@link #find} on the handler that Spring MVC matched for {@code request}, once it has been mapped. */
    public static <A extends Annotation> A ofRequest(HttpServletRequest request, Class<A> type) {
        return find(request.getAttribute(HandlerMapping.BEST_MATCHING_HANDLER_ATTRIBUTE), type);
    }
}
