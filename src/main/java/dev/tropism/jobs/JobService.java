package dev.tropism.jobs;

import dev.tropism.billing.Money;
import dev.tropism.billing.Spend;
import dev.tropism.datasets.DatasetCatalog;
import dev.tropism.datasets.DatasetInfo;
import dev.tropism.datasets.DatasetPurpose;
import dev.tropism.datasets.DatasetUsage;
import dev.tropism.engine.rl.GrpoConfig;
import dev.tropism.engine.rm.RewardModelConfig;
import dev.tropism.jobs.BaseModels.BaseModel;
import dev.tropism.quotas.Quotas;
import dev.tropism.rewards.RewardAliases;
import dev.tropism.rewards.RewardSpecCatalog;
import dev.tropism.rewards.RewardSpecInfo;
import dev.tropism.storage.ObjectStore;
import dev.tropism.teams.Caller;
import dev.tropism.web.ApiException;
import dev.tropism.web.Ids;
import dev.tropism.web.Violation;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Submission (with validation of every field at once) and lifecycle requests of training jobs. */
@Service
public class JobService implements DatasetUsage {

    private static final Logger log = LoggerFactory.getLogger(JobService.class);
    private static final Pattern SUFFIX = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final SecureRandom SEEDS = new SecureRandom();

    private final JobStore jobs;
    private final JobEvents events;
    private final BaseModels models;
    private final ApplicationEventPublisher publisher;
    private final MemoryBudget memoryBudget;
    private final DatasetCatalog datasets;
    private final RewardAliases rewardAliases;
    private final JobQueue queue;
    private final JsonMapper json;
    private final ObjectStore objects;
    private final JobMetrics metrics;
    private final Spend spend;
    private final Quotas quotas;
    private final RetentionProperties retention;

    public JobService(JobStore jobs, JobEvents events, BaseModels models, DatasetCatalog datasets,
            RewardAliases rewardAliases, JobQueue queue, JsonMapper json, ObjectStore objects, JobMetrics metrics,
            ApplicationEventPublisher publisher, MemoryBudget memoryBudget, Spend spend, Quotas quotas,
            RetentionProperties retention) {
        this.spend = spend;
        this.quotas = quotas;
        this.retention = retention;
        this.publisher = publisher;
        this.rewardAliases = rewardAliases;
        this.memoryBudget = memoryBudget;
        this.jobs = jobs;
        this.events = events;
        this.models = models;
        this.datasets = datasets;
        this.queue = queue;
        this.json = json;
        this.objects = objects;
        this.metrics = metrics;
    }

    /**
     * Validates an alignment job and queues it; 422 listing every violation otherwise. Each concern has its own
     * check below (method, model, datasets, reward specs, monitor, the rest); all of them run and add to one list.
     */
    @Transactional
    public JobRecord submit(Caller caller, CreateJobRequest request) {
        List<Violation> violations = new ArrayList<>();
        AlignmentMethod alignment = methodType(request.method(), violations);
        RewardOptions rewardOptions = RewardOptions.parse(request.rewardOptions(), "/reward_options", violations);
        JobDebug debug = JobDebug.parse(request.debug(), "/debug", violations);
        JobResources resources = JobResources.parse(request.resources(), "/resources", violations);
        MethodChoice method = methodConfig(alignment, request.method(), rewardOptions, violations);
        BaseModel model = checkModel(caller, request.model(), method, violations);
        List<String> classes = method.fits(model) && method.flowPointer() != null && model.ready() ? flowClasses(model)
                : null;
        DatasetInfo dataset = checkDataset(caller, "/dataset", request.dataset(), true, method, classes, violations);
        if (method.fits(model) && model.ready() && dataset != null) {
            checkMemory(caller, model, method.method(), dataset, violations);
        }
        DatasetInfo evalDataset = checkDataset(caller, "/eval_dataset", request.evalDataset(), false, method, classes,
                violations);
        RewardAliases.SpecRef rewardRef = checkRewardSpec(caller, request, method, dataset, evalDataset, violations);
        RewardAliases.SpecRef goldRef = checkGoldSpec(caller, request, method, rewardOptions, dataset, evalDataset,
                violations);
        RewardSpecInfo rewardSpec = rewardRef == null ? null : rewardRef.spec();
        RewardSpecInfo goldSpec = goldRef == null ? null : goldRef.spec();
        checkMonitor(rewardOptions.hackingMonitor(), goldSpec != null, method.evalInterval(), method.monitorPointer(),
                violations);
        checkSuffixAndMetadata(request, violations);
        BigDecimal maxSpend = maxSpend(request.budget(), violations);
        RetentionPolicy retentionPolicy = RetentionPolicy.parse(request.retention(), "/retention", alignment,
                retention.keepLast(), violations);
        if (!violations.isEmpty()) {
            throw ApiException.invalid(violations);
        }
        String team = caller.requireTeam();
        requireQuotas(team);
        Spend.Estimate estimate = spend.estimate(alignment.wireName(), model.id(), method.method().maxSteps(),
                SpendShapes.of(method.method(), model.parameters(), "cuda".equals(resources.effectiveDevice())));
        spend.requireTeamRoom(team, estimate.amount(), "Job submission");
        JobRecord job = newJob(team, model.id(), dataset.id(), evalDataset == null ? null : evalDataset.id(),
                rewardSpec == null ? null : rewardSpec.id(), json.writeValueAsString(method.json()), request.seed(),
                request.suffix(),
                request.metadata() == null || request.metadata().isNull() ? null : json.writeValueAsString(request.metadata()),
                null, method.method().maxSteps(), null, goldSpec == null ? null : goldSpec.id(),
                rewardOptions.toJson() == null ? null : json.writeValueAsString(rewardOptions.toJson()), debug.toJson(),
                resources.toJson() == null ? null : json.writeValueAsString(resources.toJson()),
                new SpecAliases(rewardSpec, rewardRef == null ? null : rewardRef.alias(), goldSpec,
                        goldRef == null ? null : goldRef.alias()),
                retentionPolicy == null ? null : retentionPolicy.toJson(json));
        spend.open(job.id(), team, alignment.wireName(), model.id(), maxSpend, estimate);
        return job;
    }

