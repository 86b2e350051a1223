package dev.tropism.rewards;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.tropism.teams.Caller;
import dev.tropism.web.ApiException;
import dev.tropism.web.ListResponse;
import dev.tropism.web.PageParams;
import dev.tropism.web.Timestamps;
import dev.tropism.web.Violation;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The reward registry: a team's aliases of reward specs and reward models, their moves (optionally gated by a passing
 * evaluation, through {@link PromotionGate}) and their history.
 */
@Service
class RewardAliasService implements RewardAliases {

    /** An alias as the API shows it; {@code history} only in {@code GET /v1/aliases/{name}}, newest first. */
    record AliasView(String object, String name, String target, String kind, Instant createdAt, Instant updatedAt,
            String updatedBy, String evaluation, @JsonInclude(JsonInclude.Include.NON_NULL) List<MoveView> history) {
    }

    /** One move: {@code target} null for a deletion, {@code previous} null for a creation. */
    record MoveView(String target, String previous, Instant movedAt, String movedBy, String evaluation, String suite) {
    }

    /** The outcome of a move: the alias now, and whether this move created it. */
    record Moved(AliasView alias, boolean created) {
    }

    /** 409 {@code evaluation_required}: the gate did not pass; the problem carries the evaluation and the suite. */
    static final class EvaluationRequired extends ApiException {

        private final transient PromotionGate.Verdict verdict;

        EvaluationRequired(String target, String suite, PromotionGate.Verdict verdict) {
            super(HttpStatus.CONFLICT, "evaluation_required", (verdict.evaluationId() == null
                    ? "No finished evaluation of " + target + " on suite " + suite
                    : "Evaluation " + verdict.evaluationId() + " of " + target + " on suite " + suite + " did not pass")
                    + (verdict.detail() == null ? "" : ": " + verdict.detail())
                    + ". The alias was not moved.");
            this.verdict = verdict;
        }

        PromotionGate.Verdict verdict() {
            return verdict;
        }
    }

