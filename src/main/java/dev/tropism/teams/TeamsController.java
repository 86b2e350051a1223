package dev.tropism.teams;

import dev.tropism.web.ListResponse;
import dev.tropism.web.PageParams;
import io.swagger.v3.oas.annotations.Parameter;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

@RestController
@RequestMapping("/v1")
class TeamsController {

    record NameRequest(@NotBlank @Size(max = 200) String name) {
    }

    private final TeamService teams;
    private final ApiKeyService keys;

    TeamsController(TeamService teams, ApiKeyService keys) {
        this.teams = teams;
        this.keys = keys;
    }

    @PostMapping("/teams")
    @ResponseStatus(HttpStatus.CREATED)
    @RequiresScope(Scope.OPERATOR)
    TeamService.TeamView create(@Parameter(hidden = true) Caller caller, @Valid @RequestBody NameRequest body) {
        return teams.create(body.name().trim());
    }

    @GetMapping("/teams")
    @RequiresScope(Scope.OPERATOR)
    ListResponse<TeamService.TeamView> list(@Parameter(hidden = true) Caller caller,
            @RequestParam(required = false) Integer limit, @RequestParam(required = false) String after) {
        return teams.list(PageParams.of(limit, after));
    }

    /** {@code {name, scopes?, expires_at? | expires_in_days?}}; the secret is in this response only. */
    @PostMapping("/teams/{teamId}/api-keys")
    @ResponseStatus(HttpStatus.CREATED)
    @RequiresScope(Scope.TEAM_ADMIN)
    TeamService.NewKey createKey(@Parameter(hidden = true) Caller caller, @PathVariable String teamId,
            @RequestBody KeyRequest body) {
        return keys.create(caller, teamId, body);
    }

    @GetMapping("/teams/{teamId}/api-keys")
    @RequiresScope(Scope.TEAM_ADMIN)
    ListResponse<ApiKeyService.KeyView> listKeys(@Parameter(hidden = true) Caller caller, @PathVariable String teamId,
            @RequestParam(required = false) Integer limit, @RequestParam(required = false) String after) {
        return keys.list(caller, teamId, PageParams.of(limit, after));
    }

    /** Revokes the key at once: its next call answers 401. Revoking a revoked key again is also 204. */
    @DeleteMapping("/teams/{teamId}/api-keys/{keyId}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    @RequiresScope(Scope.TEAM_ADMIN)
    void revokeKey(@Parameter(hidden = true) Caller caller, @PathVariable String teamId, @PathVariable String keyId) {
        keys.revoke(caller, teamId, keyId);
    }

    /** The calling key: its team, scopes and expiry (the UI shows or hides what the scopes allow). */
    @GetMapping("/me")
    @RequiresScope(Scope.AUTHENTICATED)
    ApiKeyService.Me me(@Parameter(hidden = true) Caller caller) {
        return keys.me(caller);
    }
}
