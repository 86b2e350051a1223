package dev.tropism.jobs;

import dev.tropism.engine.ConfigException;
import dev.tropism.engine.align.LmMethodConfig;
import dev.tropism.engine.align.LmMethodType;
import dev.tropism.engine.flow.FlowNetConfig;
import dev.tropism.engine.flow.FlowPretrainConfig;
import dev.tropism.engine.flow.FlowPretrainSpec;
import dev.tropism.engine.flowrl.FlowMethodType;
import dev.tropism.engine.flowrl.FlowRlConfig;
import dev.tropism.engine.hf.LoraConfig;
import dev.tropism.engine.lm.GptConfig;
import dev.tropism.engine.lm.PretrainConfig;
import dev.tropism.engine.rl.GrpoConfig;
import dev.tropism.engine.rm.RewardModelConfig;
import dev.tropism.web.Violation;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.IntNode;

/**
 * Binds a method's hyperparameter object over its config records' defaults, collecting every violation at its
 * JSON pointer. {@link JobMethod} uses it at submission and again when a stored job executes or resumes.
 */
public final class MethodConfigs {

    public static final String GRPO = "grpo";
    public static final String PRETRAIN = "pretrain";
    public static final String REWARD_MODEL = "reward_model";
    /** Key of a stored pretraining method naming its recipe; absent in jobs stored before there were two. */
    public static final String RECIPE = "recipe";
    public static final String TINY_GPT = "tiny-gpt";
    public static final String TINY_FLOW = "tiny-flow";

    private MethodConfigs() {
    }

    /** GRPO hyperparameters from {@code node} (null or an object) over {@link GrpoConfig#DEFAULT}. */
    public static GrpoConfig grpo(JsonNode node, String pointer, List<Violation> violations) {
        return bindOne(GrpoConfig.class, GrpoConfig.DEFAULT, GrpoConfig.DEFAULT.warmupSteps(), node, pointer, violations);
    }

    /** The {@code method.lora} keys, with PEFT's {@code LoraConfig} names. */
    public static final List<String> LORA_KEYS = List.of("r", "lora_alpha", "lora_dropout", "target_modules");
    /** Shorter names accepted for the same knobs, by PEFT name: {@code rank}, {@code alpha}, {@code dropout}. */
    private static final Map<String, String> LORA_ALIASES = Map.of("r", "rank", "lora_alpha", "alpha",
            "lora_dropout", "dropout");

