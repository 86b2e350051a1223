package dev.tropism.models;

import dev.tropism.engine.PolicyFamily;
import java.time.Instant;
import java.util.Optional;

/**
 * A row of {@code models}: a pretrained or aligned model of one team.
 *
 * @param status training, ready or failed
 * @param parent the base model an aligned model was trained from, null for pretrained ones
 * @param job the job that produced (or is producing) the model
 * @param checkpoint the checkpoint the exported weights come from
 * @param objectPrefix where the exported model lives in object storage ({@code models/<id>/})
 * @param sizeBytes the bytes under {@code objectPrefix}; null while unknown (models registered before sizes were
 *        recorded). A checkpoint's model lies inside its checkpoint, a companion inside its main model: their bytes are
 *        counted once, with what holds them ({@link ModelStore#storedBytes})
 */
public record ModelRecord(
        long seq,
        String id,
        String teamId,
        String name,
        PolicyFamily family,
        String recipe,
        ModelStatus status,
        String parent,
        String job,
        String checkpoint,
        String objectPrefix,
        Long parameters,
        Instant createdAt,
        Long sizeBytes) {

    /** A model whose size is not known (yet). */
    public ModelRecord(long seq, String id, String teamId, String name, PolicyFamily family, String recipe,
            ModelStatus status, String parent, String job, String checkpoint, String objectPrefix, Long parameters,
            Instant createdAt) {
        this(seq, id, teamId, name, family, recipe, status, parent, job, checkpoint, objectPrefix, parameters, createdAt,
                null);
    }

    public static final ModelStatus TRAINING = ModelStatus.TRAINING;
    public static final ModelStatus READY = ModelStatus.READY;
    public static final ModelStatus FAILED = ModelStatus.FAILED;

    /** Why this model cannot be used as a {@code family} model (another family, not ready), or empty. */
    public Optional<String> unusableAs(PolicyFamily family) {
        if (family != this.family) {
            return Optional.of("model " + id + " is a " + this.family + ", not a " + family);
        }
        if (!READY.equals(status)) {
            return Optional.of("model " + id + " is " + status + "; it must be ready");
        }
        return Optional.empty();
    }

    public static String prefixOf(String modelId) {
        return "models/" + modelId + "/";
    }

    /** A new model being pretrained by {@code job} (status {@code training}), stored under {@link #prefixOf}. */
    public static ModelRecord pretraining(String id, String teamId, String name, PolicyFamily family, String recipe,
            String job, Long parameters) {
        return new ModelRecord(0, id, teamId, name, family, recipe, TRAINING, null, job, null, prefixOf(id), parameters,
                Instant.now());
    }

    /**
     * A ready model that {@code job} derived from {@code parent} (an aligned model, a checkpoint's model, or a
     * companion exported beside a model), whose {@code sizeBytes} of files live under {@code objectPrefix}.
     */
    public static ModelRecord derived(String id, ModelRecord parent, String name, PolicyFamily family, String job,
            String checkpoint, String objectPrefix, Long parameters, long sizeBytes) {
        return new ModelRecord(0, id, parent.teamId(), name, family, parent.recipe(), READY, parent.id(), job, checkpoint,
                objectPrefix, parameters, Instant.now(), sizeBytes);
    }

    /** Whether the model owns its prefix ({@code models/<id>/}), rather than lying inside a checkpoint or another model. */
    public boolean ownsItsFiles() {
        return objectPrefix.equals(prefixOf(id));
    }
}
