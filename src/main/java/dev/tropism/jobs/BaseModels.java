package dev.tropism.jobs;

import dev.tropism.engine.PolicyFamily;
import java.util.Optional;

/**
 * The models that jobs train from and produce, as the jobs module needs to see them. The models module implements
 * this port and listens to the jobs' events ({@link JobSucceeded}, {@link CheckpointSaved}, {@link JobFailed},
 * {@link JobCancelled}) to register and update models, so that {@code jobs} never depends on {@code models}.
 */
public interface BaseModels {

    /** The model {@code id} of any team; empty when there is none. */
    Optional<BaseModel> find(String id);

    /** Where the exported model {@code modelId} lives in object storage, e.g. {@code models/<id>/}. */
    String objectPrefix(String modelId);

    /**
     * A model as a job sees it.
     *
     * @param family its {@code PolicyFamily} wire name, or another family ({@code image-classifier})
     * @param ready whether it may be trained from (its status is {@code ready})
     * @param status its status, for messages
     * @param objectPrefix where its exported files live in object storage
     * @param parameters its parameter count, null when unknown
     */
    record BaseModel(String id, String teamId, String name, PolicyFamily family, boolean ready, String status,
            String objectPrefix, Long parameters) {
    }
}
