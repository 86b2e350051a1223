package dev.tropism.dryruns;

import dev.tropism.teams.Caller;
import dev.tropism.teams.RequiresScope;
import dev.tropism.teams.Scope;
import dev.tropism.web.ListResponse;
import dev.tropism.web.PageParams;
import io.swagger.v3.oas.annotations.Parameter;
import java.net.URI;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;

/**
 * {@code /v1/reward-specs/{id}/dry-run(s)}: sample from a model, score with the spec, report the reward
 * distribution, before any training budget is spent. Asynchronous: POST answers 202 and the resource to poll.
 */
@RestController
@RequestMapping("/v1/reward-specs/{id}")
class DryRunsController {

    private final DryRunService service;

    DryRunsController(DryRunService service) {
        this.service = service;
    }

    /**
     * {@code {"model", "dataset", "samples_per_prompt", "limit", "max_new_tokens", "temperature", "top_p",
     * "seed"}}; only model and dataset are required.
     */
    @PostMapping("/dry-run")
    @RequiresScope(Scope.REWARD_SPECS_WRITE)
    ResponseEntity<DryRunView> create(@Parameter(hidden = true) Caller caller, @PathVariable String id,
            @RequestBody JsonNode body) {
        DryRunView view = DryRunView.of(service.submit(caller, id, body));
        return ResponseEntity.accepted().location(URI.create("/v1/reward-specs/" + id + "/dry-runs/" + view.id()))
                .body(view);
    }

    @GetMapping("/dry-runs")
    @RequiresScope(Scope.REWARD_SPECS_READ)
    ListResponse<DryRunView> list(@Parameter(hidden = true) Caller caller, @PathVariable String id,
            @RequestParam(required = false) Integer limit, @RequestParam(required = false) String after) {
        return service.list(caller, id, PageParams.of(limit, after));
    }

    @GetMapping("/dry-runs/{dryRunId}")
    @RequiresScope(Scope.REWARD_SPECS_READ)
    DryRunView get(@Parameter(hidden = true) Caller caller, @PathVariable String id, @PathVariable String dryRunId) {
        return DryRunView.of(service.get(caller, id, dryRunId));
    }
}
