package dev.tropism.catalog;

import dev.tropism.engine.RewardResult;
import dev.tropism.teams.Caller;
import dev.tropism.web.ListResponse;
import dev.tropism.web.PageParams;
import io.swagger.v3.oas.annotations.Parameter;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;

@RestController
@RequestMapping("/v1/reward-specs")
class RewardSpecsController {

    record CreateRequest(@NotBlank @Size(max = 200) String name, JsonNode grader) {
    }

    record ValidateRequest(JsonNode grader) {
    }

    record Sample(@NotNull String outputText) {
    }

    record RunRequest(@NotNull Map<String, Object> item, @NotNull @Valid Sample sample) {
    }

    private final RewardSpecService specs;

    RewardSpecsController(RewardSpecService specs) {
        this.specs = specs;
    }

    @PostMapping
    @ResponseStatus(HttpStatus.CREATED)
    RewardSpecService.RewardSpecView create(@Parameter(hidden = true) Caller caller,
            @Valid @RequestBody CreateRequest body) {
        return specs.create(caller, body.name().trim(), body.grader());
    }

    @GetMapping
    ListResponse<RewardSpecService.RewardSpecView> list(@Parameter(hidden = true) Caller caller,
            @RequestParam(required = false) Integer limit, @RequestParam(required = false) String after) {
        return specs.list(caller, PageParams.of(limit, after));
    }

    @GetMapping("/{id}")
    RewardSpecService.RewardSpecView get(@Parameter(hidden = true) Caller caller, @PathVariable String id) {
        return specs.view(caller, id);
    }

    @PostMapping("/validate")
    RewardSpecService.Validation validate(@RequestBody ValidateRequest body) {
        return specs.validate(body.grader());
    }

    @PostMapping("/{id}/run")
    RewardResult run(@Parameter(hidden = true) Caller caller, @PathVariable String id,
            @Valid @RequestBody RunRequest body) {
        return specs.run(caller, id, body.item(), body.sample().outputText());
    }
}
