package dev.tropism.evaluations;

import dev.tropism.datasets.DatasetCatalog;
import dev.tropism.datasets.DatasetInfo;
import dev.tropism.datasets.DatasetPurpose;
import dev.tropism.datasets.DatasetUsage;
import dev.tropism.engine.PolicyFamily;
import dev.tropism.engine.lm.DryRunConfig;
import dev.tropism.jobs.JobService;
import dev.tropism.models.ModelRecord;
import dev.tropism.models.ModelStore;
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
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.stereotype.Service;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** Creation (every violation reported at once), lookup and listing of evaluation suites. */
@Service
class EvalSuiteService implements DatasetUsage {

    static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,100}");
    /** Default n_samples: enough for the best-of-N probe up to N = 32. */
    static final int DEFAULT_SAMPLES = 32;
    static final int DEFAULT_PROMPTS = 32;
    private static final List<String> FIELDS = List.of("name", "description", "preferences", "prompts",
            "gold_reward_spec", "policy", "n_samples", "max_prompts", "max_new_tokens", "temperature", "top_p", "seed",
            "thresholds", "baseline");

    private final EvalSuiteStore store;
    private final DatasetCatalog datasets;
    private final RewardSpecCatalog specs;
    private final RewardRefs refs;
    private final ModelStore models;
    private final JobService jobs;
    private final JsonMapper json;
    private final EvaluationProperties properties;

    EvalSuiteService(EvalSuiteStore store, DatasetCatalog datasets, RewardSpecCatalog specs, RewardRefs refs,
            ModelStore models, JobService jobs, JsonMapper json, EvaluationProperties properties) {
        this.properties = properties;
        this.store = store;
        this.datasets = datasets;
        this.specs = specs;
        this.refs = refs;
        this.models = models;
        this.jobs = jobs;
        this.json = json;
    }

    /** Validates a suite and stores it as the next version of its name. */
    EvalSuite create(Caller caller, JsonNode body) {
        String teamId = caller.requireTeam();
        List<Violation> violations = new ArrayList<>();
        RequestFields f = RequestFields.of(body, "", FIELDS, violations);
        String name = f.string("name", 100);
        if (!f.has("name")) {
            violations.add(new Violation("/name", "is required"));
        } else if (name != null && !NAME.matcher(name).matches()) {
            violations.add(new Violation("/name", "may hold only letters, digits, '.', '_' and '-'"));
        }
        String description = f.string("description", 2000);
        DatasetInfo preferences = datasets.find(caller, "/preferences", f.string("preferences", 64), false,
                DatasetPurpose.PREFERENCES, violations);
        DatasetInfo prompts = datasets.find(caller, "/prompts", f.string("prompts", 64), false, DatasetPurpose.PROMPTS,
                violations);
        if (preferences != null && preferences.lines() > properties.maxPairs()) {
            violations.add(new Violation("/preferences", "dataset " + preferences.id() + " has " + preferences.lines()
                    + " pairs; a suite scores at most " + properties.maxPairs() + " (tropism.evaluations.max-pairs)"));
        }
        if (!f.has("preferences") && !f.has("prompts")) {
            violations.add(new Violation("", "give preferences (held-out pairs), prompts (with gold_reward_spec and"
                    + " policy), or both"));
        }
        int nSamples = f.integer("n_samples", 1, DryRunConfig.MAX_SAMPLES_PER_PROMPT, DEFAULT_SAMPLES);
        int maxPrompts = f.integer("max_prompts", 1, DryRunConfig.MAX_LIMIT, DEFAULT_PROMPTS);
        int maxNewTokens = f.integer("max_new_tokens", 1, DryRunConfig.MAX_NEW_TOKENS, DryRunConfig.DEFAULT.maxNewTokens());
        Double temperature = f.number("temperature", 0, true, 2);
        Double topP = f.number("top_p", 0, true, 1);
        long seed = f.nonNegativeLong("seed", 0);
        DryRunConfig sampling = new DryRunConfig(nSamples, maxPrompts, maxNewTokens,
                temperature == null ? DryRunConfig.DEFAULT.temperature() : temperature,
                topP == null ? DryRunConfig.DEFAULT.topP() : topP, seed);

        RewardRefs.Ref gold = null;
        ModelRecord policy = null;
        boolean samplesPolicy = f.has("prompts");
        if (samplesPolicy) {
            if (!f.has("gold_reward_spec")) {
                violations.add(new Violation("/gold_reward_spec", "is required with prompts: the gold judge"));
            }
            if (!f.has("policy")) {
                violations.add(new Violation("/policy", "is required with prompts: the model whose samples are judged"));
            }
            gold = refs.resolve(caller, "/gold_reward_spec", f.string("gold_reward_spec", 210), true, violations);
            policy = policy(teamId, f.string("policy", 64), sampling, violations);
            if (gold != null && prompts != null) {
                RewardSpecInfo spec = specs.get(caller, gold.id());
                RewardSpecCatalog.requireFields("/gold_reward_spec", prompts.fields(), prompts.id(), spec, violations);
            }
        } else {
            for (String only : List.of("gold_reward_spec", "policy")) {
                if (f.has(only)) {
                    violations.add(new Violation("/" + only, "needs prompts: the gold judge scores the policy's samples"
                            + " of the suite's prompts"));
                }
            }
        }
        String baselineRef = f.string("baseline", 210);
        RewardRefs.Ref baseline = refs.resolve(caller, "/baseline", baselineRef, false, violations);
        ObjectNode thresholds = SuiteThresholds.parse(f.node("thresholds"), f.has("preferences"), samplesPolicy,
                f.has("baseline"), violations, json);
        if (samplesPolicy && nSamples < 2 && thresholds.has("max_overoptimization")) {
            violations.add(new Violation("/n_samples", "must be at least 2 for the best-of-N probe"
                    + " (thresholds/max_overoptimization)"));
        }
        if (samplesPolicy && nSamples < 2 && thresholds.path("max_regression").has("overoptimization")) {
            violations.add(new Violation("/n_samples", "must be at least 2 for the best-of-N probe"
                    + " (thresholds/max_regression/overoptimization)"));
        }
        if (!violations.isEmpty()) {
            throw ApiException.invalid(violations);
        }
        for (int attempt = 0; ; attempt++) {
            EvalSuite suite = new EvalSuite(0, Ids.newId("suite_"), teamId, name, store.nextVersion(teamId, name),
                    description, preferences == null ? null : preferences.id(), prompts == null ? null : prompts.id(),
                    gold == null ? null : gold.id(), gold == null ? null : gold.alias(), policy == null ? null : policy.id(),
                    sampling, json.writeValueAsString(thresholds), baseline == null ? null : baselineRef, Timestamps.now());
            try {
                store.insert(suite);
                return store.find(suite.id()).orElseThrow();
            } catch (DuplicateKeyException e) { // a concurrent version of the same name: take the next one
                if (attempt >= 3) {
                    throw ApiException.conflict("concurrent_update", "Suite " + name
                            + " is being versioned by other requests; retry.");
                }
            }
        }
    }

    EvalSuite get(Caller caller, String id) {
        return store.get(caller.requireTeam(), id);
    }

    /** The caller's suite by id or name (newest version); 404 otherwise. */
    EvalSuite byRef(Caller caller, String ref) {
        return store.findByRef(caller.requireTeam(), ref).orElseThrow(() -> ApiException.notFound("eval suite", ref));
    }

    Optional<EvalSuite> findByRef(String teamId, String ref) {
        return store.findByRef(teamId, ref);
    }

    ListResponse<EvalSuiteView> list(Caller caller, String name, PageParams page) {
        return page.toResponse(store.list(caller.requireTeam(), name, page), EvalSuiteView::of);
    }

    @Override
    public boolean isInUse(String datasetId) {
        return store.datasetInUse(datasetId);
    }

    /** The team's ready language model whose samples are judged, or null with a violation. */
    private ModelRecord policy(String teamId, String id, DryRunConfig sampling, List<Violation> violations) {
        if (id == null) {
            return null;
        }
        Optional<ModelRecord> found = models.find(id).filter(m -> m.teamId().equals(teamId));
        if (found.isEmpty()) {
            violations.add(new Violation("/policy", "no model with id '" + id + "'"));
            return null;
        }
        ModelRecord m = found.get();
        Optional<String> unusable = m.unusableAs(PolicyFamily.LANGUAGE_MODEL);
        if (unusable.isPresent()) {
            violations.add(new Violation("/policy", unusable.get()));
        } else {
            Integer block = jobs.blockSize(m.objectPrefix());
            if (block != null && sampling.maxNewTokens() > block - 2) {
                violations.add(new Violation("/max_new_tokens", "must leave room for the prompt within the policy's"
                        + " block_size of " + block + " tokens (at most " + (block - 2) + "), got "
                        + sampling.maxNewTokens()));
            }
        }
        return m;
    }
}
