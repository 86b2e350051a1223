package dev.tropism.jobs;

import dev.tropism.datasets.DatasetPurpose;
import dev.tropism.engine.PolicyFamily;
import dev.tropism.engine.align.LmMethodType;
import dev.tropism.engine.flowrl.FlowMethodType;
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
    REWARD_MODEL(MethodConfigs.REWARD_MODEL, DatasetPurpose.PREFERENCES, false, PolicyFamily.REWARD_MODEL),
    /* The further language-model methods: each trains a language model and produces one (see LmMethodType). */
    RLOO(LmMethodType.RLOO),
    SFT(LmMethodType.SFT),
    PPO(LmMethodType.PPO),
    PRIME(LmMethodType.PRIME),
    SUPERHF(LmMethodType.SUPERHF),
    GFLOWNET(LmMethodType.GFLOWNET),
    DPO(LmMethodType.DPO),
    ONLINE_DPO(LmMethodType.ONLINE_DPO),
    /*
     * The flow alignment methods: each trains a flow-matching model on a prompt set of class names, scored
     * (as images) by a reward spec, and produces an aligned flow-matching model.
     */
    FLOW_GRPO(FlowMethodType.FLOW_GRPO),
    DENSE_GRPO(FlowMethodType.DENSE_GRPO),
    TEMPFLOW_GRPO(FlowMethodType.TEMPFLOW_GRPO),
    TP_GRPO(FlowMethodType.TP_GRPO),
    GRPO_GUARD(FlowMethodType.GRPO_GUARD),
    FLOW_DPO(FlowMethodType.FLOW_DPO),
    FLOW_RWR(FlowMethodType.FLOW_RWR);

    private final String wireName;
    private final DatasetPurpose datasetPurpose;
    private final boolean usesRewardSpec;
    private final PolicyFamily produces;
    private final PolicyFamily trains;
    private final FlowMethodType flowType;
    private final LmMethodType lmType;

    AlignmentMethod(String wireName, DatasetPurpose datasetPurpose, boolean usesRewardSpec, PolicyFamily produces) {
        this.wireName = wireName;
        this.datasetPurpose = datasetPurpose;
        this.usesRewardSpec = usesRewardSpec;
        this.produces = produces;
        this.trains = PolicyFamily.LANGUAGE_MODEL;
        this.flowType = null;
        this.lmType = null;
    }

    AlignmentMethod(LmMethodType lmType) {
        this.wireName = lmType.wireName();
        this.datasetPurpose = DatasetPurpose.valueOf(lmType.data().name());
        this.usesRewardSpec = lmType.usesReward();
        this.produces = PolicyFamily.LANGUAGE_MODEL;
        this.trains = PolicyFamily.LANGUAGE_MODEL;
        this.flowType = null;
        this.lmType = lmType;
    }

    AlignmentMethod(FlowMethodType flowType) {
        this.wireName = flowType.wireName();
        this.datasetPurpose = DatasetPurpose.PROMPTS;
        this.usesRewardSpec = true;
        this.produces = PolicyFamily.FLOW_MATCHING;
        this.trains = PolicyFamily.FLOW_MATCHING;
        this.flowType = flowType;
        this.lmType = null;
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

    /** The family the job's {@code model} must have. */
    public PolicyFamily trains() {
        return trains;
    }

    /** The engine's flow method, or null for the language-model methods. */
    public FlowMethodType flowType() {
        return flowType;
    }

    /** The engine's language-model method of {@link LmMethodType}, or null for GRPO, reward models and flow methods. */
    public LmMethodType lmType() {
        return lmType;
    }

    /** Whether the method trains a language model and takes {@code method.lora}. */
    public boolean takesLora() {
        return trains == PolicyFamily.LANGUAGE_MODEL;
    }

    public static Optional<AlignmentMethod> of(String type) {
        return Arrays.stream(values()).filter(m -> m.wireName.equals(type)).findFirst();
    }

    /** "grpo, reward_model, flow_grpo, …", for messages. */
    public static String wireNames() {
        return Arrays.stream(values()).map(AlignmentMethod::wireName).collect(Collectors.joining(", "));
    }
}