    /** {@code budget}: {@code {"max_spend": amount > 0}} or absent/null; the amount, or null for no budget. */
    private static BigDecimal maxSpend(JsonNode budget, List<Violation> violations) {
        if (budget == null || budget.isNull()) {
            return null;
        }
        if (!budget.isObject()) {
            violations.add(new Violation("/budget", "must be an object {\"max_spend\": amount}"));
            return null;
        }
        Money.onlyFields(budget, "/budget", violations, "max_spend");
        int before = violations.size();
        BigDecimal max = Money.positive(budget.get("max_spend"), "/budget/max_spend", violations);
        if (max == null && violations.size() == before) {
            violations.add(new Violation("/budget/max_spend", "is required in a budget (leave budget out for none)"));
        }
        return max;
    }

    /**
     * {@code PUT /v1/jobs/{id}/budget {"max_spend": amount}}: sets (or with null removes) the job's budget, for a job
     * that has not ended. Raising it above the job's spend lets a job it paused resume.
     */
    @Transactional
    public JobRecord setBudget(Caller caller, String id, JsonNode body) {
        JobRecord job = jobs.get(caller.requireTeam(), id);
        List<Violation> violations = new ArrayList<>();
        if (body == null || !body.isObject() || !body.has("max_spend")) {
            throw ApiException.invalid("/max_spend", "is required: {\"max_spend\": amount} (null removes the budget)");
        }
        Money.onlyFields(body, "", violations, "max_spend");
        BigDecimal max = Money.positive(body.get("max_spend"), "/max_spend", violations);
        if (!violations.isEmpty()) {
            throw ApiException.invalid(violations);
        }
        if (job.status().terminal()) {
            throw invalidState(job, "given a budget");
        }
        Spend.JobSpend before = spend.job(id).orElse(null);
        Spend.JobSpend after = spend.setMaxSpend(id, job.teamId(), max);
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("max_spend", max);
        data.put("previous_max_spend", before == null ? null : before.maxSpend());
        data.put("spend", after.spend());
        data.put("currency", spend.pricing().currency());
        events.info(id, "budget.updated", max == null ? "Budget removed." : "Budget set to max_spend "
                + max.stripTrailingZeros().toPlainString() + " " + spend.pricing().currency() + ".", data);
        return jobs.require(id);
    }

    /**
     * A valid submission still waits for the team's quotas: room to store (its checkpoints will take some) and a free
     * concurrent-job slot; 409 {@code quota_exceeded} otherwise.
     */
    private void requireQuotas(String teamId) {
        quotas.requireStorage(teamId);
        quotas.requireJobSlot(teamId);
    }

    /**
     * The reward aliases a request named, with the spec each resolved to at submission; the job stores both and its
     * {@code job.queued} event says how they resolved.
     */
    private record SpecAliases(RewardSpecInfo rewardSpec, String rewardSpecAlias, RewardSpecInfo evalRewardSpec,
            String evalRewardSpecAlias) {

        static final SpecAliases NONE = new SpecAliases(null, null, null, null);

        /** " reward_spec alias a resolved to rs_…." for each alias, or "" when the request named none. */
        String describe() {
            StringBuilder out = new StringBuilder();
            if (rewardSpecAlias != null) {
                out.append(" reward_spec alias ").append(rewardSpecAlias).append(" resolved to ")
                        .append(rewardSpec.id()).append('.');
            }
            if (evalRewardSpecAlias != null) {
                out.append(" eval_reward_spec alias ").append(evalRewardSpecAlias).append(" resolved to ")
                        .append(evalRewardSpec.id()).append('.');
            }
            return out.toString();
        }

        void addTo(Map<String, Object> data) {
            if (rewardSpecAlias != null) {
                data.put("reward_spec_alias", Map.of("alias", rewardSpecAlias, "reward_spec", rewardSpec.id()));
            }
            if (evalRewardSpecAlias != null) {
                data.put("eval_reward_spec_alias", Map.of("alias", evalRewardSpecAlias, "reward_spec",
                        evalRewardSpec.id()));
            }
        }
    }

