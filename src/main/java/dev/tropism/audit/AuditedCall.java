package dev.tropism.audit;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What an audit row says about a call's target, from the route that handled it.
 *
 * @param action {@code <METHOD> <route>}, e.g. {@code DELETE /v1/teams/{teamId}/api-keys/{keyId}}; with the raw
 *     path where no route matched
 * @param resourceType the route's literal segment before the resource id's variable (or its last literal segment),
 *     e.g. {@code api-keys}
 * @param resourceId for a creation (201 whose body has an {@code id}) the new id, else the route's last path variable,
 *     else the body's {@code id}
 */
record AuditedCall(String action, String resourceType, String resourceId) {

    static final Set<String> MUTATING_METHODS = Set.of("POST", "PUT", "PATCH", "DELETE");

    /**
     * @param route the matched pattern, e.g. {@code /v1/jobs/{id}/pause}; null (or {@code /**}) when none matched
     * @param variables the route's path variables with their values; null when none
     * @param bodyId the {@code id} of the response body, or null
     */
    static AuditedCall of(String method, String path, String route, Map<String, String> variables, String bodyId,
            int status) {
        if (route == null || route.equals("/**")) {
            return new AuditedCall(method + " " + path, null, bodyId);
        }
        List<String> segments = List.of(route.split("/"));
        String lastVariable = null;
        int lastVariableAt = -1;
        for (int i = 0; i < segments.size(); i++) {
            String s = segments.get(i);
            if (s.startsWith("{") && s.endsWith("}") && !s.startsWith("{*")) {
                lastVariable = s.substring(1, s.length() - 1);
                lastVariableAt = i;
            }
        }
        String action = method + " " + route;
        boolean created = status == 201 && bodyId != null;
        if (!created && lastVariable != null && variables != null && variables.get(lastVariable) != null) {
            return new AuditedCall(action, literalBefore(segments, lastVariableAt), variables.get(lastVariable));
        }
        return new AuditedCall(action, literalBefore(segments, segments.size()), bodyId);
    }

    private static String literalBefore(List<String> segments, int index) {
        for (int i = index - 1; i >= 0; i--) {
            String s = segments.get(i);
            if (!s.isEmpty() && !s.startsWith("{")) {
                return s;
            }
        }
        return null;
    }
}
