package dev.tropism.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.demo.DemoProperties;
import dev.tropism.demo.DemoScenario;
import dev.tropism.jobs.ProcessMemory;
import dev.tropism.teams.TeamService;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * The benchmark behind docs/benchmarks.md: {@code ./mvnw -Pbench test}. It runs the README's demo
 * through the service on embedded defaults (H2, local object store), reads its GRPO timings, accuracy
 * and memory back from the job's stored metrics, then measures the engine (matmul peak, pretraining
 * MFU, KV-cache speed-up). It prints a table and rewrites the measured section of the file.
 * Targets are reported, not asserted (a noisy shared VM is no place for timing assertions); only the
 * demo's own success is asserted.
 */
@Tag("bench")
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class TropismBenchmark {

    private static final Path DATA;

    static {
        try {
            DATA = Files.createTempDirectory("tropism-bench-");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @DynamicPropertySource
    static void embeddedDefaults(DynamicPropertyRegistry r) {
        r.add("tropism.data-dir", DATA::toString);
    }

    @LocalServerPort
    int port;

    @Autowired
    TeamService teams;

    @Test
    void benchmark() throws Exception {
        TeamService.TeamView team = teams.create("bench");
        TeamService.NewKey key = teams.createKey(team.id(), "bench");
        DemoScenario demo = new DemoScenario("http://localhost:" + port, key.key(), new DemoProperties(true, false, 1500, 0.3, 200, 1, "arithmetic", "", 1e-3, "char"),
                line -> System.out.println("bench | " + line));
        DemoScenario.Result r = demo.run();
        JsonNode m = demo.metrics(r.grpoJob(), "perf/rollout_seconds,perf/reward_seconds,perf/update_seconds,"
                + "perf/bookkeeping_seconds,perf/step_seconds,perf/rss_mib");
        double rollout = mean(m.path("perf/rollout_seconds"));
        double reward = mean(m.path("perf/reward_seconds"));
        double update = mean(m.path("perf/update_seconds"));
        double bookkeeping = mean(m.path("perf/bookkeeping_seconds"));
        double step = mean(m.path("perf/step_seconds"));
        double iteration = step + bookkeeping;
        List<Double> rss = values(m.path("perf/rss_mib"));
        // The JVM heap and the allocator warm up over the first steps; a leak shows as growth after that.
        int n = rss.size();
        double rssEarly = rss.subList(n / 4, n / 4 + Math.min(20, n / 4)).stream().mapToDouble(Double::doubleValue).max().orElse(0);
        double rssLate = rss.subList(Math.max(0, n - 20), n).stream().mapToDouble(Double::doubleValue).max().orElse(0);
        // The demo runs first, so this high-water mark is the service's own (the engine measurements
        // below allocate larger models in the same JVM).
        double peakRss = ProcessMemory.peakResidentMiB().orElse(Double.NaN);

        double peak = EngineBenchmarks.matmulPeakGflops();
        EngineBenchmarks.Pretraining pre = EngineBenchmarks.pretraining(60);
        EngineBenchmarks.Sampling sampling = EngineBenchmarks.sampling(64, 64);

        double mfu = pre.achievedGflops() / peak;
        double speedup = sampling.cachedTokensPerSecond() / sampling.uncachedTokensPerSecond();
        double share = bookkeeping / iteration;
        List<String> rows = new ArrayList<>();
        rows.add("| measure | result | target |");
        rows.add("|---|---|---|");
        rows.add(String.format("| fp32 matmul peak (512³, DJL/PyTorch CPU) | %.1f GFLOP/s | (reference) |", peak));
        rows.add(String.format("| pretraining throughput (%,d params, context %d, batch %d) | %,.0f tokens/s = %.1f GFLOP/s | |",
                pre.parameters(), pre.blockSize(), pre.batchSize(), pre.tokensPerSecond(), pre.achievedGflops()));
        rows.add(String.format("| pretraining MFU (6N + 12·L·d·T FLOPs/token vs. matmul peak) | %.0f%% | ≥ 50%% |", 100 * mfu));
        rows.add(String.format("| sampling, batch %d × %d new tokens, KV cache | %,.0f tokens/s | |", sampling.batch(),
                sampling.newTokens(), sampling.cachedTokensPerSecond()));
        rows.add(String.format("| sampling, same, no cache | %,.0f tokens/s | |", sampling.uncachedTokensPerSecond()));
        rows.add(String.format("| KV-cache speed-up at %d new tokens | %.1fx | ≥ 5x |", sampling.newTokens(), speedup));
        rows.add(String.format("| GRPO iteration (64 prompts × 8 samples), mean | %.3f s | |", iteration));
        rows.add(String.format("| ↳ rollout | %.3f s (%.0f%%) | |", rollout, 100 * rollout / iteration));
        rows.add(String.format("| ↳ reward | %.4f s (%.1f%%) | |", reward, 100 * reward / iteration));
        rows.add(String.format("| ↳ update | %.3f s (%.0f%%) | |", update, 100 * update / iteration));
        rows.add(String.format("| ↳ bookkeeping (DB writes, events, checkpoints, batch) | %.4f s (%.1f%%) | ≤ 5%% |", bookkeeping,
                100 * share));
        rows.add(String.format("| demo: held-out greedy accuracy, base → aligned (%d problems) | %.1f%% → %.1f%% (%+.1f points) | base 20–70%%, ≥ +10 |",
                r.evalProblems(), 100 * r.baseAccuracy(), 100 * r.alignedAccuracy(),
                100 * (r.alignedAccuracy() - r.baseAccuracy())));
        rows.add(String.format("| demo wall time (pretraining %.0f s + GRPO %.0f s) | %.0f s | ≤ 900 s |", r.pretrainSeconds(),
                r.grpoSeconds(), r.wallSeconds()));
        rows.add(String.format("| peak RSS of the service process (VmHWM) | %.0f MiB | ≤ 2048 MiB |", peakRss));
        rows.add(String.format("| RSS during GRPO, max over steps %d–%d vs. the last 20 steps | %.0f → %.0f MiB | flat |",
                n / 4 + 1, n / 4 + Math.min(20, n / 4), rssEarly, rssLate));
        String table = String.join("\n", rows);
        System.out.println(table);
        BenchmarkDocs.writeSection("bench", "./mvnw -Pbench test", table);

        assertThat(r.evalProblems()).isGreaterThanOrEqualTo(500);
    }

    private static List<Double> values(JsonNode series) {
        List<Double> out = new ArrayList<>();
        for (JsonNode p : series) {
            out.add(p.path("value").asDouble());
        }
        return out;
    }

    private static double mean(JsonNode series) {
        return values(series).stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }
}