    /**
     * A submitted method: its type, its JSON as it will be stored, and its parsed form (null when the type is
     * unknown or its hyperparameters do not bind).
     */
    private record MethodChoice(AlignmentMethod alignment, JsonNode json, JobMethod method) {

        /** {@code /method/<type>} of a flow method; null otherwise. */
        String flowPointer() {
            return alignment == null || alignment.flowType() == null ? null : "/method/" + alignment.wireName();
        }

        /** The method's {@code eval_interval}; null when it has none or its config did not bind. */
        Integer evalInterval() {
            return method == null ? null : method.evalInterval();
        }

        /** Where the hacking monitor's interval problems are reported. */
        String monitorPointer() {
            return alignment == AlignmentMethod.GRPO || alignment != null && alignment.lmType() != null
                    ? "/method/" + alignment.wireName() : flowPointer();
        }

        /** Whether {@code model} is of the family this method trains. */
        boolean fits(BaseModel model) {
            return model != null && alignment != null && alignment.trains() == model.family();
        }
    }

    /** {@code method}'s shape and {@code type}; null when the type is missing or unknown. */
    private static AlignmentMethod methodType(JsonNode method, List<Violation> violations) {
        if (method == null || method.isNull()) {
            violations.add(new Violation("/method", "is required"));
            return null;
        }
        if (!method.isObject()) {
            violations.add(new Violation("/method", "must be an object"));
            return null;
        }
        String type = method.path("type").isString() ? method.get("type").asString() : null;
        AlignmentMethod alignment = AlignmentMethod.of(type).orElse(null);
        if (alignment == null) {
            violations.add(new Violation("/method/type", "must be one of: " + AlignmentMethod.wireNames()));
        }
        for (String key : method.propertyNames()) {
            boolean lora = key.equals(JobMethod.LORA) && alignment != null && alignment.takesLora();
            if (!key.equals("type") && !lora && (alignment == null || !key.equals(alignment.wireName()))) {
                violations.add(new Violation("/method/" + key, "unknown field for method type "
                        + (alignment == null ? null : alignment.wireName())));
            }
        }
        return alignment;
    }

    /** The method's hyperparameters, with {@code reward_options.normalization} folded in where it applies. */
    private static MethodChoice methodConfig(AlignmentMethod alignment, JsonNode method, RewardOptions rewardOptions,
            List<Violation> violations) {
        if (alignment != null && rewardOptions.normalization() != null) {
            if (alignment.flowType() != null) {
                violations.add(new Violation("/reward_options/normalization", "is not used by method "
                        + alignment.wireName() + " (its advantages are always normalized within each group); leave it out"));
            } else if (alignment == AlignmentMethod.GRPO) {
                method = withNormalization(method, alignment.wireName(), rewardOptions.normalization(), violations);
            } else {
                violations.add(new Violation("/reward_options/normalization", "is not used by method "
                        + alignment.wireName() + "; leave it out"));
            }
        }
        return new MethodChoice(alignment, method, alignment == null ? null : JobMethod.parse(alignment, method, violations));
    }

    /** The caller's base model: ready, of the family the method trains, with room for its sequence lengths. */
    private BaseModel checkModel(Caller caller, String id, MethodChoice method, List<Violation> violations) {
        BaseModel model = model(caller, id, violations);
        if (model != null && !model.ready()) {
            violations.add(new Violation("/model", "model " + model.id() + " is " + model.status() + "; it must be ready"));
        }
        if (model != null && method.alignment() != null && !method.fits(model)) {
            violations.add(new Violation("/model", "method " + method.alignment().wireName() + " needs a "
                    + method.alignment().trains().wireName() + " model, not " + model.family()));
        } else if (method.fits(model) && model.ready()) {
            checkBlockSize(model, method.method(), violations);
            boolean lora = method.method() instanceof JobMethod.Grpo g && g.lora() != null
                    || method.method() instanceof JobMethod.RewardModel r && r.lora() != null
                    || method.method() instanceof JobMethod.LmAlignment l && l.lora() != null;
            if (lora && isTropismFormat(model.objectPrefix())) {
                violations.add(new Violation("/method/lora", "LoRA adapts imported models (gpt2, llama, qwen2); model "
                        + model.id() + " is a tiny-gpt, which trains in full: leave lora out"));
            }
        }
        return model;
    }

