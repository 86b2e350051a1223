package dev.tropism.engine.rm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import dev.tropism.engine.Engine;
import dev.tropism.engine.MetricNames;
import dev.tropism.engine.TrainingRun;
import dev.tropism.engine.hf.HfConfig;
import dev.tropism.engine.hf.HfDirectory;
import dev.tropism.engine.hf.HfTestModels;
import dev.tropism.engine.hf.Lora;
import dev.tropism.engine.hf.LoraConfig;
import dev.tropism.engine.lm.LanguageModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reward models on an imported backbone: a tiny random llama (GQA, tied embeddings) with GPT-2's real BPE
 * ({@link HfTestModels#tinyLlama}), trained in full and through LoRA on preferences whose rule is a word list
 * (chosen responses are positive words, rejected ones negative), checkpointed, resumed exactly, saved with the
 * backbone in HF layout and loaded back through {@link RewardModel#load}, the service's entry point.
 */
class RewardModelImportedTest {

    private static final List<String> GOOD = List.of(" yes", " good", " great", " fine", " nice", " happy");
    private static final List<String> BAD = List.of(" no", " bad", " awful", " poor", " sad", " angry");
    private static final List<String> PROMPTS = List.of("Answer:", "Review:", "Reply:", "Q:");

    @TempDir
    static Path tmp;
    static Path base;
    static final List<PreferencePair> train = new ArrayList<>();
    static final List<PreferencePair> heldOut = new ArrayList<>();

    @BeforeAll
    static void writeModelAndPairs() throws Exception {
        base = HfTestModels.tinyLlama(Files.createDirectories(tmp.resolve("base")));
        for (int p = 0; p < PROMPTS.size(); p++) {
            for (int g = 0; g < GOOD.size(); g++) {
                for (int b = 0; b < BAD.size(); b++) {
                    PreferencePair pair = new PreferencePair(PROMPTS.get(p), GOOD.get(g), BAD.get(b));
                    ((p + g + b) % 4 == 0 ? heldOut : train).add(pair); // every word is in train
                }
            }
        }
    }

    private static RewardModelSpec spec(int maxSteps, LoraConfig lora) {
        RewardModelConfig config = new RewardModelConfig(maxSteps, 16, 1e-2, 2, 0.0, 1.0, 10, 0.1, 1000, 0, 0.01);
        return new RewardModelSpec(base, config, train, heldOut, 5, lora);
    }

    private static Map<String, Double> withoutTimings(Map<String, Double> metrics) {
        Map<String, Double> out = new LinkedHashMap<>(metrics);
        out.keySet().removeIf(k -> k.startsWith("perf/"));
        return out;
    }

    /** Trains {@code spec}, checkpointing after 2 steps; returns the last step's metrics and checks the evals. */
    private static void trainResumeAndExport(RewardModelSpec spec, String name) throws Exception {
        Path ckpt = tmp.resolve(name + "-ckpt");
        Path export = tmp.resolve(name + "-export");
        List<String> prompts = List.of("Q:", "Q:", "Other:");
        List<String> completions = List.of(" great", " awful", " nice day");
        Map<String, Double> before;
        Map<String, Double> after;
        Map<String, Double> third = null;
        double[] inRun;
        List<Double> losses = new ArrayList<>();
        try (RewardModelRun run = (RewardModelRun) Engine.open(spec)) {
            before = run.evaluate();
            while (run.step() < run.totalSteps()) {
                if (run.step() == 2) {
                    run.saveCheckpoint(ckpt);
                }
                Map<String, Double> m = run.trainStep();
                losses.add(m.get(MetricNames.TRAIN_LOSS));
                if (run.step() == 3) {
                    third = withoutTimings(m);
                }
            }
            after = run.evaluate();
            inRun = run.model().score(prompts, completions);
            run.exportModel(export);
        }
        System.out.printf("%s reward model on a tiny llama: held-out accuracy %.3f -> %.3f, loss %.3f -> %.3f, "
                + "train loss %.3f -> %.3f%n", name, before.get(MetricNames.EVAL_ACCURACY),
                after.get(MetricNames.EVAL_ACCURACY), before.get(MetricNames.EVAL_LOSS), after.get(MetricNames.EVAL_LOSS),
                losses.get(0), losses.get(losses.size() - 1));
        assertThat(after.get(MetricNames.EVAL_LOSS)).as("held-out loss").isLessThan(before.get(MetricNames.EVAL_LOSS));
        assertThat(after.get(MetricNames.EVAL_ACCURACY)).as("held-out accuracy")
                .isGreaterThan(before.get(MetricNames.EVAL_ACCURACY)).isGreaterThanOrEqualTo(0.8);
        try (TrainingRun resumed = Engine.resume(spec, ckpt)) {
            assertThat(resumed.step()).isEqualTo(2);
            assertThat(withoutTimings(resumed.trainStep())).as("resumed step 3").isEqualTo(third);
        }
        // The export: model.json, the head, and the backbone as an HF directory any loader takes.
        assertThat(export.resolve(LanguageModel.MODEL_JSON)).isRegularFile();
        assertThat(export.resolve(RewardModel.HEAD_FILE)).isRegularFile();
        assertThat(export.resolve(RewardModel.BACKBONE_DIR).resolve(HfConfig.FILE)).isRegularFile();
        assertThat(LanguageModel.isHf(export.resolve(RewardModel.BACKBONE_DIR))).isTrue();
        try (NDManager m = NDManager.newBaseManager(); RewardModel rm = RewardModel.load(export, m)) {
            assertThat(rm.architecture()).isEqualTo("llama");
            assertThat(rm.maxLength()).isEqualTo(48);
            double[] loaded = rm.score(prompts, completions);
            for (int i = 0; i < loaded.length; i++) {
                assertThat(loaded[i]).as("score %d", i).isCloseTo(inRun[i], within(1e-4));
            }
            assertThat(loaded[0]).as("a positive word outscores a negative one").isGreaterThan(loaded[1]);
            // one at a time (no padding) gives the batched scores
            assertThat(rm.score(List.of("Q:"), List.of(" awful"))[0]).isCloseTo(loaded[1], within(1e-4));
        }
    }

    @Test
    void fullFineTuningLearnsResumesExactlyAndSavesTheBackboneInHfLayout() throws Exception {
        trainResumeAndExport(spec(30, null), "full");
    }

    @Test
    void loraTrainsAdaptersAndHeadOnlyAndExportsMergedWeights() throws Exception {
        RewardModelSpec spec = spec(30, new LoraConfig(4, 8, 0, List.of()));
        try (RewardModelRun run = (RewardModelRun) Engine.open(spec)) {
            assertThat(run.model().parameters().keySet()).allMatch(k -> k.startsWith("head.") || k.endsWith(".lora_A")
                    || k.endsWith(".lora_B"));
            assertThat(run.model().parameterCount()).isEqualTo(run.model().backbone().parameterCount() + 17);
        }
        trainResumeAndExport(spec, "lora");
        Path saved = tmp.resolve("lora-ckpt").resolve("model").resolve(RewardModel.BACKBONE_DIR);
        assertThat(saved.resolve(HfDirectory.PEFT_DIR).resolve(Lora.WEIGHTS)).isRegularFile();
    }
}
