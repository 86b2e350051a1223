package dev.tropism.audit;

import java.time.Instant;
import java.util.Map;

/**
 * One row of the audit log as {@code GET /v1/audit-events} shows it.
 *
 * @param id increasing with every append: the list's order (newest first) and its {@code after} cursor
 * @param teamId the team the call acted for; null for the admin key without a team, or when authentication failed
 * @param keyId {@code key_...}, {@code admin}, {@code system} for an action no call made; null when authentication
 *     failed
 * @param method the HTTP method; null for a system action
 * @param path the request path without its query string; null for a system action
 * @param resourceType the collection the resource belongs to, e.g. {@code jobs} or {@code api-keys}
 * @param resourceId the path's id, or for a creation the new resource's {@code id}
 * @param status the HTTP status answered; null for a system action
 * @param outcome {@code succeeded}, {@code denied}, {@code rejected} or {@code failed} ({@link AuditOutcome})
 * @param remoteAddr the client's address (see {@code server.forward-headers-strategy} for proxies)
 * @param action {@code <METHOD> <route>} such as {@code POST /v1/jobs/{id}/pause}, or a system action's name
 * @param detail more about it: for a refused call the problem's {@code code}; a system action's own data
 */
public record AuditEvent(long id, Instant at, String teamId, String keyId, String method, String path,
        String resourceType, String resourceId, Integer status, String outcome, String remoteAddr, String action,
        Map<String, Object> detail) {
}
