package dev.tropism.rewards;

import dev.tropism.teams.Caller;
import dev.tropism.teams.RequiresScope;
import dev.tropism.teams.Scope;
import dev.tropism.web.ListResponse;
import dev.tropism.web.PageParams;
import dev.tropism.web.Problems;
import io.swagger.v3.oas.annotations.Parameter;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/** {@code /v1/aliases}: the team's named pointers at reward specs and reward models, and their history. */
@RestController
@RequestMapping("/v1/aliases")
class RewardAliasesController {

    /**
     * @param target a reward spec id, a reward model id or another alias (resolved to its id now)
     * @param requirePassingSuite a suite id or name: move only when the target's newest finished evaluation on it
     *     passed
     */
    record MoveRequest(String target, String requirePassingSuite) {
    }

    private final RewardAliasService aliases;

    RewardAliasesController(RewardAliasService aliases) {
        this.aliases = aliases;
    }

    /** Creates (201) or moves (200) the alias. */
    @PostMapping("/{name}")
    @RequiresScope(Scope.REWARD_SPECS_WRITE)
    ResponseEntity<RewardAliasService.AliasView> move(@Parameter(hidden = true) Caller caller,
            @PathVariable String name, @RequestBody MoveRequest body) {
        RewardAliasService.Moved moved = aliases.move(caller, name, body.target(), body.requirePassingSuite());
        return ResponseEntity.status(moved.created() ? HttpStatus.CREATED : HttpStatus.OK).body(moved.alias());
    }

    @GetMapping
    @RequiresScope(Scope.REWARD_SPECS_READ)
    ListResponse<RewardAliasService.AliasView> list(@Parameter(hidden = true) Caller caller,
            @RequestParam(required = false) Integer limit, @RequestParam(required = false) String after) {
        return aliases.list(caller, PageParams.of(limit, after));
    }

    @GetMapping("/{name}")
    @RequiresScope(Scope.REWARD_SPECS_READ)
    RewardAliasService.AliasView get(@Parameter(hidden = true) Caller caller, @PathVariable String name) {
        return aliases.get(caller, name);
    }

    @DeleteMapping("/{name}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    @RequiresScope(Scope.REWARD_SPECS_WRITE)
    void delete(@Parameter(hidden = true) Caller caller, @PathVariable String name) {
        aliases.delete(caller, name);
    }

    /** 409 {@code evaluation_required} with the extension members {@code evaluation} (id or null) and {@code suite}. */
    @ExceptionHandler(RewardAliasService.EvaluationRequired.class)
    ResponseEntity<ProblemDetail> evaluationRequired(RewardAliasService.EvaluationRequired e) {
        ProblemDetail pd = Problems.problem(e.status(), e.code(), e.getMessage(), List.of());
        pd.setProperty("evaluation", e.verdict().evaluationId());
        pd.setProperty("suite", e.verdict().suiteId());
        return Problems.response(pd);
    }
}
