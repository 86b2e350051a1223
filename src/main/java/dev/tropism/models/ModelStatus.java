package dev.tropism.models;

import java.util.Locale;

/** Where a model is in its life: being trained or imported, usable, or failed. Stored and served by its wire name. */
public enum ModelStatus {
    /** Its pretraining job has not finished. */
    TRAINING,
    /** Its files are being copied into object storage after an import passed its checks. */
    IMPORTING,
    /** Its weights are exported: it can be served, evaluated and aligned further. */
    READY,
    /** The job that was producing it failed or was cancelled, or its import failed. */
    FAILED,
    /**
     * Its files were deleted: a checkpoint's model whose checkpoint its job's retention removed. Kept for its lineage
     * (its children and evaluations still name it); it cannot be served, evaluated or trained from.
     */
    DELETED;

    /** {@code training}, {@code importing}, {@code ready}, {@code failed} or {@code deleted}. */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The wire name, so that messages read "model … is training". */
    @Override
    public String toString() {
        return wire();
    }

    /** The status of a wire name (as stored in {@code models.status}). */
    public static ModelStatus of(String wire) {
        return valueOf(wire.toUpperCase(Locale.ROOT));
    }
}
