package dev.tropism.engine.hf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.tropism.engine.MetricNames;
import dev.tropism.engine.RewardFunction;
import dev.tropism.engine.RewardResult;
import dev.tropism.engine.ScoringContext.Likelihood;
import dev.tropism.engine.lm.DryRunConfig;
import dev.tropism.engine.lm.GreedyEval;
import dev.tropism.engine.lm.LanguageModel;
import dev.tropism.engine.lm.LmDryRun;
import dev.tropism.engine.lm.LmScoringContext;
import dev.tropism.engine.lm.Sampler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The likelihood grader's scoring context ({@link LmScoringContext}), dry-runs ({@link LmDryRun}) and greedy
 * evaluation ({@link GreedyEval}) on an imported model: the tiny random llama with GPT-2's real BPE
 * ({@link HfTestModels#tinyLlama}).
 */
class ImportedModelScoringTest {

    private static final List<String> PROMPTS = List.of("Hello world", "The cat sat on", "12+3=");

    @TempDir
    static Path tmp;
    static Path dir;
    private static NDManager manager;
    private static LanguageModel model;

    @BeforeAll
    static void load() throws Exception {
        dir = HfTestModels.tinyLlama(Files.createDirectories(tmp.resolve("llama")));
        manager = NDManager.newBaseManager();
        model = LanguageModel.load(dir, manager);
    }

    @AfterAll
    static void close() {
        model.close();
        manager.close();
    }

    private static List<Map<String, Object>> items() {
        return PROMPTS.stream().map(p -> Map.<String, Object>of("prompt", p)).toList();
    }

    /** Mean log π(target | BOS ⊕ context) by one unpadded forward of that row alone. */
    private static double meanLogProb(String context, String target) {
        int[] c = model.tokenizer().start(model.tokenizer().encode(context));
        int[] t = model.tokenizer().encode(target);
        int[] seq = new int[c.length + t.length];
        System.arraycopy(c, 0, seq, 0, c.length);
        System.arraycopy(t, 0, seq, c.length, t.length);
        try (NDManager m = manager.newSubManager()) {
            float[] logp = HfTestModels.forward(model, seq, m).logSoftmax(2).toFloatArray(); // (1, T, V)
            int v = model.lm().vocabSize();
            double sum = 0;
            for (int j = 0; j < t.length; j++) {
                sum += logp[(c.length - 1 + j) * v + t[j]]; // position c.length − 1 + j predicts target token j
            }
            return sum / t.length;
        }
    }

    @Test
    void likelihoodsOfPaddedBatchesMatchOneRowAtATime() {
        LmScoringContext context = new LmScoringContext(model, model, 3, 16, 6, 1.0, 1.0, manager);
        List<String> contexts = List.of("Hello", "The quick brown fox jumps", "");
        List<String> targets = List.of(" world", " over the lazy dog", "Once upon a time");
        Likelihood[] l = context.likelihoods(contexts, targets);
        for (int i = 0; i < l.length; i++) {
            assertEquals(model.tokenizer().encode(targets.get(i)).length, l[i].tokens());
            assertEquals(meanLogProb(contexts.get(i), targets.get(i)), l[i].meanLogProb(), 1e-4, "pair " + i);
            assertTrue(l[i].meanProb() > 0 && l[i].meanProb() < 1);
        }
        List<String> refs = context.referenceCompletions(items().get(0), 3);
        assertEquals(3, refs.size());
        assertEquals(refs, new LmScoringContext(model, model, 3, 16, 6, 1.0, 1.0, manager)
                .referenceCompletions(items().get(0), 3), "reference completions follow from the seed");
    }

    @Test
    void dryRunSamplesAndScoresReproducibly() throws Exception {
        RewardFunction spaces = RewardFunction.perSample((item, output) ->
                RewardResult.of(output.chars().filter(ch -> ch == ' ').count()));
        DryRunConfig cfg = new DryRunConfig(2, 10, 5, 1.0, 0.9, 4);
        LmDryRun.Result a = LmDryRun.run(dir, items(), spaces, cfg);
        LmDryRun.Result b = LmDryRun.run(dir, items(), spaces, cfg);
        assertEquals(PROMPTS.size() * 2, a.samples().size());
        for (int i = 0; i < a.samples().size(); i++) {
            LmDryRun.Scored s = a.samples().get(i);
            assertTrue(s.tokens() >= 1 && s.tokens() <= 5);
            assertEquals(s.output().chars().filter(ch -> ch == ' ').count(), s.result().reward(), 0);
            assertEquals(s.output(), b.samples().get(i).output(), "sample " + i + " follows from the seed");
        }
    }

    @Test
    void greedyEvalScoresTheSamplersGreedyCompletions() {
        List<String> seen = new ArrayList<>();
        RewardFunction length = RewardFunction.perSample((item, output) -> {
            seen.add(output);
            return RewardResult.of(output.length());
        });
        Map<String, Double> metrics = GreedyEval.evaluate(model, items(), length, 16, 6, 1.0, manager);
        Sampler.Completions greedy = Sampler.sample(model, Sampler.PromptBatch.of(model.tokenizer(), PROMPTS, 16), 6,
                Sampler.Decoding.greedy(), true, manager);
        assertEquals(List.of(greedy.texts()), seen);
        double mean = seen.stream().mapToInt(String::length).average().orElseThrow();
        assertEquals(mean, metrics.get(MetricNames.EVAL_REWARD_MEAN), 1e-9);
    }
}
