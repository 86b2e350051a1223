package dev.tropism.models;

import dev.tropism.jobs.BaseModels;
import dev.tropism.jobs.Checkpoint;
import dev.tropism.jobs.CheckpointModels;
import dev.tropism.jobs.CheckpointSaved;
import dev.tropism.jobs.JobCancelled;
import dev.tropism.jobs.JobFailed;
import dev.tropism.jobs.JobSucceeded;
import dev.tropism.storage.Artifacts;
import dev.tropism.web.Ids;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * The models' side of the jobs module: answers its {@link BaseModels} and {@link CheckpointModels} ports, and registers
 * the models that jobs produce from their events, with the bytes each stores. The listeners are synchronous, so they
 * run inside the transaction that publishes the event: a job's new state and its models commit (or roll back)
 * together, and no crash can fall between them. Every model it makes ready is announced as {@link ModelReady} in that
 * same transaction.
 */
@Component
class ModelRegistrar implements BaseModels, CheckpointModels {

    private final ModelStore models;
    private final ApplicationEventPublisher publisher;
    private final Artifacts artifacts;

    ModelRegistrar(ModelStore models, ApplicationEventPublisher publisher, Artifacts artifacts) {
        this.models = models;
        this.publisher = publisher;
        this.artifacts = artifacts;
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
            models.setSize(e.resultModel(), sizeOf(e.resultPrefix()));
            main = models.find(e.resultModel()).orElseThrow();
        } else {
            main = ModelRecord.derived(e.resultModel(), base, alignedName(base, e.suffix(), e.jobId()), e.family(),
                    e.jobId(), e.checkpoint(), e.resultPrefix(), base.parameters(), sizeOf(e.resultPrefix()));
            models.insert(main);
        }
        publisher.publishEvent(ModelReady.of(main, ModelReady.Source.JOB));
        for (JobSucceeded.Companion c : e.companions()) {
            ModelRecord companion = ModelRecord.derived(Ids.newId("model_"), main, main.name() + "/" + c.suffix(),
                    c.family(), e.jobId(), e.checkpoint(), main.objectPrefix() + c.subdir() + "/", c.parameters(),
                    sizeOf(main.objectPrefix() + c.subdir() + "/"));
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
                e.modelPrefix(), base.parameters(), sizeOf(e.modelPrefix()));
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

    /** The models whose files are the checkpoint's own (under its prefix): its {@code @step} model. */
    @Override
    public List<String> modelsOf(Checkpoint checkpoint) {
        return own(checkpoint).stream().map(ModelRecord::id).toList();
    }

    @Override
    public List<String> lockModelsOf(Checkpoint checkpoint) {
        return models.lock(modelsOf(checkpoint));
    }

    @Override
    public Optional<String> referencedBy(Checkpoint checkpoint) {
        List<ModelRecord> all = models.byCheckpoint(checkpoint.id());
        Optional<String> exported = all.stream()
                .filter(m -> !m.objectPrefix().startsWith(checkpoint.objectPrefix()) && m.status() != ModelStatus.DELETED)
                .findFirst().map(m -> "model " + m.id() + " was exported from it");
        if (exported.isPresent()) {
            return exported;
        }
        return models.children(modelsOf(checkpoint)).stream().findFirst()
                .map(m -> "model " + m.id() + " was trained from its model " + m.parent());
    }

    @Override
    public void markDeleted(Checkpoint checkpoint) {
        models.markDeleted(modelsOf(checkpoint));
    }

    private List<ModelRecord> own(Checkpoint checkpoint) {
        return models.byCheckpoint(checkpoint.id()).stream()
                .filter(m -> m.objectPrefix().startsWith(checkpoint.objectPrefix())).toList();
    }

    private long sizeOf(String prefix) {
        try {
            return artifacts.sizeOf(prefix);
        } catch (IOException e) {
            throw new UncheckedIOException("could not list " + prefix, e);
        }
    }

    /** {@code <base name>:<suffix or job id>}, an aligned model's name. */
    private static String alignedName(ModelRecord base, String suffix, String jobId) {
        return base.name() + ":" + (suffix != null ? suffix : jobId);
    }
}