    /**
     * {@code dataset} or {@code eval_dataset}: the caller's, of the purpose the method reads; when {@code classes}
     * is given (a flow method on a ready flow model), every prompt must name one of them.
     */
    private DatasetInfo checkDataset(Caller caller, String pointer, String id, boolean required, MethodChoice method,
            List<String> classes, List<Violation> violations) {
        DatasetPurpose purpose = method.alignment() == null ? DatasetPurpose.PROMPTS : method.alignment().datasetPurpose();
        DatasetInfo dataset = datasets.find(caller, pointer, id, required, purpose, violations);
        if (classes != null) {
            checkClasses(caller, pointer, dataset, classes, violations);
        }
        return dataset;
    }

    /**
     * {@code reward_spec} (an id or an alias): required by the methods that optimize one, whose datasets must have the
     * fields it reads; null for the methods that take none.
     */
    private RewardAliases.SpecRef checkRewardSpec(Caller caller, CreateJobRequest request, MethodChoice method,
            DatasetInfo dataset, DatasetInfo evalDataset, List<Violation> violations) {
        AlignmentMethod alignment = method.alignment();
        if (alignment != null && !alignment.usesRewardSpec()) {
            if (request.rewardSpec() != null) {
                violations.add(new Violation("/reward_spec", "is not used by method " + alignment.wireName()
                        + "; leave it out"));
            }
            return null;
        }
        RewardAliases.SpecRef ref = rewardAliases.findSpec(caller, "/reward_spec", request.rewardSpec(), violations);
        RewardSpecInfo rewardSpec = ref.spec();
        if (rewardSpec != null) {
            requireFields("/dataset", dataset, rewardSpec, violations);
            requireFields("/eval_dataset", evalDataset, rewardSpec, violations);
        }
        return ref;
    }

    /**
     * {@code eval_reward_spec}, the gold reward scored at evaluations and never optimized, and the options that only
     * a method with a policy reward can use. An id or an alias; null when there is none.
     */
    private RewardAliases.SpecRef checkGoldSpec(Caller caller, CreateJobRequest request, MethodChoice method,
            RewardOptions rewardOptions, DatasetInfo dataset, DatasetInfo evalDataset, List<Violation> violations) {
        AlignmentMethod alignment = method.alignment();
        if (alignment != null && !alignment.usesRewardSpec()) {
            if (request.evalRewardSpec() != null) {
                violations.add(new Violation("/eval_reward_spec", "is not used by method " + alignment.wireName()
                        + "; leave it out"));
            }
            if (rewardOptions.hackingMonitor() != null) {
                violations.add(new Violation("/reward_options/hacking_monitor", "is not used by method "
                        + alignment.wireName() + " (it has no policy reward to watch); leave it out"));
            }
            return null;
        }
        if (request.evalRewardSpec() == null) {
            return null;
        }
        RewardAliases.SpecRef ref = rewardAliases.findSpec(caller, "/eval_reward_spec", request.evalRewardSpec(),
                violations);
        RewardSpecInfo goldSpec = ref.spec();
        if (request.evalDataset() == null && method.flowPointer() == null) {
            violations.add(new Violation("/eval_reward_spec", "needs eval_dataset: the gold reward scores the "
                    + "completions of the evaluations"));
        } else if (goldSpec != null && request.evalDataset() != null) {
            requireFields("/eval_dataset", evalDataset, goldSpec, violations);
        } else if (goldSpec != null) {
            // Flow jobs score the gold reward on every step's samples and evaluate the training prompts
            // when there is no eval_dataset.
            requireFields("/dataset", dataset, goldSpec, violations);
        }
        return ref;
    }

    private static void checkSuffixAndMetadata(CreateJobRequest request, List<Violation> violations) {
        if (request.suffix() != null && !SUFFIX.matcher(request.suffix()).matches()) {
            violations.add(new Violation("/suffix", "must be 1 to 64 letters, digits, '.', '_' or '-'"));
        }
        if (request.metadata() != null && !request.metadata().isNull() && !request.metadata().isObject()) {
            violations.add(new Violation("/metadata", "must be an object"));
        }
    }

