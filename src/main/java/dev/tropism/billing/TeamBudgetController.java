package dev.tropism.billing;

import dev.tropism.teams.Caller;
import dev.tropism.teams.RequiresScope;
import dev.tropism.teams.Scope;
import dev.tropism.web.ApiException;
import dev.tropism.web.Violation;
import io.swagger.v3.oas.annotations.Parameter;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;

/**
 * {@code /v1/teams/{id}/budget}: a team's monthly budget (calendar month, UTC) and its training spend this month. A
 * team key reads its own team's (another team's answers 404, as an unknown one does); the admin key reads any and is
 * the only one that sets it.
 */
@RestController
class TeamBudgetController {

    private final Spend spend;

    TeamBudgetController(Spend spend) {
        this.spend = spend;
    }

    @GetMapping("/v1/teams/{id}/budget")
    @RequiresScope(Scope.USAGE_READ)
    Spend.TeamBudget get(@Parameter(hidden = true) Caller caller, @PathVariable String id) {
        requireVisible(caller, id);
        return spend.teamBudget(id);
    }

    /**
     * {@code {"monthly_limit": 500, "alert_threshold": 0.8}}: both optional; null or absent removes that part (no
     * limit: nothing is refused or paused for the team). The threshold is a fraction of the limit in (0, 1].
     */
    @PutMapping("/v1/teams/{id}/budget")
    @RequiresScope(Scope.OPERATOR)
    Spend.TeamBudget put(@Parameter(hidden = true) Caller caller, @PathVariable String id,
            @RequestBody JsonNode body) {
        caller.requireAdmin();
        requireVisible(caller, id);
        List<Violation> violations = new ArrayList<>();
        if (body == null || !body.isObject()) {
            throw ApiException.invalid("", "must be an object {\"monthly_limit\": ..., \"alert_threshold\": ...}");
        }
        Money.onlyFields(body, "", violations, "monthly_limit", "alert_threshold");
        BigDecimal limit = Money.positive(body.get("monthly_limit"), "/monthly_limit", violations);
        Double threshold = null;
        JsonNode t = body.get("alert_threshold");
        if (t != null && !t.isNull()) {
            if (!t.isNumber() || !(t.asDouble() > 0 && t.asDouble() <= 1)) {
                violations.add(new Violation("/alert_threshold", "must be a fraction of monthly_limit greater than 0"
                        + " and at most 1, got " + t));
            } else if (body.path("monthly_limit").isNull() || !body.has("monthly_limit")) {
                violations.add(new Violation("/alert_threshold", "needs monthly_limit: it is a fraction of it"));
            } else {
                threshold = t.asDouble();
            }
        }
        if (!violations.isEmpty()) {
            throw ApiException.invalid(violations);
        }
        return spend.setTeamBudget(id, limit, threshold);
    }

    private void requireVisible(Caller caller, String id) {
        boolean own = id.equals(caller.teamId()) && !caller.admin();
        if (!(own || caller.admin() && spend.teamExists(id))) {
            throw ApiException.notFound("team", id);
        }
    }
}
