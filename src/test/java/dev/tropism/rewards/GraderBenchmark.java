package dev.tropism.rewards;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import dev.tropism.bench.BenchmarkDocs;
import dev.tropism.engine.RewardBatch;
import dev.tropism.engine.RewardResult;
import dev.tropism.engine.ScoringContext;
import dev.tropism.engine.lm.CharTokenizer;
import dev.tropism.engine.lm.Gpt;
import dev.tropism.engine.lm.GptConfig;
import dev.tropism.engine.lm.LanguageModel;
import dev.tropism.engine.lm.LmScoringContext;
import dev.tropism.engine.rm.RewardModel;
import dev.tropism.rewards.model.RewardModelGrader;
import dev.tropism.rewards.webhook.WebhookGrader;
import dev.tropism.rewards.webhook.WebhookProperties;
import dev.tropism.rewards.webhook.WebhookTransport;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Grader throughput: samples scored per second by each grader type, on GRPO-shaped batches (64 prompts
 * × 8 samples of arithmetic answers), on one thread and on two threads scoring batches side by side.
 * Run with {@code ./mvnw -Pbench test -Dtest=GraderBenchmark}; rewrites the {@code graders} section of
 * docs/benchmarks.md.
 */
@Tag("bench")
class GraderBenchmark {

    static final int PROMPTS = 64;
    static final int G = 8;
    static final long WARMUP_NANOS = 500_000_000L;
    static final long MEASURE_NANOS = 2_000_000_000L;
    /** Graders that call a model are much slower: a shorter window still scores thousands of samples. */
    static final long MODEL_MEASURE_NANOS = 4_000_000_000L;

    static RewardBatch batch(Random rng, ScoringContext context) {
        List<Map<String, Object>> items = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        for (int p = 0; p < PROMPTS; p++) {
            int a = rng.nextInt(1000);
            int b = rng.nextInt(1000);
            Map<String, Object> item = Map.of("prompt", a + "+" + b + "=", "answer", Integer.toString(a + b));
            for (int s = 0; s < G; s++) {
                int guess = a + b + (rng.nextInt(3) - 1) * rng.nextInt(5);
                String text = switch (s % 4) {
                    case 0 -> Integer.toString(guess);
                    case 1 -> "the answer is " + guess;
                    case 2 -> "{\"answer\": " + guess + ", \"steps\": [\"" + a + "\", \"" + b + "\"]}";
                    default -> String.format(Locale.ROOT, "%,d", guess * 1000);
                };
                items.add(item);
                outputs.add(text);
            }
        }
        return new RewardBatch(items, outputs, G, context);
    }

    static final String EXACT = "{\"type\":\"string_check\",\"name\":\"exact\",\"input\":\"{{sample.output_text}}\","
            + "\"reference\":\"{{item.answer}}\",\"operation\":\"eq\"}";
    static final String NUMERIC = "{\"type\":\"numeric\",\"name\":\"num\",\"reference\":\"{{item.answer}}\",\"rel_tol\":0.01}";
    static final String REGEX = "{\"type\":\"regex\",\"name\":\"re\",\"pattern\":\"(?:answer is |^)(-?\\\\d+)$\",\"extract\":1}";

    static Map<String, String> specs() {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("string_check", EXACT);
        s.put("regex", REGEX);
        s.put("numeric", NUMERIC);
        s.put("json (schema + equals)", "{\"type\":\"json\",\"name\":\"j\",\"schema\":{\"type\":\"object\",\"required\":[\"answer\"],"
                + "\"properties\":{\"answer\":{\"type\":\"integer\"}}},\"equals\":{\"answer\":\"{{item.answer}}\"}}");
        s.put("length (range + overlong)", "{\"type\":\"length\",\"name\":\"len\",\"min\":1,\"max\":8,\"falloff\":4,"
                + "\"overlong\":{\"max_length\":16,\"cache\":4}}");
        for (String metric : List.of("fuzzy_ratio", "bleu", "rouge_l", "char_ngram_cosine")) {
            s.put("text_similarity " + metric, "{\"type\":\"text_similarity\",\"name\":\"sim\",\"reference\":"
                    + "\"the answer is {{item.answer}}\",\"metric\":\"" + metric + "\"}");
        }
        s.put("checks (3 checks)", "{\"type\":\"checks\",\"name\":\"c\",\"checks\":[" + EXACT + "," + REGEX + ","
                + NUMERIC + "]}");
        s.put("multi (weights)", "{\"type\":\"multi\",\"name\":\"m\",\"graders\":{\"a\":" + EXACT + ",\"b\":" + NUMERIC
                + "},\"weights\":{\"a\":0.7,\"b\":0.3}}");
        s.put("multi (formula)", "{\"type\":\"multi\",\"name\":\"m\",\"graders\":{\"a\":" + EXACT + ",\"b\":" + NUMERIC
                + "},\"formula\":\"0.7*a + 0.3*max(b, a)\"}");
        s.put("gated", "{\"type\":\"gated\",\"name\":\"g\",\"outcome\":" + NUMERIC + ",\"dense\":{\"r\":" + REGEX + "}}");
        return s;
    }

    record Rate(double oneThread, double twoThreads) {
    }

    static Rate measure(Grader grader, List<RewardBatch> batches, long window) throws InterruptedException {
        GraderRewardFunction fn = new GraderRewardFunction(grader);
        run(fn, batches, WARMUP_NANOS, 1);
        double one = run(fn, batches, window, 1);
        double two = run(fn, batches, window, 2);
        return new Rate(one, two);
    }

