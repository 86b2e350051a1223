package dev.tropism.engine.align;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDManager;
import dev.tropism.engine.ConfigException;
import dev.tropism.engine.Engine;
import dev.tropism.engine.MetricNames;
import dev.tropism.engine.TrainingRun;
import dev.tropism.engine.hf.LoraConfig;
import dev.tropism.engine.lm.GreedyEval;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SftRunTest {

    @TempDir
    Path tmp;

    /** "a=" … "h=" → "x": the answer the base model gives only a third of the time. */
    private static List<Map<String, Object>> demonstrations() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map<String, Object> item : LmMethodFixture.items()) {
            out.add(SftExampleTest.pair((String) item.get("prompt"), "x"));
        }
        return out;
    }

    private static SftRun.Config config(int maxSteps, boolean packing, double neftuneAlpha) {
        return new SftRun.Config(maxSteps, 4, 3e-3, 0, 0.0, 1.0, 0, packing, neftuneAlpha, 0, 1000);
    }

    private static LmAlignSpec spec(Path base, SftRun.Config config, List<Map<String, Object>> items, long seed,
            LoraConfig lora) {
        return new LmAlignSpec(base, LmMethodType.SFT, config, items, items, null, null, seed, lora);
    }

    private static LmAlignSpec spec(SftRun.Config config, long seed) throws IOException {
        return spec(LmMethodFixture.base(), config, demonstrations(), seed, null);
    }

    /** Greedy accuracy of "x" on the eight prompts (the fixture's exact-match reward). */
    private static double greedyAccuracy(SftRun run) {
        return GreedyEval.evaluate(run.policy(), LmMethodFixture.items(), LmMethodFixture.EXACT_MATCH, 6, 2, 1.0,
                run.root()).get(MetricNames.EVAL_ACCURACY);
    }

    /** Mean π("x" | prompt) over the eight prompts. */
    private static double probabilityOfX(SftRun run) {
        try (NDManager m = run.root().newSubManager()) {
            List<List<SftExample>> rows = new ArrayList<>();
            for (Map<String, Object> d : demonstrations()) {
                rows.add(SftExample.of(d, run.policy(), 8));
            }
            SftBatch b = SftBatch.of(rows, m);
            float[] logp = b.logp(b.logits(run.policy().lm())).toFloatArray(); // x, EOS, x, EOS, ...
            double sum = 0;
            for (int k = 0; k < logp.length; k += 2) {
                sum += Math.exp(logp[k]);
            }
            return sum / (logp.length / 2);
        }
    }

    @Test
    void sftOnDemonstrationsMakesTheModelAnswerThem() throws IOException {
        List<Map<String, Double>> steps = new ArrayList<>();
        double accuracyBefore;
        double accuracyAfter;
        double pBefore;
        double pAfter;
        Map<String, Double> evalBefore;
        Map<String, Double> evalAfter;
        try (SftRun run = (SftRun) Engine.open(spec(config(20, false, 0.0), 1))) {
            accuracyBefore = greedyAccuracy(run);
            pBefore = probabilityOfX(run);
            evalBefore = run.evaluate();
            for (int i = 0; i < 20; i++) {
                steps.add(run.trainStep());
            }
            accuracyAfter = greedyAccuracy(run);
            pAfter = probabilityOfX(run);
            evalAfter = run.evaluate();
        }
        System.out.printf("SFT p(x) %.3f -> %.3f, greedy accuracy %.3f -> %.3f, eval/loss %.3f -> %.3f, "
                        + "eval/mean_token_accuracy %.3f -> %.3f%n", pBefore, pAfter, accuracyBefore, accuracyAfter,
                evalBefore.get(MetricNames.EVAL_LOSS), evalAfter.get(MetricNames.EVAL_LOSS),
                evalBefore.get(MetricNames.EVAL_MEAN_TOKEN_ACCURACY), evalAfter.get(MetricNames.EVAL_MEAN_TOKEN_ACCURACY));
        assertThat(pBefore).as("the base model's p(x), near 1/3").isBetween(0.15, 0.55);
        assertThat(pAfter).isGreaterThan(0.9);
        assertThat(accuracyAfter).isEqualTo(1.0);
        assertThat(evalAfter.get(MetricNames.EVAL_LOSS)).isLessThan(evalBefore.get(MetricNames.EVAL_LOSS) / 3);
        assertThat(evalAfter.get(MetricNames.EVAL_MEAN_TOKEN_ACCURACY)).isEqualTo(1.0);
        double first = LmMethodFixture.mean(steps.subList(0, 3), MetricNames.TRAIN_LOSS);
        double last = LmMethodFixture.mean(steps.subList(17, 20), MetricNames.TRAIN_LOSS);
        assertThat(last).isLessThan(first / 3);
        Map<String, Double> step = steps.get(19);
        assertThat(step.get(MetricNames.TRAIN_TOKENS)).isEqualTo(8.0); // 4 rows × (x, EOS)
        assertThat(step.get(MetricNames.TRAIN_MEAN_TOKEN_ACCURACY)).isEqualTo(1.0);
        assertThat(step).containsKeys(MetricNames.TRAIN_GRAD_NORM, MetricNames.TRAIN_LR,
                MetricNames.PERF_TOKENS_PER_SECOND);
    }

    @Test
    void packingTrainsOnFullRows() throws IOException {
        // max_length 8: each demonstration takes 4 positions, so a row packs two
        SftRun.Config packed = new SftRun.Config(3, 2, 3e-3, 0, 0.0, 1.0, 8, true, 0.0, 0, 1000);
        try (TrainingRun run = Engine.open(spec(packed, 2))) {
            assertThat(run.trainStep().get(MetricNames.TRAIN_TOKENS)).isEqualTo(8.0); // 2 rows × 2 × (x, EOS)
        }
    }

    @Test
    void neftuneChangesTheTrainingLossOnlyAndLeavesTheModelClean() throws IOException {
        Map<String, Double> cleanStep;
        Map<String, Double> noisyStep;
        double noisyEvalAfter;
        Path exported = Files.createDirectories(tmp.resolve("noisy"));
        try (TrainingRun clean = Engine.open(spec(config(5, false, 0.0), 4));
                TrainingRun noisy = Engine.open(spec(config(5, false, 10.0), 4))) {
            assertThat(noisy.evaluate()).as("evaluation sees no noise").isEqualTo(clean.evaluate());
            cleanStep = clean.trainStep();
            noisyStep = noisy.trainStep();
            noisyEvalAfter = noisy.evaluate().get(MetricNames.EVAL_LOSS);
            noisy.exportModel(exported);
        }
        System.out.printf("NEFTune alpha 10: first-step loss %.5f (clean %.5f)%n", noisyStep.get(MetricNames.TRAIN_LOSS),
                cleanStep.get(MetricNames.TRAIN_LOSS));
        assertThat(noisyStep.get(MetricNames.TRAIN_LOSS)).isNotEqualTo(cleanStep.get(MetricNames.TRAIN_LOSS));
        // after its noisy step, the run evaluates its weights without noise: as a fresh run on the same weights does
        try (TrainingRun reloaded = Engine.open(spec(exported, config(5, false, 0.0), demonstrations(), 4, null))) {
            assertThat(reloaded.evaluate().get(MetricNames.EVAL_LOSS)).isCloseTo(noisyEvalAfter, within(1e-6));
        }
    }

    @Test
    void resumesExactly() throws IOException {
        LmMethodFixture.assertResumesExactly(spec(config(3, false, 0.0), 9), tmp.resolve("ckpt"));
    }

    @Test
    void resumesExactlyWithPackingAndNeftune() throws IOException {
        SftRun.Config c = new SftRun.Config(3, 2, 3e-3, 0, 0.0, 1.0, 8, true, 5.0, 0, 1000);
        LmMethodFixture.assertResumesExactly(spec(c, 9), tmp.resolve("ckpt"));
    }

    @Test
    void nativeArraysStayFlat() throws IOException {
        LmMethodFixture.assertNativeArraysFlat(spec(new SftRun.Config(5, 2, 3e-3, 0, 0.0, 1.0, 8, true, 5.0, 0, 1000), 3));
    }

    @Test
    void anImportedModelLearnsItsAssistantTurnsWithLoraAndResumesExactly() throws Exception {
        Path base = SftExampleTest.llamaWithTemplate(Files.createDirectories(tmp.resolve("llama")),
                SftExampleTest.TEMPLATE);
        List<Map<String, Object>> chats = List.of(SftExampleTest.chat("user", "ab", "assistant", "cd"),
                SftExampleTest.chat("system", "j", "user", "ef", "assistant", "gh", "user", "ab", "assistant", "cd"));
        SftRun.Config c = new SftRun.Config(15, 2, 3e-2, 0, 0.0, 1.0, 0, false, 5.0, 0, 1000);
        LoraConfig lora = new LoraConfig(4, 8, 0, List.of());
        List<Double> loss = new ArrayList<>();
        try (TrainingRun run = Engine.open(spec(base, c, chats, 1, lora))) {
            for (int i = 0; i < 15; i++) {
                loss.add(run.trainStep().get(MetricNames.TRAIN_LOSS));
            }
        }
        System.out.printf("SFT with LoRA on the llama fixture: loss %.3f -> %.3f%n", loss.get(0), loss.get(14));
        assertThat(loss.get(14)).isLessThan(loss.get(0) * 0.7);
        LmMethodFixture.assertResumesExactly(spec(base, c, chats, 1, lora), tmp.resolve("lora-ckpt"));
    }

    @Test
    void badSettingsAreRefused() throws IOException {
        ConfigException tooShort = assertThrows(ConfigException.class,
                () -> new SftRun.Config(3, 2, 3e-3, 0, 0.0, 1.0, 1, false, 0.0, 0, 1000));
        assertThat(tooShort.field()).isEqualTo("max_length");
        SftRun.Config tooLong = new SftRun.Config(3, 2, 3e-3, 0, 0.0, 1.0, 9, false, 0.0, 0, 1000);
        ConfigException e = assertThrows(ConfigException.class, () -> Engine.open(spec(tooLong, 1)).close());
        assertThat(e.field()).isEqualTo("max_length");
        assertThat(e.getMessage()).contains("context of 8");
        List<Map<String, Object>> bad = List.of(SftExampleTest.pair("a=", "x"), SftExampleTest.chat("user", "a="));
        IllegalArgumentException noTurn = assertThrows(IllegalArgumentException.class,
                () -> Engine.open(spec(LmMethodFixture.base(), config(3, false, 0), bad, 1, null)).close());
        assertThat(noTurn.getMessage()).contains("dataset item 2").contains("no assistant turn");
    }
}