    /** The method's sequence lengths must fit the base model's {@code block_size} (when model.json can be read). */
    private void checkBlockSize(BaseModel model, JobMethod method, List<Violation> violations) {
        GrpoConfig grpo = method instanceof JobMethod.Grpo g ? g.config() : null;
        RewardModelConfig rewardModel = method instanceof JobMethod.RewardModel r ? r.config() : null;
        JobMethod.LmAlignment lm = method instanceof JobMethod.LmAlignment l ? l : null;
        Integer block = grpo == null && rewardModel == null && lm == null ? null : blockSize(model.objectPrefix());
        if (block == null) {
            return;
        }
        if (lm != null) {
            String pointer = "/method/" + lm.type().wireName();
            int completion = lm.config().maxCompletionLength();
            if (completion >= block - 1) {
                violations.add(new Violation(pointer + "/max_completion_length", "must leave room for the prompt"
                        + " within the base model's block_size of " + block + " tokens (at most " + (block - 2)
                        + "), got " + completion));
            }
            if (lm.config().maxLength() > block) {
                violations.add(new Violation(pointer + "/max_length", "must be at most the base model's block_size of "
                        + block + " tokens (0 means block_size), got " + lm.config().maxLength()));
            }
        }
        if (grpo != null && grpo.maxCompletionLength() >= block - 1) {
            violations.add(new Violation("/method/grpo/max_completion_length", "must leave room for the prompt"
                    + " within the base model's block_size of " + block + " tokens (at most " + (block - 2)
                    + "), got " + grpo.maxCompletionLength()));
        }
        if (rewardModel != null && rewardModel.maxLength() > block) {
            violations.add(new Violation("/method/reward_model/max_length", "must be at most the base model's"
                    + " block_size of " + block + " tokens (0 means block_size), got " + rewardModel.maxLength()));
        }
    }

    /**
     * Queues the pretraining job of a new model (validated by the models module). The job's
     * {@code model} and {@code result_model} are both the model being trained. The stored method names the
     * recipe, so that the run is rebuilt from it when the job executes or resumes.
     *
     * @param datasetId the corpus, or null for a recipe that ships its data ({@code tiny-flow})
     * @param debug the job's debug options (anomaly mode), from the request's {@code debug}
     */
    @Transactional
    public JobRecord submitPretrain(String teamId, String jobId, String modelId, String recipe, String datasetId,
            JsonNode hyperparameters, int totalSteps, Long seed, EvalRefs eval, JobDebug debug) {
        Map<String, Object> method = Map.of("type", MethodConfigs.PRETRAIN, MethodConfigs.RECIPE, recipe,
                MethodConfigs.PRETRAIN, hyperparameters == null || hyperparameters.isNull() ? Map.of() : hyperparameters);
        requireQuotas(teamId);
        String methodType = MethodConfigs.PRETRAIN + "/" + recipe;
        Spend.Estimate estimate = spend.estimate(methodType, null, totalSteps, null);
        if (estimate.amount() == null) {
            JobMethod parsed = JobMethod.stored(jobId, json.writeValueAsString(method), json);
            estimate = spend.estimate(methodType, null, totalSteps, SpendShapes.of(parsed, null, false));
        }
        spend.requireTeamRoom(teamId, estimate.amount(), "Pretraining submission");
        RetentionPolicy retentionPolicy = RetentionPolicy.parse(null, "/retention", null, retention.keepLast(),
                new ArrayList<>());
        JobRecord job = newJob(teamId, modelId, datasetId, eval.evalDataset(), eval.rewardSpec(),
                json.writeValueAsString(method), seed, null, null,
                jobId, totalSteps, modelId, null, null, debug.toJson(), null, SpecAliases.NONE,
                retentionPolicy == null ? null : retentionPolicy.toJson(json));
        spend.open(job.id(), teamId, methodType, null, null, estimate);
        return job;
    }

    private JobRecord newJob(String teamId, String modelId, String datasetId, String evalDatasetId, String rewardSpecId,
            String method, Long seed, String suffix, String metadata, String jobId, int totalSteps, String resultModel,
            String evalRewardSpecId, String rewardOptions, String debug, String resources, SpecAliases aliases,
            String retention) {
        String id = jobId != null ? jobId : Ids.newId("job_");
        long s = seed != null ? seed : SEEDS.nextLong() & Long.MAX_VALUE;
        JobRecord job = new JobRecord(0, id, teamId, JobStatus.QUEUED, null, modelId, datasetId, evalDatasetId,
                rewardSpecId, method, s, suffix, metadata, null, null, resultModel, 0, totalSteps, Instant.now(), null,
                null, null, evalRewardSpecId, rewardOptions, debug, resources, null, null, null, 0,
                aliases.rewardSpecAlias(), aliases.evalRewardSpecAlias(), retention);
        jobs.insert(job);
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("seed", s);
        aliases.addTo(data);
        events.info(id, "job.queued", "Job validated and queued." + aliases.describe(), data);
        afterCommit(queue::wake);
        return jobs.require(id);
    }

