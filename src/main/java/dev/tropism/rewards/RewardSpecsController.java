package dev.tropism.rewards;

import dev.tropism.engine.RewardResult;
import dev.tropism.teams.Caller;
import dev.tropism.teams.RequiresScope;
import dev.tropism.teams.Scope;
import dev.tropism.web.ApiException;
import dev.tropism.web.ListResponse;
import dev.tropism.web.PageParams;
import dev.tropism.web.Violation;
import io.swagger.v3.oas.annotations.Parameter;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;
import java.util.List;
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

    /** A text sample ({@code output_text}) or an image sample ({@code image_b64}: a base64 PNG). */
    record Sample(String outputText, String imageB64) {
    }

    /** One {@code sample}, or {@code samples} scored as one group (for group-aware graders). */
    record RunRequest(@NotNull Map<String, Object> item, @Valid Sample sample,
            @Size(min = 1, max = 64) List<@NotNull @Valid Sample> samples) {
    }

    record RunResults(List<RewardResult> results) {
    }

    private final RewardSpecService specs;

    RewardSpecsController(RewardSpecService specs) {
        this.specs = specs;
    }

    @PostMapping
    @ResponseStatus(HttpStatus.CREATED)
    @RequiresScope(Scope.REWARD_SPECS_WRITE)
    RewardSpecService.RewardSpecView create(@Parameter(hidden = true) Caller caller,
            @Valid @RequestBody CreateRequest body) {
        return specs.create(caller, body.name().trim(), body.grader());
    }

    @GetMapping
    @RequiresScope(Scope.REWARD_SPECS_READ)
    ListResponse<RewardSpecService.RewardSpecView> list(@Parameter(hidden = true) Caller caller,
            @RequestParam(required = false) Integer limit, @RequestParam(required = false) String after) {
        return specs.list(caller, PageParams.of(limit, after));
    }

    @GetMapping("/{id}")
    @RequiresScope(Scope.REWARD_SPECS_READ)
    RewardSpecService.RewardSpecView get(@Parameter(hidden = true) Caller caller, @PathVariable String id) {
        return specs.view(caller, id);
    }

    @PostMapping("/validate")
    @RequiresScope(Scope.REWARD_SPECS_WRITE)
    RewardSpecService.Validation validate(@Parameter(hidden = true) Caller caller, @RequestBody ValidateRequest body) {
        return specs.validate(caller, body.grader());
    }

    /**
     * "Try it": scores one sample (answered as a reward result) or a group of samples (answered as
     * {@code {"results": [...]}}) against an item, without a model. Samples are texts or images.
     */
    @PostMapping("/{id}/run")
    @RequiresScope(Scope.REWARD_SPECS_WRITE)
    Object run(@Parameter(hidden = true) Caller caller, @PathVariable String id, @Valid @RequestBody RunRequest body) {
        if ((body.sample() == null) == (body.samples() == null)) {
            throw ApiException.invalid(List.of(new Violation("/sample", "give exactly one of sample or samples")));
        }
        if (body.sample() != null) {
            return specs.run(caller, id, body.item(), List.of(body.sample()), "/sample").get(0);
        }
        return new RunResults(specs.run(caller, id, body.item(), body.samples(), "/samples/"));
    }
}
