package dev.tropism.engine.align;

import dev.tropism.engine.RunOptions;
import dev.tropism.engine.TrainingRun;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

/**
 * The language-model methods that share {@link LmAlignSpec}, by their {@code method.type}: each is one run class with
 * one config record, and says what data it trains on and whether a reward spec scores its samples. (GRPO predates
 * this table and has its own spec, {@code GrpoSpec}.)
 */
public enum LmMethodType {
    /** REINFORCE with the leave-one-out baseline (Ahmadian et al. 2024). */
    RLOO("rloo", RlooRun.Config.class, RlooRun.Config.DEFAULT, Data.PROMPTS, true, RlooRun::new),
    /** Supervised fine-tuning on completions or assistant turns, with packing and NEFTune (TRL's SFTTrainer). */
    SFT("sft", SftRun.Config.class, SftRun.Config.DEFAULT, Data.SFT, false, SftRun::new),
    /** PPO with a value head, GAE and a per-token KL penalty, as RLHF uses it (Ziegler et al. 2019; Ouyang et al. 2022). */
    PPO("ppo", PpoRun.Config.class, PpoRun.Config.DEFAULT, Data.PROMPTS, true, PpoRun::new),
    /** Process reinforcement through implicit rewards: an online implicit PRM's dense rewards (Cui et al. 2025). */
    PRIME("prime", PrimeRun.Config.class, PrimeRun.Config.DEFAULT, Data.PROMPTS, true, PrimeRun::new),
    /** Supervised updates on the best of N samples with a KL prior (Mukobi et al. 2023). */
    SUPERHF("superhf", SuperHfRun.Config.class, SuperHfRun.Config.DEFAULT, Data.PROMPTS, true, SuperHfRun::new),
    /** GFlowNet fine-tuning by trajectory or subtrajectory balance (Hu et al. 2024). */
    GFLOWNET("gflownet", GflowNetRun.Config.class, GflowNetRun.Config.DEFAULT, Data.PROMPTS, true, GflowNetRun::new),
    /** Direct Preference Optimization and its IPO, hinge and robust losses (Rafailov et al. 2023). */
    DPO("dpo", DpoRun.Config.class, DpoRun.Config.DEFAULT, Data.PREFERENCES, false, DpoRun::new),
    /** DPO on best/worst pairs of the policy's own samples ranked by the reward (Guo et al. 2024). */
    ONLINE_DPO("online_dpo", OnlineDpoRun.Config.class, OnlineDpoRun.Config.DEFAULT, Data.PROMPTS, true,
            OnlineDpoRun::new);

    /** What a method's dataset holds: the purposes of the service's datasets. */
    public enum Data {
        /** {@code {"prompt", ...}} items scored by a reward spec. */
        PROMPTS,
        /** {@code {"prompt", "chosen", "rejected"}} pairs. */
        PREFERENCES,
        /** {@code {"prompt", "completion"}} or {@code {"messages": [...]}} demonstrations. */
        SFT
    }

    /** Opens a method's run. */
    @FunctionalInterface
    interface Opener {
        TrainingRun open(LmAlignSpec spec, Path checkpoint, RunOptions options) throws IOException;
    }

    private final String wireName;
    private final Class<? extends Record> configClass;
    private final LmMethodConfig defaults;
    private final Data data;
    private final boolean usesReward;
    private final Opener opener;

    <C extends Record & LmMethodConfig> LmMethodType(String wireName, Class<C> configClass, C defaults, Data data,
            boolean usesReward, Opener opener) {
        this.wireName = wireName;
        this.configClass = configClass;
        this.defaults = defaults;
        this.data = data;
        this.usesReward = usesReward;
        this.opener = opener;
    }

    /** The {@code method.type} value, which also names the hyperparameter object. */
    public String wireName() {
        return wireName;
    }

    /** The method's hyperparameter record; it implements {@link LmMethodConfig}. */
    public Class<? extends Record> configClass() {
        return configClass;
    }

    /** The record's defaults. */
    public Record defaults() {
        return (Record) defaults;
    }

    /** What {@code dataset} and {@code eval_dataset} hold. */
    public Data data() {
        return data;
    }

    /** Whether the method samples completions scored by a reward spec (required then, refused otherwise). */
    public boolean usesReward() {
        return usesReward;
    }

    TrainingRun open(LmAlignSpec spec, Path checkpoint, RunOptions options) throws IOException {
        return opener.open(spec, checkpoint, options);
    }

    public static Optional<LmMethodType> of(String wireName) {
        return Arrays.stream(values()).filter(t -> t.wireName.equals(wireName)).findFirst();
    }
}