    /** A name, optionally with a stage after {@code @}: {@code helpfulness}, {@code helpfulness@production}. */
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,100}(@[A-Za-z0-9._-]{1,100})?");
    static final String NAME_RULE = "must be 1 to 100 letters, digits, '.', '_' or '-', optionally followed by '@' and"
            + " 1 to 100 more (e.g. helpfulness@production)";
    private static final String SPEC_PREFIX = "rs_";
    private static final String MODEL_PREFIX = "model_";
    /** How many moves {@code GET /v1/aliases/{name}} shows. */
    static final int HISTORY_LIMIT = 100;

    private final RewardAliasStore store;
    private final RewardSpecCatalog specs;
    private final RewardSpecRepository specRows;
    private final RewardModelScorer models;
    private final ObjectProvider<PromotionGate> gates;
    private final TransactionTemplate tx;

    RewardAliasService(RewardAliasStore store, RewardSpecCatalog specs, RewardSpecRepository specRows,
            RewardModelScorer models, ObjectProvider<PromotionGate> gates, PlatformTransactionManager transactions) {
        this.store = store;
        this.specs = specs;
        this.specRows = specRows;
        this.models = models;
        this.gates = gates;
        this.tx = new TransactionTemplate(transactions);
    }

    @Override
    @Transactional(readOnly = true)
    public Resolved resolve(Caller caller, String pointer, String ref, List<Violation> violations) {
        Optional<Kind> idKind = idKind(ref);
        if (idKind.isPresent()) {
            return new Resolved(idKind.get(), ref, null);
        }
        Optional<RewardAliasStore.Alias> alias = store.find(caller.requireTeam(), ref);
        if (alias.isEmpty()) {
            violations.add(new Violation(pointer, "no alias named '" + ref + "'"));
            return null;
        }
        return new Resolved(alias.get().kind(), alias.get().targetId(), ref);
    }

    @Override
    @Transactional(readOnly = true)
    public List<String> aliasesOf(String teamId, String targetId) {
        return store.namesByTarget(teamId, List.of(targetId)).getOrDefault(targetId, List.of());
    }

    @Override
    @Transactional(readOnly = true)
    public SpecRef findSpec(Caller caller, String pointer, String ref, List<Violation> violations) {
        if (ref == null) {
            return new SpecRef(specs.find(caller, pointer, null, violations), null);
        }
        Resolved r = resolve(caller, pointer, ref, violations);
        if (r == null) {
            return new SpecRef(null, ref);
        }
        if (r.kind() == Kind.REWARD_MODEL) {
            String what = r.alias() == null ? "'" + ref + "' is a model id" : "alias '" + ref + "' names reward model "
                    + r.id();
            violations.add(new Violation(pointer, what + ", and a job takes a reward spec: create one that wraps the"
                    + " model in a reward_model grader (POST /v1/reward-specs {\"name\": …, \"grader\": {\"type\":"
                    + " \"reward_model\", \"name\": \"rm\", \"model\": \"" + r.id() + "\"}}) and pass that spec (or an"
                    + " alias of it)"));
            return new SpecRef(null, r.alias());
        }
        return new SpecRef(specs.find(caller, pointer, r.id(), violations), r.alias());
    }

    /**
     * Points alias {@code name} at {@code target} (an id or another alias, resolved to its id), creating it when
     * new. With {@code requirePassingSuite}, only when the target's newest finished evaluation on that suite passed
     * (else 409 {@link EvaluationRequired}, nothing moved). A move to the target the alias already has changes
     * nothing and records no history.
     */
    Moved move(Caller caller, String name, String target, String requirePassingSuite) {
        String teamId = caller.requireTeam();
        List<Violation> violations = new ArrayList<>();
        checkName(name, violations);
        Resolved resolved = checkTarget(caller, target, violations);
        PromotionGate gate = null;
        if (requirePassingSuite != null) {
            gate = gates.getIfAvailable();
            if (requirePassingSuite.isBlank()) {
                violations.add(new Violation("/require_passing_suite", "must be a suite id or name"));
            } else if (gate == null) {
                violations.add(new Violation("/require_passing_suite", "evaluations are not available on this"
                        + " server, so no move can require a passing suite; leave it out"));
            }
        }
        if (!violations.isEmpty()) {
            throw ApiException.invalid(violations);
        }
        String evaluationId = null;
        String suiteId = null;
        if (gate != null) {
            PromotionGate.Verdict verdict = gate.check(teamId, requirePassingSuite, resolved.id());
            if (verdict.suiteId() == null) {
                throw ApiException.invalid("/require_passing_suite", verdict.detail() != null ? verdict.detail()
                        : "no evaluation suite '" + requirePassingSuite + "'");
            }
            if (!verdict.passed()) {
                throw new EvaluationRequired(resolved.id(), verdict.suiteId(), verdict);
            }
            evaluationId = verdict.evaluationId();
            suiteId = verdict.suiteId();
        }
        String evaluation = evaluationId;
        String suite = suiteId;
        return tx.execute(status -> write(teamId, name, resolved, caller.keyId(), evaluation, suite));
    }

    /**
     * In one transaction: creates the alias, or locks and moves it, with its history row. Two moves at once both
     * get here; the second waits on the first's insert or row lock, then moves from the first's target.
     */
    private Moved write(String teamId, String name, Resolved target, String keyId, String evaluationId,
            String suiteId) {
        Instant now = Timestamps.now();
        RewardAliasStore.Alias next = new RewardAliasStore.Alias(teamId, name, target.id(), target.kind(), now, now,
                keyId, evaluationId);
        // The alias may be deleted between a conflicting insert and the lock; then inserting again succeeds.
        for (int attempt = 0; attempt < 3; attempt++) {
            if (store.insertIfAbsent(next)) {
                store.recordMove(teamId, name, new RewardAliasStore.Move(target.id(), null, now, keyId, evaluationId,
                        suiteId));
                return new Moved(view(next, null), true);
            }
            Optional<RewardAliasStore.Alias> locked = store.lock(teamId, name);
            if (locked.isEmpty()) {
                continue;
            }
            RewardAliasStore.Alias current = locked.get();
            if (current.targetId().equals(target.id())) {
                return new Moved(view(current, null), false);
            }
            RewardAliasStore.Alias moved = new RewardAliasStore.Alias(teamId, name, target.id(), target.kind(),
                    current.createdAt(), now, keyId, evaluationId);
            store.update(moved);
            store.recordMove(teamId, name, new RewardAliasStore.Move(target.id(), current.targetId(), now, keyId,
                    evaluationId, suiteId));
            return new Moved(view(moved, null), false);
        }
        throw new IllegalStateException("alias " + name + " kept being deleted while it was moved");
    }

    @Transactional(readOnly = true)
    ListResponse<AliasView> list(Caller caller, PageParams page) {
        return page.toResponse(store.page(caller.requireTeam(), page), a -> view(a, null));
    }

    @Transactional(readOnly = true)
    AliasView get(Caller caller, String name) {
        String teamId = caller.requireTeam();
        RewardAliasStore.Alias a = find(teamId, name);
        return view(a, store.history(teamId, name, HISTORY_LIMIT).stream()
                .map(m -> new MoveView(m.targetId(), m.previousId(), m.movedAt(), m.movedBy(), m.evaluationId(),
                        m.suiteId()))
                .toList());
    }

    /** Deletes the alias; its history keeps the moves and gains a row with no target. */
    @Transactional
    void delete(Caller caller, String name) {
        String teamId = caller.requireTeam();
        RewardAliasStore.Alias a = store.lock(teamId, name).orElseThrow(() -> notFound(name));
        store.delete(teamId, name);
        store.recordMove(teamId, name, new RewardAliasStore.Move(null, a.targetId(), Timestamps.now(), caller.keyId(),
                null, null));
    }

    private RewardAliasStore.Alias find(String teamId, String name) {
        return store.find(teamId, name).orElseThrow(() -> notFound(name));
    }

    private static ApiException notFound(String name) {
        return new ApiException(HttpStatus.NOT_FOUND, "not_found", "No alias named '" + name + "'.");
    }

    /** Violations of the name in the path, {@code /name}. */
    private static void checkName(String name, List<Violation> violations) {
        if (!NAME.matcher(name).matches()) {
            violations.add(new Violation("/name", NAME_RULE));
        } else if (idKind(name).isPresent()) {
            violations.add(new Violation("/name", "must not start with '" + SPEC_PREFIX + "' or '" + MODEL_PREFIX
                    + "': references that do are read as ids"));
        }
    }

    /**
     * The target, resolved to an id of the caller's team that exists: a reward spec, or a reward model that is
     * ready; null with a violation at {@code /target} otherwise.
     */
    private Resolved checkTarget(Caller caller, String target, List<Violation> violations) {
        if (target == null || target.isBlank()) {
            violations.add(new Violation("/target", "is required: a reward spec id (rs_…), a reward model id"
                    + " (model_…) or another alias"));
            return null;
        }
        Resolved r = resolve(caller, "/target", target, violations);
        if (r == null) {
            return null;
        }
        if (r.kind() == Kind.REWARD_SPEC) {
            if (specRows.findByTeamIdAndId(caller.requireTeam(), r.id()).isEmpty()) {
                violations.add(new Violation("/target", (r.alias() == null ? "" : "alias '" + r.alias() + "' names "
                        + r.id() + ": ") + "no reward spec with id '" + r.id() + "'"));
                return null;
            }
            return r;
        }
        Optional<String> unusable = models.unusable(caller.requireTeam(), r.id());
        unusable.ifPresent(reason -> violations.add(new Violation("/target", (r.alias() == null ? ""
                : "alias '" + r.alias() + "' names " + r.id() + ": ") + reason)));
        return unusable.isPresent() ? null : r;
    }

    private static Optional<Kind> idKind(String ref) {
        if (ref.startsWith(SPEC_PREFIX)) {
            return Optional.of(Kind.REWARD_SPEC);
        }
        return ref.startsWith(MODEL_PREFIX) ? Optional.of(Kind.REWARD_MODEL) : Optional.empty();
    }

    private static AliasView view(RewardAliasStore.Alias a, List<MoveView> history) {
        return new AliasView("alias", a.name(), a.targetId(), a.kind().wireName(), a.createdAt(), a.updatedAt(),
                a.updatedBy(), a.evaluationId(), history);
    }
}
