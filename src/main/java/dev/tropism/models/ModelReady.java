package dev.tropism.models;

import dev.tropism.engine.PolicyFamily;

/**
 * A model became {@code ready}. Published inside the transaction that marks it ready or inserts it ready, so a
 * synchronous listener commits (or rolls back) with it.
 *
 * @param parent the model it was derived from, null for a pretrained or imported one
 * @param job the job that produced it, null for an import
 * @param checkpoint the checkpoint its weights come from, null for an import
 * @param source how it became ready: {@link Source}
 */
public record ModelReady(String modelId, String teamId, String name, PolicyFamily family, String parent, String job,
        String checkpoint, Source source) {

    /** Where a ready model comes from. */
    public enum Source {
        /** A pretraining job's own model, or the model an alignment or reward-model job exported. */
        JOB,
        /** A checkpoint of an alignment job, listed as {@code <aligned name>@<step>}. */
        CHECKPOINT,
        /** A model exported beside a job's main model (a {@code tiny-flow} model's classifiers). */
        COMPANION,
        /** A HuggingFace model imported from an upload or a server path. */
        IMPORT;

        public String wire() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    static ModelReady of(ModelRecord m, Source source) {
        return new ModelReady(m.id(), m.teamId(), m.name(), m.family(), m.parent(), m.job(), m.checkpoint(), source);
    }
}
