package dev.tropism.models;

import dev.tropism.datasets.DatasetCatalog;
import dev.tropism.datasets.DatasetInfo;
import dev.tropism.datasets.DatasetPurpose;
import dev.tropism.engine.PolicyFamily;
import dev.tropism.jobs.JobDebug;
import dev.tropism.jobs.JobMethod;
import dev.tropism.jobs.JobService;
import dev.tropism.jobs.MethodConfigs;
import dev.tropism.rewards.RewardSpecCatalog;
import dev.tropism.rewards.RewardSpecInfo;
import dev.tropism.teams.Caller;
import dev.tropism.teams.Scope;
import dev.tropism.web.ApiException;
import dev.tropism.web.Ids;
import dev.tropism.web.Violation;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Creates models by pretraining: a {@code training} model plus the job that trains it. Recipes:
 * {@code tiny-gpt} (a language model on a corpus dataset) and {@code tiny-flow} (a flow-matching image model
 * on the Fashion-MNIST subset shipped with the service, with its two image classifiers).
 */
@Service
public class ModelService {

    public static final String TINY_GPT = MethodConfigs.TINY_GPT;
    public static final String TINY_FLOW = MethodConfigs.TINY_FLOW;

    private final ModelStore models;
    private final JobService jobs;
    private final DatasetCatalog datasets;
    private final RewardSpecCatalog rewardSpecs;
    private final ModelImportService imports;

    public ModelService(ModelStore models, JobService jobs, DatasetCatalog datasets, RewardSpecCatalog rewardSpecs,
            ModelImportService imports) {
        this.imports = imports;
        this.datasets = datasets;
        this.rewardSpecs = rewardSpecs;
        this.models = models;
        this.jobs = jobs;
    }

    /** What a validated request pretrains: the model row's family and size, and the job's inputs. */
    private record Plan(PolicyFamily family, long parameters, int totalSteps, String datasetId, JobService.EvalRefs eval) {
    }

    /**
     * {@code POST /v1/models} with {@code source}: only {@code "path"} comes as JSON (an upload is multipart), and
     * only {@code name} and {@code path} go with it.
     */
    public ModelRecord importModel(Caller caller, CreateModelRequest request) throws IOException {
        List<Violation> violations = new ArrayList<>();
        if (!"path".equals(request.source())) {
            violations.add(new Violation("/source", "must be \"path\" in a JSON request; to upload an archive, send"
                    + " multipart/form-data with the archive in part \"file\" and a \"name\" field"));
        }
        String why = "is not used by an import; leave it out";
        Map<String, Object> notForImports = new LinkedHashMap<>();
        notForImports.put("/recipe", request.recipe());
        notForImports.put("/dataset", request.dataset());
        notForImports.put("/hyperparameters", request.hyperparameters());
        notForImports.put("/seed", request.seed());
        notForImports.put("/eval_dataset", request.evalDataset());
        notForImports.put("/reward_spec", request.rewardSpec());
        notForImports.put("/debug", request.debug());
        notForImports.forEach((pointer, value) -> {
            if (value != null) {
                violations.add(new Violation(pointer, why));
            }
        });
        if (!violations.isEmpty()) {
            throw ApiException.invalid(violations);
        }
        return imports.importPath(caller, request.name(), request.path());
    }

    @Transactional
    public ModelRecord create(Caller caller, CreateModelRequest request) {
        caller.requireTeam();
        List<Violation> violations = new ArrayList<>();
        ModelImportService.checkName(request.name(), violations);
        JobDebug debug = JobDebug.parse(request.debug(), "/debug", violations);
        Plan plan;
        if (TINY_FLOW.equals(request.recipe())) {
            plan = tinyFlow(request, violations);
        } else {
            if (!TINY_GPT.equals(request.recipe())) {
                violations.add(new Violation("/recipe", "must be one of: " + TINY_GPT + ", " + TINY_FLOW));
            }
            plan = tinyGpt(caller, request, violations);
        }
        if (!violations.isEmpty()) {
            throw ApiException.invalid(violations);
        }
        // models:write admits the call; the job it queues spends the team's device time like any other job
        caller.requireScope(Scope.JOBS_WRITE, "Pretraining a model starts a training job");
        String modelId = Ids.newId("model_");
        String jobId = Ids.newId("job_");
        models.insert(ModelRecord.pretraining(modelId, caller.teamId(), request.name(), plan.family(), request.recipe(),
                jobId, plan.parameters()));
        jobs.submitPretrain(caller.teamId(), jobId, modelId, request.recipe(), plan.datasetId(),
                request.hyperparameters(), plan.totalSteps(), request.seed(), plan.eval(), debug);
        return models.find(modelId).orElseThrow();
    }

    private Plan tinyGpt(Caller caller, CreateModelRequest request, List<Violation> violations) {
        DatasetInfo dataset = datasets.find(caller, "/dataset", request.dataset(), true, DatasetPurpose.CORPUS, violations);
        JobMethod.Pretraining config = MethodConfigs.pretrain(request.hyperparameters(), "/hyperparameters", violations);
        JobService.EvalRefs eval = pretrainEval(caller, request.evalDataset(), request.rewardSpec(), violations);
        if (config != null && config.training().stopAtAccuracy() > 0 && request.evalDataset() == null) {
            violations.add(new Violation("/hyperparameters/stop_at_accuracy",
                    "needs eval_dataset and reward_spec to measure accuracy"));
        }
        return config == null || dataset == null ? null : new Plan(PolicyFamily.LANGUAGE_MODEL,
                config.model().approxParameters(), config.training().maxSteps(), dataset.id(), eval);
    }

    /** {@code tiny-flow} trains on shipped data and measures itself with its own classifiers: no datasets, no spec. */
    private static Plan tinyFlow(CreateModelRequest request, List<Violation> violations) {
        String why = "is not used by recipe " + TINY_FLOW + ", which trains on the Fashion-MNIST subset shipped with the"
                + " service and evaluates with its own classifiers; leave it out";
        if (request.dataset() != null) {
            violations.add(new Violation("/dataset", why));
        }
        if (request.evalDataset() != null) {
            violations.add(new Violation("/eval_dataset", why));
        }
        if (request.rewardSpec() != null) {
            violations.add(new Violation("/reward_spec", why));
        }
        JobMethod.FlowPretraining config = MethodConfigs.flowPretrain(request.hyperparameters(), "/hyperparameters",
                violations);
        return config == null ? null : new Plan(PolicyFamily.FLOW_MATCHING, config.parameters(),
                config.training().maxSteps(), null, new JobService.EvalRefs(null, null));
    }

    /**
     * Validates a pretraining's optional {@code eval_dataset} + {@code reward_spec} (both or neither), with the same
     * rules as an alignment job's.
     */
    private JobService.EvalRefs pretrainEval(Caller caller, String evalDatasetId, String rewardSpecId,
            List<Violation> violations) {
        if (evalDatasetId == null && rewardSpecId == null) {
            return new JobService.EvalRefs(null, null);
        }
        DatasetInfo eval = datasets.find(caller, "/eval_dataset", evalDatasetId, true, DatasetPurpose.PROMPTS, violations);
        RewardSpecInfo spec = rewardSpecs.find(caller, "/reward_spec", rewardSpecId, violations);
        if (eval != null) {
            RewardSpecCatalog.requireFields("/eval_dataset", eval.fields(), eval.id(), spec, violations);
        }
        return new JobService.EvalRefs(eval == null ? null : eval.id(), spec == null ? null : spec.id());
    }
}
