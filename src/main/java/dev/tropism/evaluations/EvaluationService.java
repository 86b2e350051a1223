package dev.tropism.evaluations;

import dev.tropism.datasets.DatasetCatalog;
import dev.tropism.rewards.PromotionGate;
import dev.tropism.rewards.RewardAliases;
import dev.tropism.rewards.RewardSpecCatalog;
import dev.tropism.rewards.RewardSpecInfo;
import dev.tropism.teams.Caller;
import dev.tropism.web.ApiException;
import dev.tropism.web.Ids;
import dev.tropism.web.ListResponse;
import dev.tropism.web.PageParams;
import dev.tropism.web.Timestamps;
import dev.tropism.web.Violation;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Submission, lookup, listing and cancel of evaluations; and the rewards module's {@link PromotionGate}: an alias
 * move that requires a passing suite asks here for the target's newest completed evaluation on it.
 */
@Service
class EvaluationService implements PromotionGate {

    private static final List<String> FIELDS = List.of("suite", "candidate", "baseline");

    private final EvaluationStore store;
    private final EvalSuiteStore suites;
    private final EvaluationEvents events;
    private final EvaluationQueue queue;
    private final RewardRefs refs;
    private final RewardSpecCatalog specs;
    private final DatasetCatalog datasets;
    private final JsonMapper json;

    EvaluationService(EvaluationStore store, EvalSuiteStore suites, EvaluationEvents events, EvaluationQueue queue,
            RewardRefs refs, RewardSpecCatalog specs, DatasetCatalog datasets, JsonMapper json) {
        this.json = json;
        this.store = store;
        this.suites = suites;
        this.events = events;
        this.queue = queue;
        this.refs = refs;
        this.specs = specs;
        this.datasets = datasets;
    }

