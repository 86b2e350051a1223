package dev.tropism.engine.flowrl;

import java.util.Arrays;
import java.util.Optional;
import java.util.function.Function;

/**
 * The flow alignment methods, by their {@code method.type}. Each has the shared {@link FlowRlConfig} knobs and
 * optionally a record of its own ({@link #extraConfig()}), and is implemented in one file.
 */
public enum FlowMethodType {
    FLOW_GRPO("flow_grpo", null, null, extra -> new FlowGrpo()),
    DENSE_GRPO("dense_grpo", DenseGrpo.Config.class, DenseGrpo.Config.DEFAULT, extra -> new DenseGrpo((DenseGrpo.Config) extra)),
    TEMPFLOW_GRPO("tempflow_grpo", TempFlowGrpo.Config.class, TempFlowGrpo.Config.DEFAULT,
            extra -> new TempFlowGrpo((TempFlowGrpo.Config) extra)),
    TP_GRPO("tp_grpo", null, null, extra -> new TpGrpo()),
    GRPO_GUARD("grpo_guard", null, null, extra -> new GrpoGuard()),
    FLOW_DPO("flow_dpo", FlowDpo.Config.class, FlowDpo.Config.DEFAULT, extra -> new FlowDpo((FlowDpo.Config) extra)),
    FLOW_RWR("flow_rwr", FlowRwr.Config.class, FlowRwr.Config.DEFAULT, extra -> new FlowRwr((FlowRwr.Config) extra));

    private final String wireName;
    private final Class<? extends Record> extraConfig;
    private final Record extraDefaults;
    private final Function<Record, FlowMethod> factory;

    FlowMethodType(String wireName, Class<? extends Record> extraConfig, Record extraDefaults,
            Function<Record, FlowMethod> factory) {
        this.wireName = wireName;
        this.extraConfig = extraConfig;
        this.extraDefaults = extraDefaults;
        this.factory = factory;
    }

    public String wireName() {
        return wireName;
    }

    /** The method's own hyperparameter record (bound from the same JSON object as {@link FlowRlConfig}), or null. */
    public Class<? extends Record> extraConfig() {
        return extraConfig;
    }

    /** Defaults of {@link #extraConfig()}, or null. */
    public Record extraDefaults() {
        return extraDefaults;
    }

    FlowMethod create(Record extra) {
        return factory.apply(extra == null ? extraDefaults : extra);
    }

    public static Optional<FlowMethodType> of(String wireName) {
        return Arrays.stream(values()).filter(t -> t.wireName.equals(wireName)).findFirst();
    }
}
