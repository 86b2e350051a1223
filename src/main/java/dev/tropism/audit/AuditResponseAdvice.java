package dev.tropism.audit;

import jakarta.servlet.http.HttpServletRequest;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.util.Map;
import org.springframework.core.MethodParameter;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.converter.HttpMessageConverter;
import org.springframework.http.server.ServerHttpRequest;
import org.springframework.http.server.ServerHttpResponse;
import org.springframework.http.server.ServletServerHttpRequest;
import org.springframework.web.bind.annotation.ControllerAdvice;
import org.springframework.web.servlet.mvc.method.annotation.ResponseBodyAdvice;

/**
 * Hands {@link AuditFilter} what only the response body of an audited call knows: the {@code id} of the resource it
 * answers with (a record's {@code id} component, or a map's {@code id}), or the {@code code} of a problem detail.
 */
@ControllerAdvice
class AuditResponseAdvice implements ResponseBodyAdvice<Object> {

    @Override
    public boolean supports(MethodParameter returnType, Class<? extends HttpMessageConverter<?>> converterType) {
        return true;
    }

    @Override
    public Object beforeBodyWrite(Object body, MethodParameter returnType, MediaType contentType,
            Class<? extends HttpMessageConverter<?>> converterType, ServerHttpRequest request,
            ServerHttpResponse response) {
        if (body == null || !(request instanceof ServletServerHttpRequest)) {
            return body;
        }
        HttpServletRequest servlet = ((ServletServerHttpRequest) request).getServletRequest();
        if (!AuditFilter.audited(servlet)) {
            return body;
        }
        if (body instanceof ProblemDetail) {
            Map<String, Object> properties = ((ProblemDetail) body).getProperties();
            if (properties != null && properties.get("code") != null) {
                servlet.setAttribute(AuditFilter.PROBLEM_CODE, properties.get("code").toString());
            }
        } else {
            String id = idOf(body);
            if (id != null) {
                servlet.setAttribute(AuditFilter.BODY_ID, id);
            }
        }
        return body;
    }

    static String idOf(Object body) {
        if (body instanceof Map) {
            Object id = ((Map<?, ?>) body).get("id");
            return id == null ? null : id.toString();
        }
        if (!body.getClass().isRecord()) {
            return null;
        }
        for (RecordComponent c : body.getClass().getRecordComponents()) {
            if (c.getName().equals("id")) {
                try {
                    Method accessor = c.getAccessor();
                    accessor.setAccessible(true); // controllers' records are package-private
                    Object id = accessor.invoke(body);
                    return id == null ? null : id.toString();
                } catch (ReflectiveOperationException | RuntimeException e) {
                    return null;
                }
            }
        }
        return null;
    }
}
