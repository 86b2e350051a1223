package dev.tropism.models;

import dev.tropism.jobs.BaseModels;
import dev.tropism.jobs.CheckpointSaved;
import dev.tropism.jobs.JobCancelled;
import dev.tropism.jobs.JobFailed;
import dev.tropism.jobs.JobSucceeded;
import dev.tropism.web.Ids;
import java.util.Optional;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * The models' side of the jobs module: answers its {@link BaseModels} port, and registers the models that jobs
 * produce from their events. The listeners are synchronous, so they run inside the transaction that publishes the
 * event: a job's new state and its models commit (or roll back) together, and no crash can fall between them. Every
 * model it makes ready is announced as {@link ModelReady} in that same transaction.
 */
@Component
class ModelRegistrar implements BaseModels {

    private final ModelStore models;
    private final ApplicationEventPublisher publisher;

    ModelRegistrar(ModelStore models, ApplicationEventPublisher publisher) {
        this.models = models;
        this.publisher = publisher;
    }

    @Override
    public Optional<BaseModel> find(String id) {
        return models.find(id).map(m -> new BaseModel(m.id(), m.teamId(), m.name(), m.family(),
                m.status() == ModelStatus.READY, m.status().wire(), m.objectPrefix(), m.parameters()));
    }

    @Override
    public String objectPrefix(String modelId) {
        return ModelRecord.prefixOf(modelId);
    }

    /**
     * A pretraining job's model becomes ready; an alignment job's model is registered as
     * {@code <base name>:<suffix or job id>}, child of its base. Companions become {@code <name>/<suffix>}.
     */
    @EventListener
    void on(JobSucceeded e) {
        ModelRecord base = models.find(e.baseModel()).orElseThrow();
        ModelRecord main; // the exported model, parent of the companions
        if (e.trainedItsOwnModel()) {
            models.markReady(e.resultModel(), e.checkpoint());
            main = models.find(e.resultModel()).orElseThrow();
        } else {
            main = ModelRecord.derived(e.resultModel(), base, alignedName(base, e.suffix(), e.jobId()), e.family(),
                    e.jobId(), e.checkpoint(), e.resultPrefix(), base.parameters());
            models.insert(main);
        }
        publisher.publishEvent(ModelReady.of(main, ModelReady.Source.JOB));
        for (JobSucceeded.Companion c : e.companions()) {
            ModelRecord companion = ModelRecord.derived(Ids.newId("model_"), main, main.name() + "/" + c.suffix(),
                    c.family(), e.jobId(), e.checkpoint(), main.objectPrefix() + c.subdir() + "/", c.parameters());
            models.insert(companion);
            publisher.publishEvent(ModelReady.of(companion, ModelReady.Source.COMPANION));
        }
    }

    /**
     * Every checkpoint of an alignment job is also a model ({@code <aligned name>@<step>}), so any step can be
     * evaluated, served or aligned further. Its weights are the checkpoint's {@code model/} directory.
     */
    @EventListener
    void on(CheckpointSaved e) {
        ModelRecord base = models.find(e.baseModel()).orElseThrow();
        ModelRecord checkpoint = ModelRecord.derived(Ids.newId("model_"), base,
                alignedName(base, e.suffix(), e.jobId()) + "@" + e.step(), e.family(), e.jobId(), e.checkpoint(),
                e.modelPrefix(), base.parameters());
        models.insert(checkpoint);
        publisher.publishEvent(ModelReady.of(checkpoint, ModelReady.Source.CHECKPOINT));
    }

    @EventListener
    void on(JobFailed e) {
        failProduced(e.model(), e.resultModel());
    }

    @EventListener
    void on(JobCancelled e) {
        failProduced(e.model(), e.resultModel());
    }

    /** The one place where a job's end fails the model it was producing (a pretraining job's own model). */
    private void failProduced(String model, String resultModel) {
        if (model.equals(resultModel)) {
            models.markFailed(model);
        }
    }

    /** {@code <base name>:<suffix or job id>}, an aligned model's name. */
    private static String alignedName(ModelRecord base, String suffix, String jobId) {
        return base.name() + ":" + (suffix != null ? suffix : jobId);
    }
}