    @Transactional
    public JobRecord cancel(Caller caller, String id) {
        JobRecord job = jobs.get(caller.requireTeam(), id);
        for (JobStatus from : List.of(JobStatus.QUEUED, JobStatus.PAUSED, JobStatus.VALIDATING)) {
            if (job.status() == from && jobs.transition(id, from, JobStatus.CANCELLED)) {
                metrics.finished(id);
                publisher.publishEvent(new JobCancelled(id, job.teamId(), job.model(), job.resultModel()));
                events.info(id, "job.cancelled", "Job cancelled while " + from.wire() + ".", Map.of("step", job.currentStep()));
                return jobs.require(id);
            }
        }
        if (jobs.requestControl(id, JobControl.CANCEL)) {
            events.info(id, "job.cancel_requested", "Cancellation requested; the job stops after its current step.", null);
            return jobs.require(id);
        }
        throw invalidState(jobs.require(id), "cancelled");
    }

    public JobRecord pause(Caller caller, String id) {
        jobs.get(caller.requireTeam(), id);
        if (jobs.requestControl(id, JobControl.PAUSE)) {
            events.info(id, "job.pause_requested", "Pause requested; the job checkpoints after its current step.", null);
            return jobs.require(id);
        }
        JobRecord job = jobs.require(id);
        if (job.status() == JobStatus.RUNNING && job.control() == JobControl.CANCEL) {
            throw ApiException.conflict("invalid_state", "Job " + id + " is being cancelled and cannot be paused.");
        }
        throw invalidState(job, "paused");
    }

    /** A paused job is queued again; it takes a concurrent-job slot of its team's quota like a new one. */
    @Transactional
    public JobRecord resume(Caller caller, String id) {
        JobRecord paused = jobs.get(caller.requireTeam(), id);
        if (paused.status() == JobStatus.PAUSED) {
            requireBudgetRoom(paused);
            quotas.requireJobSlot(paused.teamId());
        }
        if (jobs.transition(id, JobStatus.PAUSED, JobStatus.QUEUED)) {
            events.info(id, "job.queued", "Job resumed; queued to continue from its last checkpoint.", null);
            afterCommit(queue::wake);
            return jobs.require(id);
        }
        throw invalidState(jobs.require(id), "resumed");
    }

    /**
     * A paused job resumes only with room in its own budget (402 naming its spend and max_spend otherwise) and in its
     * team's monthly budget for what remains of it: its own measured cost per step (or its estimate's share) times the
     * steps left.
     */
    private void requireBudgetRoom(JobRecord job) {
        Spend.JobSpend s = spend.job(job.id()).orElse(null);
        String currency = spend.pricing().currency();
        if (s != null && s.overBudget()) {
            throw new ApiException(HttpStatus.PAYMENT_REQUIRED, Spend.BUDGET_EXCEEDED, "Job " + job.id()
                    + " has spent " + s.spend().stripTrailingZeros().toPlainString() + " " + currency
                    + ", at or above its budget's max_spend of " + s.maxSpend().stripTrailingZeros().toPlainString()
                    + " " + currency + ". Raise it first with PUT /v1/jobs/" + job.id()
                    + "/budget {\"max_spend\": ...}, then resume.")
                    .with("budget", Spend.JOB).with("spend", s.spend()).with("max_spend", s.maxSpend())
                    .with("currency", currency);
        }
        int total = job.totalSteps() == null ? 0 : job.totalSteps();
        int left = Math.max(0, total - job.currentStep());
        BigDecimal needed = null;
        if (s != null && s.steps() > 0) {
            needed = s.spend().multiply(BigDecimal.valueOf(left)).divide(BigDecimal.valueOf(s.steps()), 9,
                    java.math.RoundingMode.HALF_UP);
        } else if (s != null) {
            needed = Spend.share(s.estimate(), left, total);
        }
        spend.requireTeamRoom(job.teamId(), needed, "Resuming job " + job.id());
    }

    @Override
    public boolean isInUse(String datasetId) {
        return jobs.datasetInUse(datasetId);
    }

    private static ApiException invalidState(JobRecord job, String action) {
        return ApiException.conflict("invalid_state", "Job " + job.id() + " is " + job.status().wire()
                + " and cannot be " + action + ".");
    }

    /**
     * The longest sequence a stored model takes: {@code config.block_size} of Tropism's {@code model.json}, or for a
     * HuggingFace model (an import) {@code n_positions} (gpt2) or {@code max_position_embeddings} (llama, qwen2) of
     * its {@code config.json}; null if neither can be read.
     *
     * @param objectPrefix where the model's files live ({@code models/<id>/} or a checkpoint's {@code model/})
     */
    public Integer blockSize(String objectPrefix) {
        String fallback = "the run checks its sequence lengths when it opens";
        JsonNode block = storedJson(objectPrefix, "model.json", fallback).path("config").path("block_size");
        if (block.isIntegralNumber()) {
            return block.asInt();
        }
        JsonNode hf = storedJson(objectPrefix, "config.json", fallback);
        JsonNode positions = hf.has("n_positions") ? hf.get("n_positions") : hf.path("max_position_embeddings");
        return positions.isIntegralNumber() ? positions.asInt() : null;
    }

