package dev.tropism.evaluations;

import dev.tropism.teams.Caller;
import dev.tropism.teams.RequiresScope;
import dev.tropism.teams.Scope;
import dev.tropism.web.ApiException;
import dev.tropism.web.ListResponse;
import dev.tropism.web.PageParams;
import dev.tropism.web.Violation;
import io.swagger.v3.oas.annotations.Parameter;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.support.ServletUriComponentsBuilder;
import tools.jackson.databind.JsonNode;

/**
 * {@code /v1/evaluations}: a candidate reward spec or reward model measured against a suite, as a queued run with
 * progress, events and cancel; its verdict and report in JSON, JUnit XML or Markdown, and its over-optimization curve.
 */
@RestController
@RequestMapping("/v1/evaluations")
class EvaluationsController {

    private static final MediaType JUNIT = MediaType.parseMediaType("application/xml;charset=UTF-8");
    private static final MediaType MARKDOWN = MediaType.parseMediaType("text/markdown;charset=UTF-8");

    private final EvaluationService service;
    private final EvaluationReports reports;

    EvaluationsController(EvaluationService service, EvaluationReports reports) {
        this.service = service;
        this.reports = reports;
    }

    /** {@code {"suite": id or name, "candidate": id or alias, "baseline"?: id or alias}}; 201, queued. */
    @PostMapping
    @RequiresScope(Scope.EVALUATIONS_WRITE)
    ResponseEntity<EvaluationView> create(@Parameter(hidden = true) Caller caller, @RequestBody JsonNode body) {
        EvaluationView view = service.view(service.submit(caller, body));
        return ResponseEntity.created(URI.create("/v1/evaluations/" + view.id())).body(view);
    }

    /** Newest first; filter by {@code suite} (id or name) and {@code status}. */
    @GetMapping
    @RequiresScope(Scope.EVALUATIONS_READ)
    ListResponse<EvaluationView> list(@Parameter(hidden = true) Caller caller,
            @RequestParam(required = false) String suite, @RequestParam(required = false) String status,
            @RequestParam(required = false) Integer limit, @RequestParam(required = false) String after) {
        return service.list(caller, suite, status, PageParams.of(limit, after));
    }

    @GetMapping("/{id}")
    @RequiresScope(Scope.EVALUATIONS_READ)
    EvaluationView get(@Parameter(hidden = true) Caller caller, @PathVariable String id) {
        return service.view(service.get(caller, id));
    }

    @PostMapping("/{id}/cancel")
    @RequiresScope(Scope.EVALUATIONS_WRITE)
    EvaluationView cancel(@Parameter(hidden = true) Caller caller, @PathVariable String id) {
        return service.view(service.cancel(caller, id));
    }

    @GetMapping("/{id}/events")
    @RequiresScope(Scope.EVALUATIONS_READ)
    Map<String, List<EvaluationEvents.Event>> events(@Parameter(hidden = true) Caller caller, @PathVariable String id) {
        return Map.of("data", service.events(caller, id));
    }

    /**
     * {@code format}: {@code json} (default), {@code junit} (one test case per threshold) or {@code markdown} (whose
     * curve image is a {@code /shared/…} link that works without the key, so that a pull-request comment shows it).
     */
    @GetMapping("/{id}/report")
    @RequiresScope(Scope.EVALUATIONS_READ)
    ResponseEntity<?> report(@Parameter(hidden = true) Caller caller, @PathVariable String id,
            @RequestParam(required = false, defaultValue = "json") String format) {
        Evaluation e = service.completed(caller, id);
        EvalSuite suite = service.suiteOf(e);
        return switch (format) {
            case "json" -> ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(e.report());
            case "junit" -> ResponseEntity.ok().contentType(JUNIT).body(reports.junit(e, suite));
            case "markdown" -> ResponseEntity.ok().contentType(MARKDOWN).body(reports.markdown(e, suite,
                    ServletUriComponentsBuilder.fromCurrentContextPath().build().toUriString()));
            default -> throw new ApiException(HttpStatus.BAD_REQUEST, "invalid_parameter", "format must be json, junit"
                    + " or markdown; got '" + format + "'.", List.of(new Violation("/format", "unknown format")));
        };
    }

    /** The over-optimization curve (PNG); 404 {@code no_curve} when the suite has no prompts to probe. */
    @GetMapping(value = "/{id}/report/curve.png", produces = MediaType.IMAGE_PNG_VALUE)
    @RequiresScope(Scope.EVALUATIONS_READ)
    ResponseEntity<byte[]> curve(@Parameter(hidden = true) Caller caller, @PathVariable String id) {
        Evaluation e = service.completed(caller, id);
        return ResponseEntity.ok().contentType(MediaType.IMAGE_PNG).body(reports.curvePng(e, service.suiteOf(e)));
    }
}
