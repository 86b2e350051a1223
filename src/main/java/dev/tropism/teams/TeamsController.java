package dev.tropism.teams;

import dev.tropism.web.ListResponse;
import dev.tropism.web.PageParams;
import io.swagger.v3.oas.annotations.Parameter;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

@RestController
@RequestMapping("/v1/teams")
class TeamsController {

    record NameRequest(@NotBlank @Size(max = 200) String name) {
    }

    private final TeamService teams;

    TeamsController(TeamService teams) {
        this.teams = teams;
    }

    @PostMapping
    @ResponseStatus(HttpStatus.CREATED)
    TeamService.TeamView create(@Parameter(hidden = true) Caller caller, @Valid @RequestBody NameRequest body) {
        caller.requireAdmin();
        return teams.create(body.name().trim());
    }

    @GetMapping
    ListResponse<TeamService.TeamView> list(@Parameter(hidden = true) Caller caller,
            @RequestParam(required = false) Integer limit, @RequestParam(required = false) String after) {
        caller.requireAdmin();
        return teams.list(PageParams.of(limit, after));
    }

    @PostMapping("/{teamId}/api-keys")
    @ResponseStatus(HttpStatus.CREATED)
    TeamService.NewKey createKey(@Parameter(hidden = true) Caller caller, @PathVariable String teamId,
            @Valid @RequestBody NameRequest body) {
        caller.requireAdmin();
        return teams.createKey(teamId, body.name().trim());
    }
}
