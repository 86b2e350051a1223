package dev.tropism.evaluations;

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

/** {@code /v1/eval-suites}: versioned evaluation suites. POSTing an existing name creates its next version. */
@RestController
@RequestMapping("/v1/eval-suites")
class EvalSuitesController {

    private final EvalSuiteService service;

    EvalSuitesController(EvalSuiteService service) {
        this.service = service;
    }

    @PostMapping
    @RequiresScope(Scope.EVALUATIONS_WRITE)
    ResponseEntity<EvalSuiteView> create(@Parameter(hidden = true) Caller caller, @RequestBody JsonNode body) {
        EvalSuiteView view = EvalSuiteView.of(service.create(caller, body));
        return ResponseEntity.created(URI.create("/v1/eval-suites/" + view.id())).body(view);
    }

    /** Oldest first; {@code name} keeps one suite's versions. */
    @GetMapping
    @RequiresScope(Scope.EVALUATIONS_READ)
    ListResponse<EvalSuiteView> list(@Parameter(hidden = true) Caller caller,
            @RequestParam(required = false) String name, @RequestParam(required = false) Integer limit,
            @RequestParam(required = false) String after) {
        return service.list(caller, name, PageParams.of(limit, after));
    }

    @GetMapping("/{id}")
    @RequiresScope(Scope.EVALUATIONS_READ)
    EvalSuiteView get(@Parameter(hidden = true) Caller caller, @PathVariable String id) {
        return EvalSuiteView.of(service.get(caller, id));
    }
}
