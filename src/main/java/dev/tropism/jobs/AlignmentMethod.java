package dev.tropism.jobs;

import dev.tropism.catalog.DatasetPurpose;
import dev.tropism.engine.PolicyFamily;
import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The method types of {@code POST /v1/jobs}: what each trains on and what it produces. (Pretraining is
 * a job too, but it is submitted through {@code POST /v1/models}.)
 */
public enum AlignmentMethod {
    /** GRPO on a prompt set, scored by a reward spec; produces an aligned language model. */
    GRPO(MethodConfigs.GRPO, DatasetPurpose.PROMPTS, true, PolicyFamily.LANGUAGE_MODEL),
    /** Bradley–Terry training on a preference set; produces a reward model. No reward spec. */
    REWARD_MODEL(MethodConfigs.REWARD_MODEL, DatasetPurpose.PREFERENCES, false, PolicyFamily.REWARD_MODEL);

    private final String wireName;
    private final DatasetPurpose datasetPurpose;
    private final boolean usesRewardSpec;
    private final PolicyFamily produces;

    AlignmentMethod(String wireName, DatasetPurpose datasetPurpose, boolean usesRewardSpec, PolicyFamily produces) {
        this.wireName = wireName;
        this.datasetPurpose = datasetPurpose;
        this.usesRewardSpec = usesRewardSpec;
        this.produces = produces;
    }

    /** The {@code method.type} value, which also names the hyperparameter object. */
    public String wireName() {
        return wireName;
    }

    /** The purpose of {@code dataset} and {@code eval_dataset}. */
    public DatasetPurpose datasetPurpose() {
        return datasetPurpose;
    }

    /** Whether the job needs a {@code reward_spec} (and must not be given one otherwise). */
    public boolean usesRewardSpec() {
        return usesRewardSpec;
    }

    /** The family of the model the job registers (and of its checkpoint models). */
    public PolicyFamily produces() {
        return produces;
    }

    public static Optional<AlignmentMethod> of(String type) {
        return Arrays.stream(values()).filter(m -> m.wireName.equals(type)).findFirst();
    }

    /** "grpo, reward_model", for messages. */
    public static String wireNames() {
        return Arrays.stream(values()).map(AlignmentMethod::wireName).collect(Collectors.joining(", "));
    }
}