    /** Validates {@code {suite, candidate, baseline?}} (every violation at once) and queues the evaluation. */
    @Transactional
    Evaluation submit(Caller caller, JsonNode body) {
        String teamId = caller.requireTeam();
        List<Violation> violations = new ArrayList<>();
        RequestFields f = RequestFields.of(body, "", FIELDS, violations);
        String suiteRef = f.string("suite", 210);
        EvalSuite suite = null;
        if (!f.has("suite")) {
            violations.add(new Violation("/suite", "is required"));
        } else if (suiteRef != null) {
            suite = suites.findByRef(teamId, suiteRef).orElse(null);
            if (suite == null) {
                violations.add(new Violation("/suite", "no eval suite with id or name '" + suiteRef + "'"));
            }
        }
        if (!f.has("candidate")) {
            violations.add(new Violation("/candidate", "is required"));
        }
        RewardRefs.Ref candidate = refs.resolve(caller, "/candidate", f.string("candidate", 210), false, violations);
        String baselineRef = f.has("baseline") ? f.string("baseline", 210) : suite == null ? null : suite.baseline();
        String baselinePointer = f.has("baseline") ? "/baseline" : "/suite";
        int before = violations.size();
        RewardRefs.Ref baseline = refs.resolve(caller, baselinePointer, baselineRef, false, violations);
        if (!f.has("baseline") && violations.size() > before) {
            Violation v = violations.remove(violations.size() - 1);
            violations.add(new Violation("/suite", "its baseline " + baselineRef + ": " + v.reason()));
        }
        if (suite != null) {
            readsWhatTheSuiteHas(caller, suite, "/candidate", candidate, violations);
            readsWhatTheSuiteHas(caller, suite, baselinePointer, baseline, violations);
        }
        if (!violations.isEmpty()) {
            throw ApiException.invalid(violations);
        }
        Evaluation e = new Evaluation(0, Ids.newId("eval_"), teamId, suite.id(), candidate, baseline,
                EvaluationStatus.QUEUED, null, null, "queued", 0, 0, false, null, null, 0, null, null, null,
                Timestamps.now(), null, null);
        store.insert(e);
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("suite", suite.id());
        data.put("candidate", candidate.id());
        data.put("candidate_alias", candidate.alias());
        data.put("baseline", baseline == null ? null : baseline.id());
        events.info(e.id(), "evaluation.queued", "candidate " + describe(candidate) + " on suite " + suite.name()
                + " v" + suite.version() + (baseline == null ? "" : " against " + describe(baseline)), data);
        if (TransactionSynchronizationManager.isSynchronizationActive()) {
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCommit() {
                    queue.nudge(); // the row is visible to the poller only now
                }
            });
        } else {
            queue.nudge();
        }
        return store.require(e.id());
    }

    Evaluation get(Caller caller, String id) {
        return store.get(caller.requireTeam(), id);
    }

    ListResponse<EvaluationView> list(Caller caller, String suite, String status, PageParams page) {
        String teamId = caller.requireTeam();
        String suiteId = null;
        if (suite != null && !suite.isBlank()) {
            suiteId = suites.findByRef(teamId, suite).map(EvalSuite::id).orElseThrow(() -> new ApiException(
                    HttpStatus.BAD_REQUEST, "invalid_parameter", "suite: no eval suite with id or name '" + suite + "'.",
                    List.of(new Violation("/suite", "unknown suite"))));
        }
        EvaluationStatus s = null;
        if (status != null && !status.isBlank()) {
            try {
                s = EvaluationStatus.of(status);
            } catch (IllegalArgumentException e) {
                throw new ApiException(HttpStatus.BAD_REQUEST, "invalid_parameter", "status must be one of queued,"
                        + " running, completed, failed, cancelled; got '" + status + "'.",
                        List.of(new Violation("/status", "unknown status")));
            }
        }
        return page.toResponse(store.list(teamId, suiteId, s, page), this::view);
    }

    /**
     * Cancels a queued evaluation at once, or asks a running one to stop (it ends {@code cancelled} within about a
     * lease / 4); a cancelled one
     * stays so; 409 for a completed or failed one.
     */
    @Transactional
    Evaluation cancel(Caller caller, String id) {
        get(caller, id);
        if (store.cancelQueued(id)) {
            events.info(id, "evaluation.cancelled", "cancelled before it started", null);
            queue.publishEnded(store.require(id), null);
        } else if (store.requestCancel(id)) {
            events.info(id, "evaluation.cancel_requested", "cancel requested; the run stops at its next check", null);
        } else {
            Evaluation now = store.require(id);
            if (now.status() == EvaluationStatus.COMPLETED || now.status() == EvaluationStatus.FAILED) {
                throw ApiException.conflict("evaluation_finished", "Evaluation " + id + " is already "
                        + now.status().wire() + ".");
            }
        }
        return store.require(id);
    }

    List<EvaluationEvents.Event> events(Caller caller, String id) {
        get(caller, id);
        return events.of(id);
    }

    /** The report of a completed evaluation; 409 {@code evaluation_not_completed} otherwise. */
    Evaluation completed(Caller caller, String id) {
        Evaluation e = get(caller, id);
        if (e.status() != EvaluationStatus.COMPLETED) {
            throw ApiException.conflict("evaluation_not_completed", "Evaluation " + id + " is " + e.status().wire()
                    + "; its report exists once it is completed" + (e.status().finished() ? "" : " (poll it)") + ".");
        }
        return e;
    }

    EvalSuite suiteOf(Evaluation e) {
        return suites.find(e.suiteId()).orElseThrow();
    }

    EvaluationView view(Evaluation e) {
        return EvaluationView.of(e, suiteOf(e));
    }

    @Override
    public Verdict check(String teamId, String suite, String targetId) {
        Optional<EvalSuite> s = suites.findByRef(teamId, suite);
        if (s.isEmpty()) {
            return new Verdict(false, null, null, "no eval suite with id or name '" + suite + "'");
        }
        Optional<Evaluation> newest = store.newestCompleted(teamId, s.get().id(), targetId, s.get().baseline());
        if (newest.isEmpty()) {
            return new Verdict(false, null, s.get().id(), "run POST /v1/evaluations with suite " + s.get().name()
                    + " and this candidate first" + (s.get().baseline() == null ? ""
                            : ", against the suite's own baseline " + s.get().baseline()));
        }
        Evaluation e = newest.get();
        if ("passed".equals(e.verdict())) {
            return new Verdict(true, e.id(), s.get().id(), null);
        }
        List<ThresholdCheck> failed = json.readValue(e.failedThresholds(), new TypeReference<List<ThresholdCheck>>() { });
        return new Verdict(false, e.id(), s.get().id(), "it failed " + failed.stream()
                .map(c -> c.name() + " (" + (c.value() == null ? "not measured" : Numbers.format(c.value()))
                        + " against " + Numbers.format(c.threshold()) + ")")
                .collect(java.util.stream.Collectors.joining(", ")));
    }

    /** A spec candidate must not read item fields the suite's data lacks; a model reads only the prompt. */
    private void readsWhatTheSuiteHas(Caller caller, EvalSuite suite, String pointer, RewardRefs.Ref ref,
            List<Violation> violations) {
        if (ref == null || ref.kind() != RewardAliases.Kind.REWARD_SPEC) {
            return;
        }
        RewardSpecInfo spec = specs.get(caller, ref.id());
        for (String dataset : new String[] {suite.preferences(), suite.prompts()}) {
            if (dataset != null) {
                var info = datasets.get(caller, dataset);
                RewardSpecCatalog.requireFields(pointer, info.fields(), info.id(), spec, violations);
            }
        }
    }

    private static String describe(RewardRefs.Ref r) {
        return r.id() + (r.alias() == null ? "" : " (" + r.alias() + ")");
    }
}