    /** The class names in a flow model's {@code model.json}; null if they cannot be read. */
    private List<String> flowClasses(BaseModel model) {
        JsonNode classes = storedJson(model.objectPrefix(), "model.json", "the run checks its prompts when it opens")
                .path("classes");
        if (!classes.isArray()) {
            return null;
        }
        List<String> names = new ArrayList<>();
        classes.forEach(c -> names.add(c.asString()));
        return names;
    }

    /** Characters of the dataset's longest prompt (or messages): an upper bound on its tokens. */
    private long longestPrompt(Caller caller, DatasetInfo dataset) {
        long longest = 0;
        for (Map<String, Object> item : datasets.readItems(caller, dataset.id())) {
            Object prompt = item.containsKey("prompt") ? item.get("prompt") : item.get("messages");
            longest = Math.max(longest, String.valueOf(prompt).length());
        }
        return longest;
    }

    /**
     * A GRPO, reward-model or other language-model job must fit {@code tropism.jobs.memory-budget}: its {@link TrainingMemory} estimate, from
     * the base model's stored shape (and for sampling methods the dataset's longest prompt), is refused with its parts otherwise.
     */
    private void checkMemory(Caller caller, BaseModel model, JobMethod method, DatasetInfo dataset,
            List<Violation> violations) {
        boolean estimated = method instanceof JobMethod.Grpo || method instanceof JobMethod.RewardModel
                || method instanceof JobMethod.LmAlignment l && l.config().sequencesPerUpdate() > 0;
        TrainingMemory.Shape shape = estimated && model.parameters() != null ? shape(model) : null;
        if (shape == null) {
            return;
        }
        TrainingMemory need;
        if (method instanceof JobMethod.Grpo g) {
            need = TrainingMemory.grpo(shape, g.config(), g.lora(), longestPrompt(caller, dataset) + PROMPT_TEMPLATE_TOKENS);
        } else if (method instanceof JobMethod.LmAlignment l) {
            long promptTokens = l.config().maxCompletionLength() > 0 ? longestPrompt(caller, dataset) + PROMPT_TEMPLATE_TOKENS
                    : 0;
            need = TrainingMemory.lm(shape, l.config(), l.lora(), promptTokens);
        } else {
            JobMethod.RewardModel r = (JobMethod.RewardModel) method;
            need = TrainingMemory.rewardModel(shape, r.config(), r.lora());
        }
        if (need.total() > memoryBudget.bytes()) {
            violations.add(new Violation("/model", "training model " + model.id() + " with these settings needs about "
                    + need.describe() + ", more than the memory budget of " + TrainingMemory.gib(memoryBudget.bytes())
                    + " (tropism.jobs.memory-budget); train LoRA adapters (method.lora), or lower prompts_per_step,"
                    + " num_generations or max_completion_length (batch_size or max_length for a reward model)"));
        }
    }

    /** Tokens a chat template or BOS may add around a prompt, for {@link #checkMemory}. */
    private static final long PROMPT_TEMPLATE_TOKENS = 32;

    /** A stored model's shape from its {@code model.json} (tiny-gpt) or {@code config.json} (HF); null if unknown. */
    private TrainingMemory.Shape shape(BaseModel model) {
        String fallback = "the run checks its memory when it opens";
        JsonNode tiny = storedJson(model.objectPrefix(), "model.json", fallback).path("config");
        JsonNode c = tiny.isObject() ? tiny : storedJson(model.objectPrefix(), "config.json", fallback);
        int vocab = c.path("vocab_size").asInt(0);
        int width = first(c, "n_embd", "hidden_size");
        int layers = first(c, "n_layer", "num_hidden_layers");
        int context = first(c, "block_size", "n_positions", "max_position_embeddings");
        return vocab > 0 && width > 0 && layers > 0 && context > 0
                ? new TrainingMemory.Shape(model.parameters(), vocab, width, layers, context) : null;
    }

    private static int first(JsonNode c, String... keys) {
        for (String k : keys) {
            if (c.path(k).isIntegralNumber()) {
                return c.get(k).asInt();
            }
        }
        return 0;
    }

    /** Whether a stored model is in Tropism's own format ({@code model.json}) rather than HuggingFace's. */
    private boolean isTropismFormat(String objectPrefix) {
        return !storedJson(objectPrefix, "model.json", "the run checks it when it opens").isMissingNode();
    }

    /**
     * A JSON file of a stored model ({@code file} under its object prefix: {@code models/<id>/} or a checkpoint's
     * {@code model/}); a missing node when it cannot be read.
     */
    private JsonNode storedJson(String objectPrefix, String file, String fallback) {
        String key = objectPrefix + file;
        try {
            Optional<InputStream> in = objects.get(key);
            if (in.isEmpty()) {
                return tools.jackson.databind.node.MissingNode.getInstance();
            }
            try (InputStream stream = in.get()) {
                return json.readTree(stream);
            }
        } catch (IOException | RuntimeException e) {
            log.warn("could not read {}; {}", key, fallback, e);
            return tools.jackson.databind.node.MissingNode.getInstance();
        }
    }

