package dev.tropism.quotas;

import dev.tropism.teams.Caller;
import dev.tropism.teams.RequiresScope;
import dev.tropism.teams.Scope;
import io.swagger.v3.oas.annotations.Parameter;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;

/** {@code /v1/teams/{id}/quotas}: a team's quotas and what it uses of them. */
@RestController
class TeamQuotasController {

    private final Quotas quotas;

    TeamQuotasController(Quotas quotas) {
        this.quotas = quotas;
    }

    /** {@code {team_id, max_concurrent_jobs, max_stored_bytes, used: {concurrent_jobs, stored_bytes}, source}}. */
    @GetMapping("/v1/teams/{id}/quotas")
    @RequiresScope(Scope.USAGE_READ)
    Quotas.View get(@Parameter(hidden = true) Caller caller, @PathVariable String id) {
        return quotas.view(caller, id);
    }

    /** Sets a team's quotas (admin key only); see {@link Quotas#set}. */
    @PutMapping("/v1/teams/{id}/quotas")
    @RequiresScope(Scope.OPERATOR)
    Quotas.View put(@Parameter(hidden = true) Caller caller, @PathVariable String id, @RequestBody JsonNode body) {
        return quotas.set(caller, id, body);
    }
}
