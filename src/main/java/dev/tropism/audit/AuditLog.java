package dev.tropism.audit;

import dev.tropism.teams.Caller;
import dev.tropism.web.ApiException;
import dev.tropism.web.ListResponse;
import dev.tropism.web.PageParams;
import dev.tropism.web.Timestamps;
import dev.tropism.web.Violation;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;

/**
 * The append-only audit log. Mutating {@code /v1/**} calls are appended by {@link AuditFilter}; what the service does
 * on its own (a checkpoint deleted by retention, a job paused by a budget) is appended here through
 * {@link #system}.
 */
@Service
public class AuditLog {

    /** The {@code key_id} of actions that no API call made. */
    public static final String SYSTEM = "system";

    /**
     * Filters of {@code GET /v1/audit-events}; each null matches everything.
     *
     * @param team only this team's rows
     * @param resource only rows about this resource id
     * @param from rows at or after this instant
     * @param to rows before this instant
     * @param action only rows of this action, exactly
     */
    public record Filter(String team, String resource, Instant from, Instant to, String action) {
    }

    private final AuditStore store;

    AuditLog(AuditStore store) {
        this.store = store;
    }

    /**
     * Appends an action the service took by itself, with {@code key_id} {@value #SYSTEM} and outcome
     * {@code succeeded}. Runs in the caller's transaction when there is one, so that a rolled-back action leaves no
     * row.
     *
     * @param teamId the team concerned, or null
     * @param action a dotted name such as {@code checkpoint.deleted} or {@code job.budget_paused}
     * @param detail any JSON-serializable data, or null
     */
    public void system(String teamId, String action, String resourceType, String resourceId,
            Map<String, Object> detail) {
        if (action == null || action.isBlank()) {
            throw new IllegalArgumentException("A system audit event needs an action name");
        }
        store.append(new AuditStore.Append(Timestamps.now(), teamId, SYSTEM, null, null, resourceType, resourceId, null,
                AuditOutcome.SUCCEEDED, null, action, detail));
    }

    void append(AuditStore.Append event) {
        store.append(event);
    }

    /**
     * The rows {@code caller} may read, newest first: a team key (with {@code team:admin}) its own team's only, and
     * another team's {@code team} answers 404 like any other team's resource; the admin key any team's, or with
     * neither {@code team} nor {@code X-Tropism-Team} every row.
     */
    public ListResponse<AuditEvent> list(Caller caller, Filter filter, PageParams page) {
        String team = filter.team();
        if (!caller.admin()) {
            String own = caller.requireTeam();
            if (team != null && !team.equals(own)) {
                throw ApiException.notFound("team", team);
            }
            team = own;
        } else if (team == null) {
            team = caller.teamId();
        }
        Long after = null;
        if (page.after() != null) {
            try {
                after = Long.parseLong(page.after());
            } catch (NumberFormatException e) {
                after = -1L;
            }
            if (after <= 0) {
                throw new ApiException(HttpStatus.BAD_REQUEST, "invalid_parameter",
                        "after must be the id of an audit event (a positive integer), got '" + page.after() + "'.",
                        List.of(new Violation("/after", "must be a positive integer")));
            }
        }
        List<AuditEvent> rows = store.find(new AuditStore.Query(team, filter.resource(), filter.from(), filter.to(),
                filter.action(), page.fetchSize(), after));
        return page.toResponse(rows, r -> r);
    }
}