    /** Samples per second scored by {@code threads} threads over {@code window} nanoseconds. */
    static double run(GraderRewardFunction fn, List<RewardBatch> batches, long window, int threads)
            throws InterruptedException {
        AtomicLong samples = new AtomicLong();
        Thread[] ts = new Thread[threads];
        long start = System.nanoTime();
        for (int t = 0; t < threads; t++) {
            int offset = t;
            ts[t] = new Thread(() -> {
                int i = offset;
                while (System.nanoTime() - start < window) {
                    RewardBatch b = batches.get(i++ % batches.size());
                    List<RewardResult> r = fn.score(b);
                    samples.addAndGet(r.size());
                }
            });
            ts[t].start();
        }
        for (Thread t : ts) {
            t.join();
        }
        return samples.get() / ((System.nanoTime() - start) / 1e9);
    }

    @Test
    void graderThroughput() throws Exception {
        Random rng = new Random(1);
        List<RewardBatch> batches = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            batches.add(batch(rng, ScoringContext.NONE));
        }
        StringBuilder table = new StringBuilder("| grader | samples/s, 1 thread | samples/s, 2 threads | target |\n|---|---|---|---|\n");
        Map<String, Rate> rates = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : specs().entrySet()) {
            Rate r = measure(GraderTests.compile(e.getValue()), batches, MEASURE_NANOS);
            rates.put(e.getKey(), r);
            boolean targeted = List.of("string_check", "regex", "numeric").contains(e.getKey());
            row(table, e.getKey(), r, targeted ? "≥ 50,000 (2 cores)" : "");
        }
        // webhook: a loopback scorer (JDK HttpServer, exact match), batches of 64, 4 in flight.
        WebhookTransport transport = new WebhookTransport(WebhookProperties.allowing(List.of("127.0.0.1"),
                WebhookGraderTest.BREAKER));
        try (ScorerServer server = ScorerServer.start((body, call) -> ScorerServer.Answer.ok(ScorerServer.exactMatch(body)))) {
            GraderCompiler compiler = GraderCompiler.standard(List.of(new WebhookGrader.Type(transport)));
            Grader hook = compiler.compile(GraderTests.JSON.readTree("{\"type\":\"webhook\",\"name\":\"hook\",\"url\":\""
                    + server.url() + "\",\"batch_size\":64,\"max_concurrency\":4}"), "/grader").grader();
            row(table, "webhook (loopback scorer, 64 per request, 4 in flight)", measure(hook, batches, MEASURE_NANOS), "");
        } finally {
            transport.close();
        }
        // Graders that ask a model: a 4-layer d = 128 tiny GPT (the demo's shape) as policy, reference and
        // reward-model backbone.
        try (NDManager m = NDManager.newBaseManager()) {
            CharTokenizer tok = CharTokenizer.fit(List.of("0123456789+=,{}\":[] abcdefghijklmnopqrstuvwxyz"));
            LanguageModel model = new LanguageModel(Gpt.initialize(new GptConfig(4, 128, 4, 64, tok.vocabSize()), 1, m), tok);
            java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("bench-rm-");
            model.save(dir);
            try (RewardModel rm = RewardModel.fromLanguageModel(dir, 0, 1, m)) {
                RewardModelScorer scorer = new RewardModelScorer() {
                    @Override
                    public java.util.Optional<String> unusable(String teamId, String modelId) {
                        return java.util.Optional.empty();
                    }

                    @Override
                    public double[] score(String teamId, String modelId, List<String> prompts, List<String> completions) {
                        return rm.score(prompts, completions);
                    }
                };
                Grader g = GraderCompiler.standard(List.of(new RewardModelGrader.Type(scorer))).compile(GraderTests.JSON
                        .readTree("{\"type\":\"reward_model\",\"name\":\"rm\",\"model\":\"model_x\"}"), "/grader", "team_x").grader();
                row(table, "reward_model (tiny GPT backbone + scalar head)", measure(g, batches, MODEL_MEASURE_NANOS), "");
            }
            LmScoringContext ctx = new LmScoringContext(model, model, 1, 32, 16, 1.0, 1.0, m);
            List<RewardBatch> modelBatches = List.of(batch(rng, ctx), batch(rng, ctx));
            String likelihood = "{\"type\":\"likelihood\",\"name\":\"lik\",\"reference\":\"{{item.answer}}\"}";
            String shaped = "{\"type\":\"shaped\",\"name\":\"par\",\"references\":4,\"grader\":" + NUMERIC + "}";
            for (Map.Entry<String, String> e : Map.of("likelihood (tiny GPT, batched forward)", likelihood,
                    "shaped PAR, M = 4 (reference samples cached per prompt)", shaped).entrySet()) {
                GraderRewardFunction fn = new GraderRewardFunction(GraderTests.compile(e.getValue()));
                run(fn, modelBatches, WARMUP_NANOS, 1);
                row(table, e.getKey(), new Rate(run(fn, modelBatches, MODEL_MEASURE_NANOS, 1), Double.NaN), "");
            }
        }
        String out = table.toString();
        System.out.println(out);
        BenchmarkDocs.writeSection("graders", "./mvnw -Pbench test -Dtest=GraderBenchmark", out);
        for (String fast : List.of("string_check", "regex", "numeric")) {
            assertThat(rates.get(fast).twoThreads()).as(fast).isGreaterThan(0);
        }
    }

    static void row(StringBuilder table, String name, Rate r, String target) {
        table.append(String.format(Locale.ROOT, "| %s | %,.0f | %s | %s |%n", name, r.oneThread(),
                Double.isNaN(r.twoThreads()) ? "—" : String.format(Locale.ROOT, "%,.0f", r.twoThreads()), target));
    }
}
