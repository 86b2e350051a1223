package dev.tropism.dryruns;

import dev.tropism.datasets.DatasetCatalog;
import dev.tropism.datasets.DatasetInfo;
import dev.tropism.datasets.DatasetPurpose;
import dev.tropism.datasets.DatasetUsage;
import dev.tropism.engine.PolicyFamily;
import dev.tropism.engine.lm.DryRunConfig;
import dev.tropism.jobs.HyperParameters;
import dev.tropism.jobs.JobService;
import dev.tropism.models.ModelRecord;
import dev.tropism.models.ModelStore;
import dev.tropism.rewards.RewardSpecCatalog;
import dev.tropism.rewards.RewardSpecInfo;
import dev.tropism.teams.Caller;
import dev.tropism.web.ApiException;
import dev.tropism.web.Ids;
import dev.tropism.web.JsonPointers;
import dev.tropism.web.ListResponse;
import dev.tropism.web.PageParams;
import dev.tropism.web.Timestamps;
import dev.tropism.web.Violation;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;
import tools.jackson.databind.JsonNode;

/** Submission (every violation reported at once), lookup and listing of reward-spec dry-runs. */
@Service
class DryRunService implements DatasetUsage {

    private static final SecureRandom SEEDS = new SecureRandom();
    private static final List<String> REFERENCES = List.of("model", "dataset");

    private final DryRunStore store;
    private final DryRunExecutor executor;
    private final DryRunWorker worker;
    private final RewardSpecCatalog rewardSpecs;
    private final ModelStore models;
    private final JobService jobs;
    private final DatasetCatalog datasets;

    DryRunService(DryRunStore store, DryRunExecutor executor, DryRunWorker worker, RewardSpecCatalog rewardSpecs,
            ModelStore models, JobService jobs, DatasetCatalog datasets) {
        this.datasets = datasets;
        this.store = store;
        this.executor = executor;
        this.worker = worker;
        this.rewardSpecs = rewardSpecs;
        this.models = models;
        this.jobs = jobs;
    }

    /**
     * Validates a dry-run of the caller's reward spec {@code specId} and queues it. 404 for another
     * team's spec; 422 listing every violation; 400 for an unknown field; 429 when the queue is full.
     */
    DryRunRecord submit(Caller caller, String specId, JsonNode body) {
        String teamId = caller.requireTeam();
        RewardSpecInfo spec = rewardSpecs.get(caller, specId);
        if (body == null || !body.isObject()) {
            throw ApiException.invalid("", "the body must be a JSON object");
        }
        List<String> knobs = HyperParameters.keys(DryRunConfig.class);
        Map<String, JsonNode> given = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : body.properties()) {
            if (!REFERENCES.contains(e.getKey()) && !knobs.contains(e.getKey())) {
                String pointer = JsonPointers.child("", e.getKey());
                throw new ApiException(HttpStatus.BAD_REQUEST, "unknown_field", "Unknown field '" + e.getKey() + "' at "
                        + pointer + ".", List.of(new Violation(pointer, "unknown field; known: "
                        + String.join(", ", REFERENCES) + ", " + String.join(", ", knobs))));
            }
            if (!e.getValue().isNull()) { // an explicit null means the default
                given.put(e.getKey(), e.getValue());
            }
        }
        List<Violation> violations = new ArrayList<>();
        DryRunConfig config = HyperParameters.bind(DryRunConfig.class,
                DryRunConfig.DEFAULT.withSeed(SEEDS.nextLong() & Long.MAX_VALUE), given, "", List.of(), violations);
        if (!given.containsKey("model")) {
            violations.add(new Violation("/model", "is required"));
        }
        ModelRecord model = model(teamId, reference(given, "model", violations), config, violations);
        // (a dataset of the wrong JSON type is already reported: "required" only when it is absent)
        DatasetInfo dataset = datasets.find(caller, "/dataset", reference(given, "dataset", violations),
                !given.containsKey("dataset"), DatasetPurpose.PROMPTS, violations);
        if (dataset != null) {
            TreeSet<String> missing = new TreeSet<>(spec.itemFields());
            missing.removeAll(dataset.fields());
            if (!missing.isEmpty()) {
                violations.add(new Violation("/dataset", "dataset " + dataset.id() + " lacks field(s) "
                        + String.join(", ", missing) + " that reward spec " + spec.id() + " reads"));
            }
        }
        if (!violations.isEmpty()) {
            throw ApiException.invalid(violations);
        }
        DryRunExecutor.Slot slot = executor.reserve();
        DryRunRecord r = new DryRunRecord(0, Ids.newId("dry_"), teamId, spec.id(), model.id(), dataset.id(), config,
                DryRunStatus.QUEUED, null, null, null, Timestamps.now(), null, null);
        try {
            store.insert(r);
        } catch (RuntimeException e) {
            slot.release();
            throw e;
        }
        if (!slot.start(() -> worker.execute(r.id()))) {
            store.markFailed(r.id(), DryRunExecutor.INTERRUPTED, "the service is stopping; submit it again");
        }
        return store.require(r.id());
    }

    DryRunRecord get(Caller caller, String specId, String id) {
        rewardSpecs.get(caller, specId);
        return store.get(caller.requireTeam(), specId, id);
    }

    ListResponse<DryRunView> list(Caller caller, String specId, PageParams page) {
        rewardSpecs.get(caller, specId);
        return page.toResponse(store.list(caller.requireTeam(), specId, page), DryRunView::of);
    }

    @Override
    public boolean isInUse(String datasetId) {
        return store.datasetInUse(datasetId);
    }

    /** An id field: its string, or null when absent (not reported here) or not a string (reported). */
    private static String reference(Map<String, JsonNode> given, String field, List<Violation> violations) {
        JsonNode v = given.get(field);
        if (v == null) {
            return null;
        }
        if (!v.isString()) {
            violations.add(new Violation("/" + field, "must be a string"));
            return null;
        }
        return v.asString();
    }

    /** The team's ready language model, or null with a violation (another team's reads as missing). */
    private ModelRecord model(String teamId, String id, DryRunConfig config, List<Violation> violations) {
        if (id == null) {
            return null;
        }
        Optional<ModelRecord> found = models.find(id).filter(m -> m.teamId().equals(teamId));
        if (found.isEmpty()) {
            violations.add(new Violation("/model", "no model with id '" + id + "'"));
            return null;
        }
        ModelRecord m = found.get();
        if (m.family() != PolicyFamily.LANGUAGE_MODEL) {
            violations.add(new Violation("/model", "model " + id + " is a " + m.family() + " model; dry-runs sample"
                    + " from " + PolicyFamily.LANGUAGE_MODEL.wireName() + " models only for now"));
        } else if (!ModelRecord.READY.equals(m.status())) {
            violations.add(new Violation("/model", "model " + id + " is " + m.status() + "; it must be ready"));
        } else if (config != null) {
            Integer block = jobs.blockSize(m.objectPrefix()); // null when unreadable: the run checks it again
            if (block != null && config.maxNewTokens() > block - 2) {
                violations.add(new Violation("/max_new_tokens", "must leave room for the prompt within the model's"
                        + " block_size of " + block + " tokens (at most " + (block - 2) + "), got "
                        + config.maxNewTokens()));
            }
        }
        return m;
    }
}
