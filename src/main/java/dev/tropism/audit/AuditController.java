package dev.tropism.audit;

import dev.tropism.teams.Caller;
import dev.tropism.teams.RequiresScope;
import dev.tropism.teams.Scope;
import dev.tropism.web.ApiException;
import dev.tropism.web.ListResponse;
import dev.tropism.web.PageParams;
import dev.tropism.web.Violation;
import io.swagger.v3.oas.annotations.Parameter;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /v1/audit-events?team=&resource=&from=&to=&action=&limit=&after=}: the audit log, newest first.
 * {@code from} (inclusive) and {@code to} (exclusive) are RFC 3339 instants; {@code resource} a resource id;
 * {@code action} an action exactly as listed (e.g. {@code POST /v1/jobs/{id}/pause}); {@code after} the {@code id} of
 * the last event seen. Bad parameters answer 400 {@code invalid_parameter} with every violation.
 */
@RestController
class AuditController {

    private static final int MAX_ID_LENGTH = 201;
    private static final int MAX_ACTION_LENGTH = 300;

    private final AuditLog audit;

    AuditController(AuditLog audit) {
        this.audit = audit;
    }

    @GetMapping("/v1/audit-events")
    @RequiresScope(Scope.TEAM_ADMIN)
    ListResponse<AuditEvent> list(@Parameter(hidden = true) Caller caller,
            @RequestParam(required = false) String team, @RequestParam(required = false) String resource,
            @RequestParam(required = false) String from, @RequestParam(required = false) String to,
            @RequestParam(required = false) String action, @RequestParam(required = false) Integer limit,
            @RequestParam(required = false) String after) {
        List<Violation> violations = new ArrayList<>();
        text(team, "/team", MAX_ID_LENGTH, violations);
        text(resource, "/resource", MAX_ID_LENGTH, violations);
        text(action, "/action", MAX_ACTION_LENGTH, violations);
        Instant start = instant(from, "/from", violations);
        Instant end = instant(to, "/to", violations);
        if (start != null && end != null && !start.isBefore(end)) {
            violations.add(new Violation("/from", "must be before to (" + end + ")"));
        }
        if (!violations.isEmpty()) {
            Violation v = violations.get(0);
            throw new ApiException(HttpStatus.BAD_REQUEST, "invalid_parameter", v.pointer().substring(1) + " "
                    + v.reason() + (violations.size() > 1 ? " (and more)" : "") + ".", violations);
        }
        return audit.list(caller, new AuditLog.Filter(team, resource, start, end, action), PageParams.of(limit, after));
    }

    private static void text(String value, String pointer, int max, List<Violation> violations) {
        if (value != null && (value.isBlank() || value.length() > max)) {
            violations.add(new Violation(pointer, "must be 1 to " + max + " characters"));
        }
    }

    private static Instant instant(String value, String pointer, List<Violation> violations) {
        if (value == null) {
            return null;
        }
        try {
            OffsetDateTime at = OffsetDateTime.parse(value);
            if (at.getYear() < 1 || at.getYear() > 9999) {
                // PostgreSQL timestamps end at year 294276; a bound well inside keeps the query from failing
                violations.add(new Violation(pointer, "must be between the years 1 and 9999, got " + at.getYear()));
                return null;
            }
            return at.toInstant();
        } catch (DateTimeParseException e) {
            violations.add(new Violation(pointer, "must be an RFC 3339 time such as 2026-12-06T21:00:00Z, got '"
                    + (value.length() <= 40 ? value : value.substring(0, 40) + "...") + "'"));
            return null;
        }
    }
}
