package dev.tropism.engine.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.tropism.engine.Engine;
import dev.tropism.engine.MetricNames;
import dev.tropism.engine.RewardFunction;
import dev.tropism.engine.RewardResult;
import dev.tropism.engine.TrainingRun;
import dev.tropism.engine.lm.LanguageModel;
import dev.tropism.engine.lm.Sampler;
import dev.tropism.engine.lm.Sampler.Completions;
import dev.tropism.engine.lm.Sampler.Decoding;
import dev.tropism.engine.lm.Sampler.PromptBatch;
import dev.tropism.engine.rl.GrpoConfig;
import dev.tropism.engine.rl.GrpoConfig.LossType;
import dev.tropism.engine.rl.GrpoConfig.ScaleRewards;
import dev.tropism.engine.rl.GrpoSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An imported model through the language-model paths: a tiny random llama (GQA, tied embeddings) with GPT-2's real
 * 50,257-token BPE, loaded by {@link LanguageModel#load}, sampled on the device, and aligned by GRPO with LoRA, whose
 * checkpoint resumes exactly and whose export merges the adapters.
 */
class ImportedModelGrpoTest {

    private static final List<String> PROMPTS = List.of("12+3=", "The cat", "Hello world", "a b c");

    @TempDir
    static Path tmp;
    static Path base;

    @BeforeAll
    static void writeModel() throws Exception {
        base = HfTestModels.tinyLlama(Files.createDirectories(tmp.resolve("base")));
    }

    @Test
    void loadsAndSamplesOnTheDevice() throws Exception {
        try (NDManager m = NDManager.newBaseManager(); LanguageModel model = LanguageModel.load(base, m)) {
            assertFalse(model.isTinyGpt());
            assertEquals(50257, model.lm().vocabSize());
            assertEquals(50256, model.tokenizer().eos());
            assertEquals(new LanguageModel.Shape("llama", 50257, 48), LanguageModel.readShape(base));
            PromptBatch batch = PromptBatch.of(model.tokenizer(), PROMPTS, 16);
            for (int b = 0; b < PROMPTS.size(); b++) { // GPT-2's BOS is <|endoftext|>
                assertEquals(50256, batch.tokens()[b][batch.width() - batch.lengths()[b]]);
            }
            Completions cached = Sampler.sample(model, batch, 6, Decoding.greedy(), true, m);
            Completions uncached = Sampler.sample(model, batch, 6, Decoding.greedy(), false, m);
            for (int b = 0; b < PROMPTS.size(); b++) {
                assertArrayEquals(cached.tokens()[b], uncached.tokens()[b]);
            }
            Decoding nucleus = new Decoding(1.0, 0.9, new Random(3), 50);
            Completions a = Sampler.sample(model, batch, 6, nucleus, true, m);
            Completions again = Sampler.sample(model, batch, 6, new Decoding(1.0, 0.9, new Random(3), 50), true, m);
            Completions other = Sampler.sample(model, batch, 6, new Decoding(1.0, 0.9, new Random(4), 50), true, m);
            boolean differs = false;
            for (int b = 0; b < PROMPTS.size(); b++) {
                assertArrayEquals(a.tokens()[b], again.tokens()[b]); // reproducible from the Java seed alone
                differs |= !java.util.Arrays.equals(a.tokens()[b], other.tokens()[b]);
                for (int t = 0; t < a.lengths()[b]; t++) {
                    assertTrue(a.tokens()[b][t] >= 0 && a.tokens()[b][t] < 50257);
                }
            }
            assertTrue(differs, "another seed draws other tokens");
        }
    }

    private static GrpoSpec spec(int maxSteps) {
        GrpoConfig config = new GrpoConfig(maxSteps, 2, 4, 2, 1e-2, 0, 0.0, 1.0, 0.04, 0.2, 0.28, ScaleRewards.GROUP,
                LossType.DAPO, false, 5, 1.0, 0.95, 0, 1000, 1.0);
        // Reward: how many spaces the completion has (GPT-2 tokens often start with one).
        RewardFunction spaces = RewardFunction.perSample((item, output) ->
                RewardResult.of(output.chars().filter(c -> c == ' ').count()));
        List<Map<String, Object>> items = PROMPTS.stream().map(s -> Map.<String, Object>of("prompt", s)).toList();
        return new GrpoSpec(base, config, items, items, spaces, 11, null, new LoraConfig(4, 8, 0, List.of()));
    }

    private static Map<String, Double> withoutTimings(Map<String, Double> metrics) {
        Map<String, Double> out = new LinkedHashMap<>(metrics);
        out.keySet().removeIf(k -> k.startsWith("perf/"));
        return out;
    }

    @Test
    void grpoWithLoraCheckpointsResumesExactlyAndExportsMergedWeights() throws Exception {
        Map<String, Double> third;
        float[] policyLogits;
        Path ckpt = tmp.resolve("ckpt");
        Path export = tmp.resolve("export");
        try (TrainingRun run = Engine.open(spec(3))) {
            run.trainStep();
            run.trainStep();
            run.saveCheckpoint(ckpt);
            third = withoutTimings(run.trainStep());
            run.exportModel(export);
            policyLogits = logits(((dev.tropism.engine.rl.GrpoRun) run).policy());
        }
        assertTrue(Double.isFinite(third.get(MetricNames.TRAIN_LOSS)));
        assertTrue(third.get(MetricNames.TRAIN_GRAD_NORM) > 0, "the adapters get gradients");
        assertTrue(Files.isRegularFile(ckpt.resolve("model").resolve(HfDirectory.PEFT_DIR).resolve(Lora.WEIGHTS)));
        try (TrainingRun resumed = Engine.resume(spec(3), ckpt)) {
            assertEquals(2, resumed.step());
            assertEquals(third, withoutTimings(resumed.trainStep()));
        }
        // The export holds merged weights: re-imported, it gives the adapted policy's logits.
        try (NDManager m = NDManager.newBaseManager(); LanguageModel merged = LanguageModel.load(export, m);
                LanguageModel original = LanguageModel.load(base, m)) {
            float[] mergedLogits = logits(merged);
            float[] baseLogits = logits(original);
            double worst = 0;
            double moved = 0;
            for (int i = 0; i < policyLogits.length; i++) {
                worst = Math.max(worst, Math.abs(mergedLogits[i] - policyLogits[i]));
                moved = Math.max(moved, Math.abs(baseLogits[i] - policyLogits[i]));
            }
            assertTrue(worst < 1e-4, "merged export vs adapted policy: " + worst);
            assertTrue(moved > 1e-4, "training moved the policy away from the base: " + moved);
            assertTrue(Files.isRegularFile(export.resolve(HfDirectory.PEFT_DIR).resolve(Lora.CONFIG)));
        }
    }

    /** The last position's logits of "Hello world" (BOS first). */
    private static float[] logits(LanguageModel model) {
        int[] ids = model.tokenizer().start(model.tokenizer().encode("Hello world"));
        try (NDManager m = NDManager.newBaseManager()) {
            return HfTestModels.forward(model, ids, m).toFloatArray();
        }
    }
}