    /**
     * {@code method.lora}: low-rank adapters instead of full fine-tuning. PEFT's names: {@code r} (default 8),
     * {@code lora_alpha} (default 16), {@code lora_dropout} (0 only), {@code target_modules} (default: the
     * architecture's attention projections); {@code rank}, {@code alpha} and {@code dropout} are accepted for the
     * first three (one name per knob). Null when absent.
     */
    public static LoraConfig lora(JsonNode node, String pointer, List<Violation> violations) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return null;
        }
        Map<String, JsonNode> given = fields(node, pointer, violations);
        if (given == null) {
            return null;
        }
        List<String> known = new ArrayList<>(LORA_KEYS);
        known.addAll(LORA_ALIASES.values());
        unknownKeys(given, known, List.of(), pointer, violations);
        int before = violations.size();
        String rKey = loraKey(given, "r", pointer, violations);
        String alphaKey = loraKey(given, "lora_alpha", pointer, violations);
        String dropoutKey = loraKey(given, "lora_dropout", pointer, violations);
        int r = given.containsKey(rKey) ? intField(given.get(rKey), pointer + "/" + rKey, violations) : 8;
        double alpha = given.containsKey(alphaKey) ? numberField(given.get(alphaKey), pointer + "/" + alphaKey,
                violations) : 16;
        double dropout = given.containsKey(dropoutKey) ? numberField(given.get(dropoutKey),
                pointer + "/" + dropoutKey, violations) : 0;
        List<String> targets = new ArrayList<>();
        JsonNode t = given.get("target_modules");
        if (t != null && !t.isNull()) {
            if (!t.isArray()) {
                violations.add(new Violation(pointer + "/target_modules", "must be an array of module names"));
            } else {
                for (int i = 0; i < t.size(); i++) {
                    if (!t.get(i).isString() || t.get(i).asString().isBlank()) {
                        violations.add(new Violation(pointer + "/target_modules/" + i, "must be a module name"));
                    } else {
                        targets.add(t.get(i).asString());
                    }
                }
            }
        }
        if (violations.size() > before) {
            return null;
        }
        try {
            return new LoraConfig(r, alpha, dropout, targets);
        } catch (ConfigException e) {
            String key = switch (e.field()) {
                case "rank" -> rKey;
                case "alpha" -> alphaKey;
                case "dropout" -> dropoutKey;
                default -> e.field();
            };
            violations.add(new Violation(pointer + "/" + key, e.reason()));
            return null;
        }
    }

    /** The name under which knob {@code peft} was sent: its PEFT name or its alias; both at once is a violation. */
    private static String loraKey(Map<String, JsonNode> given, String peft, String pointer, List<Violation> violations) {
        String alias = LORA_ALIASES.get(peft);
        if (given.containsKey(peft) && given.containsKey(alias)) {
            violations.add(new Violation(pointer + "/" + alias, "is the same knob as " + peft + "; give one of them"));
        }
        return given.containsKey(alias) ? alias : peft;
    }

    private static int intField(JsonNode v, String pointer, List<Violation> violations) {
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            violations.add(new Violation(pointer, "must be an integer"));
            return 0;
        }
        return v.asInt();
    }

    private static double numberField(JsonNode v, String pointer, List<Violation> violations) {
        if (!v.isNumber()) {
            violations.add(new Violation(pointer, "must be a number"));
            return 0;
        }
        return v.asDouble();
    }

    /** Reward-model hyperparameters from {@code node} (null or an object) over {@link RewardModelConfig#DEFAULT}. */
    public static RewardModelConfig rewardModel(JsonNode node, String pointer, List<Violation> violations) {
        return bindOne(RewardModelConfig.class, RewardModelConfig.DEFAULT, RewardModelConfig.DEFAULT.warmupSteps(), node,
                pointer, violations);
    }

    /** A method whose hyperparameters are exactly the components of one config record. */
    private static <R extends Record> R bindOne(Class<R> type, R defaults, int defaultWarmup, JsonNode node,
            String pointer, List<Violation> violations) {
        Map<String, JsonNode> given = fields(node, pointer, violations);
        if (given == null) {
            return null;
        }
        unknownKeys(given, HyperParameters.keys(type), List.of(), pointer, violations);
        capDefaultWarmup(given, defaultWarmup);
        return HyperParameters.bind(type, defaults, given, pointer, List.of(), violations);
    }

    /**
     * Pretraining hyperparameters: {@code n_layer, n_embd, n_head, block_size} shape the model (its
     * vocabulary comes from the tokenizer), every other key is a {@link PretrainConfig} knob.
     */
    public static JobMethod.Pretraining pretrain(JsonNode node, String pointer, List<Violation> violations) {
        Map<String, JsonNode> given = fields(node, pointer, violations);
        if (given == null) {
            return null;
        }
        List<String> fixed = List.of("vocab_size");
        List<String> known = new ArrayList<>(HyperParameters.keys(GptConfig.class));
        known.addAll(HyperParameters.keys(PretrainConfig.class));
        unknownKeys(given, known, fixed, pointer, violations);
        capDefaultWarmup(given, PretrainConfig.DEFAULT.warmupSteps());
        GptConfig model = HyperParameters.bind(GptConfig.class, GptConfig.DEFAULT, given, pointer, fixed, violations);
        PretrainConfig training = HyperParameters.bind(PretrainConfig.class, PretrainConfig.DEFAULT, given, pointer,
                List.of(), violations);
        return model == null || training == null ? null : new JobMethod.Pretraining(model, training);
    }

    /**
     * {@code tiny-flow} hyperparameters: {@link FlowNetConfig} keys shape the network ({@code num_classes} is
     * fixed by the shipped data), every other key is a {@link FlowPretrainConfig} knob.
     */
    public static JobMethod.FlowPretraining flowPretrain(JsonNode node, String pointer, List<Violation> violations) {
        Map<String, JsonNode> given = fields(node, pointer, violations);
        if (given == null) {
            return null;
        }
        List<String> fixed = List.of("num_classes");
        List<String> known = new ArrayList<>(HyperParameters.keys(FlowNetConfig.class));
        known.addAll(HyperParameters.keys(FlowPretrainConfig.class));
        unknownKeys(given, known, fixed, pointer, violations);
        capDefaultWarmup(given, FlowPretrainConfig.DEFAULT.warmupSteps());
        FlowNetConfig model = HyperParameters.bind(FlowNetConfig.class, FlowNetConfig.DEFAULT, given, pointer, fixed,
                violations);
        FlowPretrainConfig training = HyperParameters.bind(FlowPretrainConfig.class, FlowPretrainConfig.DEFAULT, given,
                pointer, List.of(), violations);
        if (model == null || training == null) {
            return null;
        }
        try {
            new FlowPretrainSpec(model, training, 0); // the recipe's own limits (e.g. the image sizes it ships)
        } catch (ConfigException e) {
            violations.add(new Violation(pointer + "/" + e.field(), e.reason()));
            return null;
        }
        return new JobMethod.FlowPretraining(model, training);
    }

    /**
     * Hyperparameters of a flow alignment method: the {@link FlowRlConfig} keys plus those of the method's own
     * record ({@link FlowMethodType#extraConfig()}), in one object.
     */
    public static JobMethod.FlowAlignment flowAlign(FlowMethodType type, JsonNode node, String pointer, List<Violation> violations) {
        Map<String, JsonNode> given = fields(node, pointer, violations);
        if (given == null) {
            return null;
        }
        List<String> known = new ArrayList<>(HyperParameters.keys(FlowRlConfig.class));
        if (type.extraConfig() != null) {
            known.addAll(HyperParameters.keys(type.extraConfig()));
        }
        unknownKeys(given, known, List.of(), pointer, violations);
        capDefaultWarmup(given, FlowRlConfig.DEFAULT.warmupSteps());
        FlowRlConfig config = HyperParameters.bind(FlowRlConfig.class, FlowRlConfig.DEFAULT, given, pointer, List.of(),
                violations);
        Record extra = type.extraConfig() == null ? null
                : bindExtra(type.extraConfig(), type.extraDefaults(), given, pointer, violations);
        boolean extraFailed = type.extraConfig() != null && extra == null;
        return config == null || extraFailed ? null : new JobMethod.FlowAlignment(type, config, extra);
    }

    /** The hyperparameters of a {@link LmMethodType} method from {@code node} (null or an object) over its defaults. */
    public static LmMethodConfig lmAlign(LmMethodType type, JsonNode node, String pointer, List<Violation> violations) {
        Record defaults = type.defaults();
        return (LmMethodConfig) bindLm(type.configClass(), defaults, ((LmMethodConfig) defaults).warmupSteps(), node,
                pointer, violations);
    }

    private static <R extends Record> R bindLm(Class<R> type, Record defaults, int defaultWarmup, JsonNode node,
            String pointer, List<Violation> violations) {
        return bindOne(type, type.cast(defaults), defaultWarmup, node, pointer, violations);
    }

    private static <R extends Record> R bindExtra(Class<R> type, Record defaults, Map<String, JsonNode> given,
            String pointer, List<Violation> violations) {
        return HyperParameters.bind(type, type.cast(defaults), given, pointer, List.of(), violations);
    }

    private static Map<String, JsonNode> fields(JsonNode node, String pointer, List<Violation> violations) {
        Map<String, JsonNode> given = new LinkedHashMap<>();
        if (node == null || node.isNull() || node.isMissingNode()) {
            return given;
        }
        if (!node.isObject()) {
            violations.add(new Violation(pointer, "must be an object"));
            return null;
        }
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            given.put(e.getKey(), e.getValue());
        }
        return given;
    }

    /**
     * A default {@code warmup_steps} longer than a given {@code max_steps} would be rejected for a key
     * the caller never sent: when only {@code max_steps} is given, the default warmup is cut to it.
     */
    private static void capDefaultWarmup(Map<String, JsonNode> given, int defaultWarmup) {
        JsonNode maxSteps = given.get("max_steps");
        if (!given.containsKey("warmup_steps") && maxSteps != null && maxSteps.isIntegralNumber()
                && maxSteps.canConvertToInt() && maxSteps.asInt() >= 0 && maxSteps.asInt() < defaultWarmup) {
            given.put("warmup_steps", IntNode.valueOf(maxSteps.asInt()));
        }
    }

    private static void unknownKeys(Map<String, JsonNode> given, List<String> known, List<String> fixed,
            String pointer, List<Violation> violations) {
        for (String key : given.keySet()) {
            if (fixed.contains(key)) {
                violations.add(new Violation(pointer + "/" + key, "is set by the service and cannot be given"));
            } else if (!known.contains(key)) {
                violations.add(new Violation(pointer + "/" + key, "unknown hyperparameter; known: " + String.join(", ", known)));
            }
        }
    }
}
