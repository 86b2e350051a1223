package dev.tropism.jobs;

import dev.tropism.engine.align.LmMethodConfig;
import dev.tropism.engine.align.LmMethodType;
import dev.tropism.engine.flow.FlowNetConfig;
import dev.tropism.engine.flow.FlowPretrainConfig;
import dev.tropism.engine.flowrl.FlowMethodType;
import dev.tropism.engine.flowrl.FlowRlConfig;
import dev.tropism.engine.hf.LoraConfig;
import dev.tropism.engine.lm.GptConfig;
import dev.tropism.engine.lm.PretrainConfig;
import dev.tropism.engine.rl.GrpoConfig;
import dev.tropism.engine.rm.RewardModelConfig;
import dev.tropism.web.Violation;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A job's {@code method}, parsed: one record per method family, each holding its bound, validated configs.
 *
 * <p>A job stores its method as the JSON it was submitted with, {@code {"type": t, t: {hyperparameters}}}
 * (pretraining adds its {@code recipe}). {@link #parse} reads it at submission; {@link #stored} reads it again, with
 * the same binder ({@link MethodConfigs}), when the job runs or resumes. Nothing else looks at a method's JSON.
 *
 * <p>Code that does something different per family goes through {@link #match}: Java 17 has no pattern
 * {@code switch}, so {@link Cases} is its exhaustive stand-in. A new family is a new record here, which must
 * implement {@code match}, which needs a new case in {@link Cases}, which every dispatcher (today
 * {@link EngineRunFactory}) must then implement before the code compiles again.
 */
public sealed interface JobMethod {

    /**
     * The key of {@code method.lora}, beside {@code method.<type>}: low-rank adapters (GRPO and reward models on
     * imported models).
     */
    String LORA = "lora";

    /** The method type of {@code POST /v1/jobs}; null for pretraining, which is submitted as a model. */
    default AlignmentMethod alignment() {
        return null;
    }

    /** The job's length in the unit its run counts ({@code max_steps}). */
    int maxSteps();

    /** The method's {@code eval_interval}, or null when it has no periodic evaluation to configure. */
    default Integer evalInterval() {
        return null;
    }

    <R> R match(Cases<R> cases) throws IOException;

    /** One case per record: an exhaustive dispatch over the method families. */
    interface Cases<R> {

        R pretraining(Pretraining method) throws IOException;

        R flowPretraining(FlowPretraining method) throws IOException;

        R grpo(Grpo method) throws IOException;

        R rewardModel(RewardModel method) throws IOException;

        R flowAlignment(FlowAlignment method) throws IOException;

        R lmAlignment(LmAlignment method) throws IOException;
    }

    /** {@code tiny-gpt} pretraining: the model's shape and the optimizer settings. */
    record Pretraining(GptConfig model, PretrainConfig training) implements JobMethod {

        @Override
        public int maxSteps() {
            return training.maxSteps();
        }

        @Override
        public <R> R match(Cases<R> cases) throws IOException {
            return cases.pretraining(this);
        }
    }

    /** {@code tiny-flow} pretraining: the network's shape and the optimizer and classifier settings. */
    record FlowPretraining(FlowNetConfig model, FlowPretrainConfig training) implements JobMethod {

        @Override
        public int maxSteps() {
            return training.maxSteps();
        }

        @Override
        public <R> R match(Cases<R> cases) throws IOException {
            return cases.flowPretraining(this);
        }

        /**
         * Exactly {@code FlowNet.initialize(model, …).parameterCount()}, in closed form so that the model row can
         * be written without loading the native engine: the embeddings, the U-Net's residual blocks (two 3×3
         * convolutions, two GroupNorms, an embedding projection and a 1×1 skip where widths differ), its stride-2
         * down- and upsampling convolutions, and the output head.
         */
        public long parameters() {
            long e = model.embedDim();
            long c = model.channels();
            int levels = model.levels();
            long total = 2 * (e * e + e) + (model.numClasses() + 1) * e; // time MLP, class embedding (+ null class)
            total += c * 9 + c; // input convolution
            for (int l = 0; l < levels; l++) {
                total += resBlock(width(l), width(l), e);
                if (l < levels - 1) {
                    total += conv3(width(l), width(l + 1)); // stride-2 downsampling
                }
            }
            total += resBlock(width(levels - 1), width(levels - 1), e); // middle
            for (int l = levels - 2; l >= 0; l--) {
                total += conv3(width(l + 1), width(l)) + resBlock(2 * width(l), width(l), e); // upsampling, skip concat
            }
            return total + 2 * c + c * 9 + 1; // output GroupNorm and convolution
        }

        private long width(int level) {
            return level == 0 ? model.channels() : 2L * model.channels();
        }

        private static long conv3(long in, long out) {
            return out * in * 9 + out;
        }

        private static long resBlock(long in, long out, long embed) {
            long skip = in == out ? 0 : out * in + out;
            return 2 * in + conv3(in, out) + out * embed + out + 2 * out + conv3(out, out) + skip;
        }
    }

    /** GRPO on a language model; {@code lora} null for full fine-tuning. */
    record Grpo(GrpoConfig config, LoraConfig lora) implements JobMethod {

        @Override
        public AlignmentMethod alignment() {
            return AlignmentMethod.GRPO;
        }

        @Override
        public int maxSteps() {
            return config.maxSteps();
        }

        @Override
        public Integer evalInterval() {
            return config.evalInterval();
        }

        @Override
        public <R> R match(Cases<R> cases) throws IOException {
            return cases.grpo(this);
        }
    }

    /** Bradley–Terry reward-model training; {@code lora} null for full fine-tuning of the backbone. */
    record RewardModel(RewardModelConfig config, LoraConfig lora) implements JobMethod {

        @Override
        public AlignmentMethod alignment() {
            return AlignmentMethod.REWARD_MODEL;
        }

        @Override
        public int maxSteps() {
            return config.maxSteps();
        }

        @Override
        public <R> R match(Cases<R> cases) throws IOException {
            return cases.rewardModel(this);
        }
    }

    /**
     * One of the flow alignment methods: the shared hyperparameters and the method's own record ({@code extra},
     * null when it has none).
     */
    record FlowAlignment(FlowMethodType type, FlowRlConfig config, Record extra) implements JobMethod {

        @Override
        public AlignmentMethod alignment() {
            return AlignmentMethod.of(type.wireName()).orElseThrow();
        }

        @Override
        public int maxSteps() {
            return config.maxSteps();
        }

        @Override
        public Integer evalInterval() {
            return config.evalInterval();
        }

        @Override
        public <R> R match(Cases<R> cases) throws IOException {
            return cases.flowAlignment(this);
        }
    }

    /**
     * One of the further language-model methods ({@link LmMethodType}): its config record and {@code lora} (null for
     * full fine-tuning).
     */
    record LmAlignment(LmMethodType type, LmMethodConfig config, LoraConfig lora) implements JobMethod {

        @Override
        public AlignmentMethod alignment() {
            return AlignmentMethod.of(type.wireName()).orElseThrow();
        }

        @Override
        public int maxSteps() {
            return config.maxSteps();
        }

        @Override
        public Integer evalInterval() {
            return config.evalInterval();
        }

        @Override
        public <R> R match(Cases<R> cases) throws IOException {
            return cases.lmAlignment(this);
        }
    }

    /**
     * The method of a {@code POST /v1/jobs} whose {@code method.type} is {@code alignment}: its hyperparameter
     * object {@code method[type]} bound over the defaults; null (with violations) when it does not bind.
     */
    static JobMethod parse(AlignmentMethod alignment, JsonNode method, List<Violation> violations) {
        String pointer = "/method/" + alignment.wireName();
        JsonNode hyperparameters = method.get(alignment.wireName());
        if (alignment == AlignmentMethod.GRPO) {
            GrpoConfig config = MethodConfigs.grpo(hyperparameters, pointer, violations);
            int before = violations.size();
            LoraConfig lora = MethodConfigs.lora(method.get(LORA), "/method/" + LORA, violations);
            return config == null || violations.size() > before ? null : new Grpo(config, lora);
        }
        if (alignment == AlignmentMethod.REWARD_MODEL) {
            RewardModelConfig config = MethodConfigs.rewardModel(hyperparameters, pointer, violations);
            int before = violations.size();
            LoraConfig lora = MethodConfigs.lora(method.get(LORA), "/method/" + LORA, violations);
            return config == null || violations.size() > before ? null : new RewardModel(config, lora);
        }
        if (alignment.lmType() != null) {
            LmMethodConfig config = MethodConfigs.lmAlign(alignment.lmType(), hyperparameters, pointer, violations);
            int before = violations.size();
            LoraConfig lora = MethodConfigs.lora(method.get(LORA), "/method/" + LORA, violations);
            return config == null || violations.size() > before ? null : new LmAlignment(alignment.lmType(), config, lora);
        }
        return MethodConfigs.flowAlign(alignment.flowType(), hyperparameters, pointer, violations);
    }

    /** The method of a stored job, bound exactly as it was at submission; a stored method that no longer binds fails. */
    static JobMethod stored(JobRecord job, JsonMapper json) {
        return stored(job.id(), job.method(), json);
    }

    /** {@link #stored(JobRecord, JsonMapper)} of a job's id and stored method JSON. */
    static JobMethod stored(String jobId, String storedMethod, JsonMapper json) {
        JsonNode method = json.readTree(storedMethod);
        String type = method.path("type").asString("");
        List<Violation> violations = new ArrayList<>();
        JobMethod parsed;
        if (MethodConfigs.PRETRAIN.equals(type)) {
            JsonNode hyperparameters = method.get(MethodConfigs.PRETRAIN);
            // tiny-gpt when there is no recipe: jobs stored before recipes were named have none
            parsed = MethodConfigs.TINY_FLOW.equals(method.path(MethodConfigs.RECIPE).asString(""))
                    ? MethodConfigs.flowPretrain(hyperparameters, "/method/pretrain", violations)
                    : MethodConfigs.pretrain(hyperparameters, "/method/pretrain", violations);
        } else {
            AlignmentMethod alignment = AlignmentMethod.of(type).orElseThrow(() -> new IllegalStateException(
                    "job " + jobId + " has unsupported method type '" + type + "'"));
            parsed = parse(alignment, method, violations);
        }
        if (parsed == null || !violations.isEmpty()) {
            throw new IllegalStateException("stored method of job " + jobId + " is invalid: " + violations);
        }
        return parsed;
    }
}
