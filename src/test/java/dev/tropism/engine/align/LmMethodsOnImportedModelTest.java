package dev.tropism.engine.align;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.engine.Engine;
import dev.tropism.engine.MetricNames;
import dev.tropism.engine.RewardFunction;
import dev.tropism.engine.RewardResult;
import dev.tropism.engine.TrainingRun;
import dev.tropism.engine.hf.HfDirectory;
import dev.tropism.engine.hf.HfTestModels;
import dev.tropism.engine.hf.Lora;
import dev.tropism.engine.hf.LoraConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every {@link LmMethodType} method on an imported model with LoRA: a tiny random llama with GPT-2's real BPE, two
 * steps, a checkpoint that holds the adapters in PEFT's layout, and a resumed third step identical to the straight
 * one.
 */
class LmMethodsOnImportedModelTest {

    private static final List<String> PROMPTS = List.of("12+3=", "The cat", "Hello world", "a b c");

    @TempDir
    static Path tmp;
    static Path base;

    @BeforeAll
    static void writeModel() throws Exception {
        base = HfTestModels.tinyLlama(Files.createDirectories(tmp.resolve("base")));
    }

    /** Items of the method's data kind over {@link #PROMPTS}. */
    private static List<Map<String, Object>> items(LmMethodType type) {
        return PROMPTS.stream().map(p -> switch (type.data()) {
            case PROMPTS -> Map.<String, Object>of("prompt", p);
            case PREFERENCES -> Map.<String, Object>of("prompt", p, "chosen", " yes it is", "rejected", "no");
            case SFT -> Map.<String, Object>of("prompt", p, "completion", " a b");
        }).toList();
    }

    private static LmAlignSpec spec(LmMethodType type) {
        Map<String, Object> small = new LinkedHashMap<>();
        small.put("maxSteps", 3);
        small.put("promptsPerStep", 2);
        small.put("numGenerations", 4);
        small.put("batchSize", 2);
        small.put("warmupSteps", 0);
        small.put("learningRate", 1e-2);
        small.put("maxCompletionLength", 5);
        small.put("evalInterval", 0);
        // PRIME's accuracy filter off: the spaces reward is rarely an exact 1, so every group would sit the step out
        small.put("accuracyLowerBound", 0.0);
        small.put("accuracyUpperBound", 1.0);
        // Reward: how many spaces the completion has (GPT-2 tokens often start with one).
        RewardFunction spaces = RewardFunction.perSample((item, output) ->
                RewardResult.of(output.chars().filter(c -> c == ' ').count()));
        return new LmAlignSpec(base, type, LmMethodFixture.config(type, small), items(type), List.of(),
                type.usesReward() ? spaces : null, null, 11, new LoraConfig(4, 8, 0, List.of()));
    }

    @ParameterizedTest
    @EnumSource(LmMethodType.class)
    void trainsAdaptersCheckpointsThemAndResumesExactly(LmMethodType type) throws Exception {
        Path ckpt = tmp.resolve(type.wireName() + "-ckpt");
        Map<String, Double> third;
        try (TrainingRun run = Engine.open(spec(type))) {
            run.trainStep();
            Map<String, Double> second = run.trainStep();
            assertThat(second.get(MetricNames.TRAIN_LOSS)).as(type + " loss").isFinite();
            assertThat(second.get(MetricNames.TRAIN_GRAD_NORM)).as(type + ": the adapters get gradients").isPositive();
            run.saveCheckpoint(ckpt);
            third = withoutTimings(run.trainStep());
        }
        assertThat(ckpt.resolve("model").resolve(HfDirectory.PEFT_DIR).resolve(Lora.WEIGHTS)).isRegularFile();
        try (TrainingRun resumed = Engine.resume(spec(type), ckpt)) {
            assertThat(resumed.step()).isEqualTo(2);
            assertThat(withoutTimings(resumed.trainStep())).as(type + " resumed").isEqualTo(third);
        }
    }

    private static Map<String, Double> withoutTimings(Map<String, Double> metrics) {
        Map<String, Double> out = new LinkedHashMap<>(metrics);
        out.keySet().removeIf(k -> k.startsWith("perf/"));
        return out;
    }
}