    /** Every line of a flow prompt set must name one of the model's classes in {@code prompt}. */
    private void checkClasses(Caller caller, String pointer, DatasetInfo dataset, List<String> classes,
            List<Violation> violations) {
        if (dataset == null) {
            return;
        }
        List<Integer> bad = new ArrayList<>();
        List<Map<String, Object>> items = datasets.readItems(caller, dataset.id());
        for (int i = 0; i < items.size(); i++) {
            Object prompt = items.get(i).get("prompt");
            if (!(prompt instanceof String name) || !classes.contains(name)) {
                bad.add(i + 1);
            }
        }
        if (!bad.isEmpty()) {
            int shown = Math.min(bad.size(), 10);
            violations.add(new Violation(pointer, "dataset " + dataset.id() + " has prompts that are not classes of the"
                    + " model, on line(s) " + bad.subList(0, shown).stream().map(String::valueOf)
                    .collect(java.util.stream.Collectors.joining(", "))
                    + (bad.size() > shown ? " and " + (bad.size() - shown) + " more" : "")
                    + "; each prompt must be one of: " + String.join(", ", classes)));
        }
    }

    private BaseModel model(Caller caller, String id, List<Violation> violations) {
        if (id == null) {
            violations.add(new Violation("/model", "is required"));
            return null;
        }
        Optional<BaseModel> model = models.find(id).filter(m -> m.teamId().equals(caller.requireTeam()));
        if (model.isEmpty()) {
            violations.add(new Violation("/model", "no model with id '" + id + "'"));
        }
        return model.orElse(null);
    }

    /** A pretraining's optional greedy evaluation: an eval prompt set and the reward spec scoring it. */
    public record EvalRefs(String evalDataset, String rewardSpec) {
    }

    /**
     * {@code reward_options.normalization} sets the method's {@code scale_rewards}; giving both is
     * ambiguous and rejected. Returns the method with the setting spelled out (as it is stored).
     */
    private static JsonNode withNormalization(JsonNode method, String type, String normalization, List<Violation> violations) {
        JsonNode hp = method.get(type);
        if (hp != null && hp.isObject() && hp.has("scale_rewards")) {
            violations.add(new Violation("/reward_options/normalization", "conflicts with /method/" + type
                    + "/scale_rewards; give only one"));
            return method;
        }
        if (hp != null && !hp.isNull() && !hp.isObject()) {
            return method; // reported by the method's own validation
        }
        tools.jackson.databind.node.ObjectNode copy = (tools.jackson.databind.node.ObjectNode) method.deepCopy();
        tools.jackson.databind.node.ObjectNode params = hp == null || hp.isNull() ? copy.putObject(type)
                : (tools.jackson.databind.node.ObjectNode) copy.get(type);
        params.put("scale_rewards", normalization);
        return copy;
    }

    /**
     * The monitor needs something to watch: a gold reward evaluated often enough, or a KL bound.
     *
     * @param evalInterval the method's {@code eval_interval}, null when its config did not bind
     * @param methodPointer where the method's hyperparameters are, e.g. {@code /method/grpo}
     */
    private static void checkMonitor(HackingMonitorConfig monitor, boolean gold, Integer evalInterval,
            String methodPointer, List<Violation> violations) {
        if (monitor == null) {
            return;
        }
        String p = "/reward_options/hacking_monitor";
        if (!gold && monitor.klBound() <= 0) {
            violations.add(new Violation(p, "has nothing to watch: give eval_reward_spec (proxy-vs-gold rule) or a "
                    + "positive kl_bound"));
        }
        if (gold && evalInterval != null) {
            if (evalInterval <= 0) {
                violations.add(new Violation(methodPointer + "/eval_interval", "must be positive: the hacking monitor "
                        + "compares the training reward with the gold reward of the evaluations"));
            } else if (monitor.window() < 2 * evalInterval) {
                violations.add(new Violation(p + "/window", "must span at least two evaluations (2 × eval_interval = "
                        + 2 * evalInterval + " steps), got " + monitor.window()));
            }
        }
    }

    private static void requireFields(String pointer, DatasetInfo dataset, RewardSpecInfo spec, List<Violation> violations) {
        if (dataset != null) {
            RewardSpecCatalog.requireFields(pointer, dataset.fields(), dataset.id(), spec, violations);
        }
    }

    /** Runs {@code action} once the current transaction commits (at once without one). */
    static void afterCommit(Runnable action) {
        if (TransactionSynchronizationManager.isSynchronizationActive()) {
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCommit() {
                    action.run();
                }
            });
        } else {
            action.run();
        }
    }
}
