package dev.tropism.engine.serve;

import static dev.tropism.engine.serve.ServeFixtures.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.tropism.engine.ConfigException;
import dev.tropism.engine.lm.LanguageModel;
import dev.tropism.engine.lm.Sampler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class GeneratorTest {

    private static final List<String> PROMPTS = List.of("1+2=", "12+345=", "9", "a+b=", "77", "3+3=6 ", "", "ab+ba=");
    private static NDManager manager;
    private static LanguageModel model; // may end with EOS
    private static LanguageModel endless; // greedy never picks EOS

    @BeforeAll
    static void models() {
        manager = NDManager.newBaseManager();
        model = ServeFixtures.model(manager, 32, false);
        endless = ServeFixtures.model(manager, 24, true);
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    private static GenerationRequest greedy(String prompt, int maxTokens) {
        return GenerationRequest.builder(prompt).temperature(0).maxTokens(maxTokens).build();
    }

    private static GenerationResult run(Generator g, GenerationRequest r) {
        return await(g.submit(r, GenerationListener.NONE));
    }

    @Test
    void greedyEqualsTheSamplersGreedyOutput() {
        try (Generator g = new Generator(model, GeneratorConfig.DEFAULT)) {
            int stops = 0;
            for (String p : PROMPTS) {
                int maxNew = 32 - (p.length() + 1);
                Sampler.Completions c = Sampler.sample(model, Sampler.PromptBatch.of(model.tokenizer(), List.of(p), 32),
                        maxNew, Sampler.Decoding.greedy(), true, manager);
                GenerationResult r = run(g, greedy(p, maxNew));
                assertEquals(c.texts()[0], r.text(), p);
                assertEquals(c.lengths()[0], r.completionTokens(), p);
                assertEquals(c.truncated()[0] ? FinishReason.LENGTH : FinishReason.STOP, r.finishReason(), p);
                assertEquals(p.length() + 1, r.promptTokens());
                stops += r.finishReason() == FinishReason.STOP ? 1 : 0;
            }
            assertTrue(stops > 0 && stops < PROMPTS.size(), "both EOS and length endings are covered: " + stops);
        }
    }

    /** Mixed sampling parameters: request i's seed, temperature and top_p. */
    private static GenerationRequest sampled(int i) {
        return GenerationRequest.builder(PROMPTS.get(i % PROMPTS.size())).maxTokens(20).seed(1000L + i)
                .temperature(i % 5 == 4 ? 0 : 0.6 + 0.2 * (i % 3)).topP(i % 2 == 0 ? 1.0 : 0.9).logprobs(2).build();
    }

    @Test
    void theSameSeedGivesTheSameTextAloneOrBatchedWithRequestsJoiningMidFlight() throws Exception {
        int n = 24;
        List<GenerationResult> alone = new ArrayList<>();
        try (Generator g = new Generator(model, new GeneratorConfig(1, 64))) {
            for (int i = 0; i < n; i++) {
                alone.add(run(g, sampled(i)));
            }
        }
        List<GenerationHandle> handles = new ArrayList<>();
        int joinedMidFlight = 0;
        try (Generator g = new Generator(model, new GeneratorConfig(8, 64))) {
            // waves of 6: each wave is submitted once the previous one has streamed a few tokens
            for (int wave = 0; wave < n / 6; wave++) {
                CountDownLatch streaming = new CountDownLatch(6 * 3);
                for (int i = wave * 6; i < wave * 6 + 6; i++) {
                    handles.add(g.submit(sampled(i), d -> {
                        streaming.countDown();
                        sleep(1); // keep rows alive a little, so the batch really mixes
                    }));
                }
                streaming.await(10, TimeUnit.SECONDS);
                joinedMidFlight += (int) handles.stream().filter(h -> !h.isDone()).count();
            }
            for (int i = 0; i < n; i++) {
                GenerationResult b = await(handles.get(i));
                GenerationResult a = alone.get(i);
                assertEquals(a.text(), b.text(), "request " + i);
                assertEquals(a.finishReason(), b.finishReason(), "request " + i);
                assertEquals(a.completionTokens(), b.completionTokens(), "request " + i);
                assertEquals(a.logprobs().size(), b.logprobs().size());
                for (int t = 0; t < a.logprobs().size(); t++) {
                    assertEquals(a.logprobs().get(t).logprob(), b.logprobs().get(t).logprob(), 1e-4, "request " + i);
                }
            }
        }
        assertTrue(joinedMidFlight > 0, "requests must have been running while others joined");
        // different seeds give different texts, so the equality above is not vacuous
        assertNotEquals(alone.get(0).text(), run(new Generator(model, GeneratorConfig.DEFAULT), GenerationRequest
                .builder(PROMPTS.get(0)).maxTokens(20).seed(7L).temperature(0.6).build()).text());
    }

    @Test
    void stopStringsCutTheTextIncludingOneSpanningTwoTokens() {
        try (Generator g = new Generator(endless, GeneratorConfig.DEFAULT)) {
            String full = run(g, greedy("1+2=", 12)).text();
            assertEquals(12, full.length());
            String stop = full.substring(3, 5); // two tokens
            List<String> deltas = new CopyOnWriteArrayList<>();
            GenerationResult r = await(g.submit(GenerationRequest.builder("1+2=").temperature(0).maxTokens(12)
                    .stop(List.of("never", stop)).build(), d -> deltas.add(d.text())));
            assertEquals(full.substring(0, full.indexOf(stop)), r.text());
            assertEquals(FinishReason.STOP, r.finishReason());
            assertEquals(r.text(), String.join("", deltas));
            assertEquals(full.indexOf(stop) + 2, r.completionTokens()); // the stop's tokens were generated
            GenerationResult none = run(g, GenerationRequest.builder("1+2=").temperature(0).maxTokens(12)
                    .stop(List.of("zz")).build());
            assertEquals(full, none.text());
            assertEquals(FinishReason.LENGTH, none.finishReason());
        }
    }

    @Test
    void maxTokensAndTheContextLimitEndWithLength() {
        try (Generator g = new Generator(endless, GeneratorConfig.DEFAULT)) {
            GenerationResult r = run(g, greedy("12+3=", 3));
            assertEquals(3, r.completionTokens());
            assertEquals(3, r.text().length());
            assertEquals(FinishReason.LENGTH, r.finishReason());
            // block 24: BOS + 5 prompt tokens leave 18 positions
            GenerationResult full = run(g, greedy("12+3=", 100));
            assertEquals(18, full.completionTokens());
            assertEquals(FinishReason.LENGTH, full.finishReason());
            assertTrue(full.text().startsWith(r.text()));
            // the longest prompt that leaves one position, and one that leaves none
            assertEquals(1, run(g, greedy("1".repeat(22), 100)).completionTokens());
            ConfigException e = assertThrows(ConfigException.class, () -> g.submit(greedy("1".repeat(23), 1), null));
            assertEquals("prompt", e.field());
        }
    }

    @Test
    void cancellationStopsGenerationPromptly() throws Exception {
        try (Generator g = new Generator(endless, GeneratorConfig.DEFAULT)) {
            AtomicInteger seen = new AtomicInteger();
            GenerationHandle[] self = new GenerationHandle[1];
            CountDownLatch submitted = new CountDownLatch(1);
            self[0] = g.submit(greedy("1", 100), d -> {
                block(submitted);
                if (seen.incrementAndGet() == 3) {
                    self[0].cancel(); // the client disconnects after the third delta
                }
            });
            submitted.countDown();
            GenerationResult r = await(self[0]);
            assertEquals(FinishReason.CANCELLED, r.finishReason());
            assertEquals(3, r.completionTokens()); // no step ran after the cancel
            assertEquals(3, seen.get());

            // a listener that throws is a client that went away: nothing more is streamed to it
            AtomicInteger calls = new AtomicInteger();
            GenerationResult thrown = await(g.submit(greedy("2", 100), d -> {
                calls.incrementAndGet();
                throw new IllegalStateException("broken pipe");
            }));
            assertEquals(FinishReason.CANCELLED, thrown.finishReason());
            assertEquals(1, calls.get());
            assertEquals(1, thrown.completionTokens());
        }
    }

    private static void block(CountDownLatch l) {
        try {
            l.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void aDeadlineEndsTheRequestWithTimeoutAndItsTextSoFar() {
        try (Generator g = new Generator(endless, GeneratorConfig.DEFAULT)) {
            List<String> deltas = new CopyOnWriteArrayList<>();
            GenerationResult r = await(g.submit(GenerationRequest.builder("1").temperature(0).maxTokens(100)
                    .timeout(Duration.ofMillis(150)).build(), d -> {
                        deltas.add(d.text());
                        sleep(40);
                    }));
            assertEquals(FinishReason.TIMEOUT, r.finishReason());
            assertTrue(r.completionTokens() >= 2 && r.completionTokens() <= 6, "tokens " + r.completionTokens());
            assertEquals(String.join("", deltas), r.text());
            assertTrue(r.totalNanos() < TimeUnit.MILLISECONDS.toNanos(600), "ms " + r.totalNanos() / 1e6);
        }
    }

    @Test
    void aFullQueueRejectsImmediatelyAndCancelledWaitersLeaveAtOnce() throws Exception {
        try (Generator g = new Generator(endless, new GeneratorConfig(1, 1))) {
            CountDownLatch running = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            GenerationHandle first = g.submit(greedy("1", 4), d -> {
                running.countDown();
                block(release); // the decoding thread is busy with this one
            });
            assertTrue(running.await(10, TimeUnit.SECONDS));
            GenerationHandle waiting = g.submit(greedy("2", 4), null);
            long t0 = System.nanoTime();
            QueueFullException e = assertThrows(QueueFullException.class, () -> g.submit(greedy("3", 4), null));
            assertTrue(System.nanoTime() - t0 < TimeUnit.MILLISECONDS.toNanos(100));
            assertTrue(e.retryAfter().toSeconds() >= 1);
            assertEquals(1, g.stats().queued());
            waiting.cancel();
            GenerationResult cancelled = waiting.result().get(1, TimeUnit.SECONDS); // while the thread is still blocked
            assertEquals(FinishReason.CANCELLED, cancelled.finishReason());
            assertEquals(0, cancelled.completionTokens());
            GenerationHandle again = g.submit(greedy("3", 4), null); // the place was freed
            release.countDown();
            assertEquals(4, await(first).completionTokens());
            assertEquals(FinishReason.LENGTH, await(again).finishReason());
        }
    }

    @Test
    void logprobsAreFiniteNonPositiveAndAlignedWithTheText() {
        try (Generator g = new Generator(model, GeneratorConfig.DEFAULT)) {
            for (int seed = 0; seed < 5; seed++) {
                GenerationResult r = run(g, GenerationRequest.builder("12+3=").maxTokens(12).seed((long) seed)
                        .logprobs(5).build());
                StringBuilder joined = new StringBuilder();
                for (TokenLogprob t : r.logprobs()) {
                    joined.append(t.token());
                    assertTrue(Double.isFinite(t.logprob()) && t.logprob() <= 0, "" + t);
                    assertEquals(5, t.top().size());
                    for (int k = 0; k < 5; k++) {
                        assertTrue(t.top().get(k).logprob() <= 0);
                        assertTrue(k == 0 || t.top().get(k).logprob() <= t.top().get(k - 1).logprob());
                    }
                    assertTrue(t.logprob() <= t.top().get(0).logprob());
                }
                assertEquals(r.text(), joined.toString());
            }
            assertTrue(run(g, greedy("1", 4)).logprobs().isEmpty()); // off unless asked for
        }
    }

    @Test
    void logprobIsTheLogSoftmaxOfTheLogits() {
        // logits (1, 2, 3): ln Z = ln(e + e² + e³) = 3.40760596, so ln p(id 2) = 3 − 3.40760596
        TokenLogprob t = Sequence.logprob(new float[] {9, 1, 2, 3}, 1, 3, 2, 2, model.tokenizer());
        assertEquals(-0.40760596, t.logprob(), 1e-6);
        assertEquals(2, t.top().get(0).id()); // ids are relative to the offset
        assertEquals(-1.40760596, t.top().get(1).logprob(), 1e-6);
    }

    @Test
    void closeFailsRunningAndWaitingRequestsCleanly() {
        Generator g = new Generator(endless, new GeneratorConfig(1, 8));
        List<GenerationHandle> hs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            hs.add(g.submit(greedy("1", 100), d -> sleep(10)));
        }
        sleep(50);
        g.close();
        for (GenerationHandle h : hs) {
            GenerationResult r = h.result().getNow(null);
            assertEquals(FinishReason.ERROR, r.finishReason());
            assertEquals("the generator was closed", r.error());
        }
        assertTrue(hs.get(0).result().getNow(null).completionTokens() > 0);
        assertEquals(0, hs.get(3).result().getNow(null).completionTokens());
        assertThrows(IllegalStateException.class, () -> g.submit(greedy("1", 1), null));
        g.close(); // idempotent
    }

    @Test
    void invalidRequestsNameTheirField() {
        assertEquals("max_tokens", assertThrows(ConfigException.class, () -> greedy("1", 0)).field());
        assertEquals("temperature", assertThrows(ConfigException.class,
                () -> GenerationRequest.builder("1").temperature(-1).build()).field());
        assertEquals("top_p", assertThrows(ConfigException.class,
                () -> GenerationRequest.builder("1").topP(0).build()).field());
        assertEquals("stop", assertThrows(ConfigException.class,
                () -> GenerationRequest.builder("1").stop(List.of("a", "")).build()).field());
        assertEquals("top_logprobs", assertThrows(ConfigException.class,
                () -> GenerationRequest.builder("1").logprobs(6).build()).field());
        assertEquals("timeout", assertThrows(ConfigException.class,
                () -> GenerationRequest.builder("1").timeout(Duration.ZERO).build()).field());
        assertEquals("max_batch", assertThrows(ConfigException.class, () -> new GeneratorConfig(0, 1)).field());
    }

    @Test
    void aLongRunningGeneratorDoesNotGrowInNativeMemory() throws Exception {
        try (Generator g = new Generator(model, new GeneratorConfig(8, 64))) {
            for (int wave = 0; wave < 20; wave++) {
                List<GenerationHandle> hs = new ArrayList<>();
                for (int i = 0; i < 16; i++) {
                    hs.add(g.submit(sampled(wave * 16 + i), null));
                }
                for (GenerationHandle h : hs) {
                    assertFalse(await(h).finishReason() == FinishReason.ERROR, () -> await(h).error());
                }
                // results complete inside the step; its arrays are freed when the step ends
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (g.liveArrays() > 0 && System.nanoTime() < until) {
                    sleep(1);
                }
                assertEquals(0, g.liveArrays(), "arrays left after wave " + wave);
            }
            assertEquals(320, g.stats().completed());
        }
    }
}
