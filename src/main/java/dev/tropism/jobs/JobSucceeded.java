package dev.tropism.jobs;

import dev.tropism.engine.PolicyFamily;
import java.util.List;

/**
 * A job finished and exported its model. Published inside the transaction that marks the job succeeded; the models
 * module registers the model in that same transaction (synchronous listener).
 *
 * @param baseModel the job's {@code model}: the base of an alignment job, or the model a pretraining job trains
 * @param resultModel the exported model's id; equal to {@code baseModel} when the job trained its own model
 * @param resultPrefix where the exported model was uploaded
 * @param family the exported model's family (for an alignment job, what its method produces)
 * @param suffix the job's {@code suffix}, null when none
 * @param checkpoint the checkpoint the exported weights come from
 * @param companions models exported beside the main one, in sub-directories of {@code resultPrefix}
 */
public record JobSucceeded(String jobId, String teamId, String baseModel, String resultModel, String resultPrefix,
        PolicyFamily family, String suffix, String checkpoint, List<Companion> companions) {

    /** Whether the job trained the model it was created for (pretraining) rather than a new one (alignment). */
    public boolean trainedItsOwnModel() {
        return baseModel.equals(resultModel);
    }

    /**
     * A model exported beside the main one (the {@code tiny-flow} recipe's classifiers).
     *
     * @param suffix appended to the main model's name ({@code <name>/<suffix>})
     * @param subdir its directory relative to the main model's
     */
    public record Companion(String suffix, PolicyFamily family, String subdir, long parameters) {
    }
}
