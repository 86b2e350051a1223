package dev.tropism.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.tropism.engine.Engine;
import dev.tropism.engine.MetricNames;
import dev.tropism.engine.TrainingRun;
import dev.tropism.engine.lm.CharTokenizer;
import dev.tropism.engine.lm.Gpt;
import dev.tropism.engine.lm.GptConfig;
import dev.tropism.engine.lm.LanguageModel;
import dev.tropism.engine.lm.PretrainConfig;
import dev.tropism.engine.lm.PretrainSpec;
import dev.tropism.engine.lm.Sampler;
import dev.tropism.engine.lm.TimedDecode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/** Engine measurements for docs/benchmarks.md: matmul peak, pretraining MFU, KV-cache speed-up. */
final class EngineBenchmarks {

    private EngineBenchmarks() {
    }

    /** fp32 matmul throughput through DJL on this machine, GFLOP/s (best of several 512³ products). */
    static double matmulPeakGflops() {
        int n = 512;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.randomNormal(new Shape(n, n));
            NDArray b = m.randomNormal(new Shape(n, n));
            for (int i = 0; i < 5; i++) {
                try (NDManager s = m.newSubManager()) {
                    a.matMul(b).attach(s);
                }
            }
            double best = 0;
            for (int rep = 0; rep < 5; rep++) {
                int iters = 40;
                long t0 = System.nanoTime();
                try (NDManager s = m.newSubManager()) {
                    for (int i = 0; i < iters; i++) {
                        NDArray c = a.matMul(b);
                        c.attach(s);
                    }
                    s.getManagedArrays(); // results are materialized synchronously on CPU
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                best = Math.max(best, 2.0 * n * n * n * iters / seconds / 1e9);
            }
            return best;
        }
    }

    /** Pretraining throughput and model FLOP utilization. */
    record Pretraining(long parameters, int blockSize, int batchSize, double tokensPerSecond, double flopsPerToken,
            double achievedGflops) {
    }

    /**
     * Trains the DJL-notes reference shape (4 layers, d = 128, 4 heads, context 64) at batch 64 on
     * full-length lines; FLOPs per token by nanoGPT's estimate 6N + 12·L·d·T (PaLM, Appendix B).
     */
    static Pretraining pretraining(int steps) {
        GptConfig shape = new GptConfig(4, 128, 4, 64, 32);
        Random rng = new Random(1);
        List<String> corpus = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            StringBuilder sb = new StringBuilder();
            while (sb.length() < 63) {
                int a = rng.nextInt(100);
                int b = rng.nextInt(100);
                sb.append(a).append('+').append(b).append('=').append(a + b).append(' ');
            }
            corpus.add(sb.substring(0, 63));
        }
        PretrainConfig cfg = new PretrainConfig(steps, 64, 1e-3, 0.1, 10, 0.1, 1.0, 0, 0.0, 0.0, 500, 8);
        try (TrainingRun run = Engine.open(new PretrainSpec(shape, cfg, corpus, 1))) {
            List<Double> tps = new ArrayList<>();
            long params = 0;
            while (run.step() < run.totalSteps()) {
                double v = run.trainStep().get(MetricNames.PERF_TOKENS_PER_SECOND);
                if (run.step() > 5) {
                    tps.add(v); // skip warm-up steps
                }
            }
            Collections.sort(tps);
            double median = tps.get(tps.size() / 2);
            params = new GptConfig(4, 128, 4, 64, CharTokenizer.fit(corpus).vocabSize()).approxParameters();
            double flopsPerToken = 6.0 * params + 12.0 * shape.nLayer() * shape.nEmbd() * shape.blockSize();
            return new Pretraining(params, shape.blockSize(), 64, median, flopsPerToken, median * flopsPerToken / 1e9);
        }
    }

    /** Sampling throughput with and without the KV cache. */
    record Sampling(int batch, int newTokens, double cachedTokensPerSecond, double uncachedTokensPerSecond) {
    }

    static Sampling sampling(int batch, int newTokens) {
        CharTokenizer tok = CharTokenizer.fit(List.of("0123456789+= "));
        try (NDManager m = NDManager.newBaseManager();
                LanguageModel lm = new LanguageModel(Gpt.initialize(new GptConfig(4, 128, 4, 80, tok.vocabSize()), 1, m), tok)) {
            List<String> prompts = new ArrayList<>();
            for (int i = 0; i < batch; i++) {
                prompts.add((i % 90 + 10) + "+");
            }
            Sampler.PromptBatch pb = Sampler.PromptBatch.of(tok, prompts, 16);
            double cached = 0;
            double uncached = 0;
            for (int rep = 0; rep < 3; rep++) {
                cached = Math.max(cached, tokensPerSecond(lm, pb, newTokens, true, m));
                uncached = Math.max(uncached, tokensPerSecond(lm, pb, newTokens, false, m));
            }
            return new Sampling(batch, newTokens, cached, uncached);
        }
    }

    private static double tokensPerSecond(LanguageModel lm, Sampler.PromptBatch pb, int newTokens, boolean cache,
            NDManager m) {
        // Counts the tokens actually generated. Temperature sampling over this random model draws EOS about once in
        // 14 tokens, so most rows end early while the batch decodes until its last row ends (about 950 tokens counted
        // of some 3,500 row-steps computed): the rate reads well below the per-row decode rate that
        // engine.lm.SamplerBenchmark measures at the PyTorch anchor's shape (no EOS). The cached/uncached ratio counts
        // the same tokens on both sides.
        return TimedDecode.run(lm, pb, newTokens, new Sampler.Decoding(1.0, 1.0, new Random(3)), cache, m).tokensPerSecond();
    }
}
