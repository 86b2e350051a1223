package dev.tropism.engine.serve;

import static dev.tropism.engine.serve.ServeFixtures.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.tropism.engine.hf.HfTestModels;
import dev.tropism.engine.lm.LanguageModel;
import dev.tropism.engine.lm.Sampler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An imported model served by the {@link Generator}: a tiny random llama with GPT-2's real 50,257-token BPE
 * ({@link HfTestModels#tinyLlama}), whose tokens are chosen on the device ({@link DevicePicker}). Greedy serving equals
 * the sampler's greedy decoding, a seeded request equals the sampler's draw with the same seed, and a seed gives the
 * same tokens alone or batched with other requests.
 */
class GeneratorImportedTest {

    private static final List<String> PROMPTS = List.of("Hello world", "The cat sat", "12+3=", "a b c d e f");
    private static final int MAX_NEW = 10;

    @TempDir
    static Path tmp;
    private static NDManager manager;
    private static LanguageModel model;

    @BeforeAll
    static void load() throws Exception {
        manager = NDManager.newBaseManager();
        model = LanguageModel.load(HfTestModels.tinyLlama(Files.createDirectories(tmp.resolve("llama"))), manager);
    }

    @AfterAll
    static void close() {
        model.close();
        manager.close();
    }

    /** The ids a result generated: its logprobs' ids, plus EOS when it stopped on one. */
    private static int[] ids(GenerationResult r) {
        int[] ids = r.logprobs().stream().mapToInt(TokenLogprob::id).toArray();
        return r.completionTokens() > ids.length ? append(ids, model.tokenizer().eos()) : ids;
    }

    private static int[] append(int[] a, int v) {
        int[] out = Arrays.copyOf(a, a.length + 1);
        out[a.length] = v;
        return out;
    }

    /** The sampler's completion of {@code prompt} alone, with the KV cache. */
    private static int[] sampled(String prompt, Sampler.Decoding d) {
        Sampler.Completions c = Sampler.sample(model, Sampler.PromptBatch.of(model.tokenizer(), List.of(prompt), 48),
                MAX_NEW, d, true, manager);
        return Arrays.copyOf(c.tokens()[0], c.lengths()[0]);
    }

    private static GenerationRequest request(String prompt, double temperature, double topP, long seed) {
        return GenerationRequest.builder(prompt).maxTokens(MAX_NEW).temperature(temperature).topP(topP).seed(seed)
                .logprobs(2).build();
    }

    @Test
    void greedyServingEqualsTheSamplersGreedyDecoding() {
        try (Generator g = new Generator(model, GeneratorConfig.DEFAULT)) {
            for (String p : PROMPTS) {
                GenerationResult r = await(g.submit(request(p, 0, 1, 1), GenerationListener.NONE));
                assertEquals(FinishReason.LENGTH, r.finishReason(), r.error());
                int[] expected = sampled(p, Sampler.Decoding.greedy());
                assertArrayEquals(expected, ids(r), p);
                assertEquals(model.tokenizer().decode(expected, 0, expected.length), r.text(), p);
                assertEquals(model.tokenizer().start(model.tokenizer().encode(p)).length, r.promptTokens());
                for (TokenLogprob lp : r.logprobs()) { // greedy: the chosen id is the most likely one
                    assertEquals(lp.id(), lp.top().get(0).id());
                    assertEquals(lp.logprob(), lp.top().get(0).logprob(), 1e-6);
                    assertTrue(lp.logprob() <= 0 && lp.top().get(1).logprob() <= lp.logprob());
                }
            }
        }
    }

    @Test
    void aSeedGivesTheSamplersDrawAloneOrBatched() throws Exception {
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < 8; i++) { // mixed: top-p on and off, one greedy row
            requests.add(request(PROMPTS.get(i % PROMPTS.size()), i == 5 ? 0 : 0.7 + 0.1 * (i % 3),
                    i % 2 == 0 ? 1.0 : 0.9, 100 + i));
        }
        List<int[]> alone = new ArrayList<>();
        try (Generator g = new Generator(model, new GeneratorConfig(1, 64))) {
            for (GenerationRequest r : requests) {
                alone.add(ids(await(g.submit(r, GenerationListener.NONE))));
            }
        }
        for (int i = 0; i < requests.size(); i++) {
            GenerationRequest r = requests.get(i);
            Sampler.Decoding d = r.greedy() ? Sampler.Decoding.greedy()
                    : new Sampler.Decoding(r.temperature(), r.topP(), new Random(r.seed()));
            assertArrayEquals(sampled(r.prompt(), d), alone.get(i), "request " + i + " vs the sampler");
        }
        try (Generator g = new Generator(model, new GeneratorConfig(8, 64))) {
            List<GenerationHandle> handles = new ArrayList<>();
            for (GenerationRequest r : requests) {
                handles.add(g.submit(r, GenerationListener.NONE));
            }
            for (int i = 0; i < requests.size(); i++) {
                assertArrayEquals(alone.get(i), ids(await(handles.get(i))), "request " + i + " batched");
            }
        }
        // another seed draws other tokens, so the equalities above are not vacuous
        try (Generator g = new Generator(model, GeneratorConfig.DEFAULT)) {
            int[] other = ids(await(g.submit(request(PROMPTS.get(0), 0.7, 1.0, 7), GenerationListener.NONE)));
            assertFalse(Arrays.equals(alone.get(0), other));
        }
    }
}
