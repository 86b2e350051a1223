package dev.tropism.models;

import dev.tropism.catalog.DatasetInfo;
import dev.tropism.catalog.DatasetPurpose;
import dev.tropism.engine.PolicyFamily;
import dev.tropism.jobs.JobService;
import dev.tropism.jobs.MethodConfigs;
import dev.tropism.teams.Caller;
import dev.tropism.web.ApiException;
import dev.tropism.web.Ids;
import dev.tropism.web.Violation;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Creates models by pretraining: a {@code training} model plus the job that trains it. */
@Service
public class ModelService {

    public static final String TINY_GPT = "tiny-gpt";

    private final ModelStore models;
    private final JobService jobs;

    public ModelService(ModelStore models, JobService jobs) {
        this.models = models;
        this.jobs = jobs;
    }

    @Transactional
    public ModelRecord create(Caller caller, CreateModelRequest request) {
        caller.requireTeam();
        List<Violation> violations = new ArrayList<>();
        if (request.name() == null || request.name().isBlank() || request.name().length() > 100) {
            violations.add(new Violation("/name", "is required, at most 100 characters"));
        }
        if (!TINY_GPT.equals(request.recipe())) {
            violations.add(new Violation("/recipe", "must be one of: " + TINY_GPT));
        }
        DatasetInfo dataset = jobs.dataset(caller, "/dataset", request.dataset(), true, DatasetPurpose.CORPUS, violations);
        MethodConfigs.Pretrain config = MethodConfigs.pretrain(request.hyperparameters(), "/hyperparameters", violations);
        JobService.EvalRefs eval = jobs.pretrainEval(caller, request.evalDataset(), request.rewardSpec(), violations);
        if (config != null && config.training().stopAtAccuracy() > 0 && request.evalDataset() == null) {
            violations.add(new Violation("/hyperparameters/stop_at_accuracy",
                    "needs eval_dataset and reward_spec to measure accuracy"));
        }
        if (!violations.isEmpty()) {
            throw ApiException.invalid(violations);
        }
        String modelId = Ids.newId("model_");
        String jobId = Ids.newId("job_");
        models.insert(new ModelRecord(0, modelId, caller.teamId(), request.name(), PolicyFamily.LANGUAGE_MODEL.wireName(),
                TINY_GPT, ModelRecord.TRAINING, null, jobId, null, ModelRecord.prefixOf(modelId),
                config.model().approxParameters(), Instant.now()));
        jobs.submitPretrain(caller.teamId(), jobId, modelId, dataset.id(), request.hyperparameters(),
                config.training().maxSteps(), request.seed(), eval);
        return models.find(modelId).orElseThrow();
    }
}
