package dev.tropism.jobs;

import dev.tropism.datasets.DatasetCatalog;
import dev.tropism.datasets.DatasetInfo;
import dev.tropism.datasets.DatasetPurpose;
import dev.tropism.engine.ConfigException;
import dev.tropism.engine.NonFiniteValueException;
import dev.tropism.engine.NumericalInstabilityException;
import dev.tropism.engine.RewardFunction;
import dev.tropism.engine.RewardResult;
import dev.tropism.engine.TrainingRun;
import dev.tropism.engine.rl.GrpoConfig;
import dev.tropism.rewards.RewardSpecCatalog;
import dev.tropism.rewards.RewardSpecInfo;
import dev.tropism.teams.Caller;
import dev.tropism.web.ApiException;
import dev.tropism.web.Ids;
import dev.tropism.web.Violation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Test doubles for the jobs machinery: an in-memory catalog of datasets and reward specs, and a
 * deterministic {@link TrainingRun} whose behaviour a job's {@code metadata} steers
 * ({@code step_millis}: sleep, {@code burn_millis}: keep a core busy, {@code fail_at_step}, {@code config_error}: the run fails to open with a
 * {@link ConfigException} of that reason; {@code halt_at_step}: in a {@link WorkerProcess} only, the step kills the
 * worker's JVM; {@code zero_std}: the {@code train/frac_reward_zero_std} every step reports).
 */
@TestConfiguration
public class JobsTestConfig {

    @Bean
    @Primary
    FakeCatalog fakeCatalog() {
        return new FakeCatalog();
    }

    @Bean
    @Primary
    RewardSpecCatalog fakeRewardSpecs(FakeCatalog catalog) {
        return catalog.rewardSpecs;
    }

    @Bean
    @Primary
    ScriptedRunFactory scriptedRunFactory(JsonMapper json) {
        return new ScriptedRunFactory(json);
    }

    /** Datasets and reward specs registered by tests, scoped by team like the real catalog. */
    public static class FakeCatalog implements DatasetCatalog {

        private final Map<String, DatasetInfo> datasets = new ConcurrentHashMap<>();
        private final Map<String, List<Map<String, Object>>> items = new ConcurrentHashMap<>();
        final FakeRewardSpecs rewardSpecs = new FakeRewardSpecs();

        public String addDataset(String teamId, DatasetPurpose purpose, List<Map<String, Object>> lines) {
            String id = Ids.newId("ds_");
            Set<String> fields = lines.get(0).keySet();
            datasets.put(id, new DatasetInfo(id, teamId, id, purpose, lines.size(), fields, "datasets/" + id + "/data.jsonl",
                    "0".repeat(64), Instant.now()));
            items.put(id, lines);
            return id;
        }

        /** Registers everything this catalog holds in {@code other} too (another application context's catalog). */
        public void copyTo(FakeCatalog other) {
            other.datasets.putAll(datasets);
            other.items.putAll(items);
            other.rewardSpecs.specs.putAll(rewardSpecs.specs);
        }

        public String addRewardSpec(String teamId, Set<String> itemFields) {
            String id = Ids.newId("rs_");
            rewardSpecs.specs.put(id, new RewardSpecInfo(id, teamId, id, itemFields));
            return id;
        }

        @Override
        public DatasetInfo get(Caller caller, String datasetId) {
            DatasetInfo d = datasets.get(datasetId);
            if (d == null || !d.teamId().equals(caller.teamId())) {
                throw ApiException.notFound("dataset", datasetId);
            }
            return d;
        }

        @Override
        public List<Map<String, Object>> readItems(Caller caller, String datasetId) {
            get(caller, datasetId);
            return items.get(datasetId);
        }
    }

    /** Reward specs registered through {@link FakeCatalog#addRewardSpec}. */
    static class FakeRewardSpecs implements RewardSpecCatalog {

        final Map<String, RewardSpecInfo> specs = new ConcurrentHashMap<>();

        @Override
        public RewardSpecInfo get(Caller caller, String rewardSpecId) {
            RewardSpecInfo r = specs.get(rewardSpecId);
            if (r == null || !r.teamId().equals(caller.teamId())) {
                throw ApiException.notFound("reward spec", rewardSpecId);
            }
            return r;
        }

        @Override
        public RewardFunction rewardFunction(Caller caller, String rewardSpecId) {
            get(caller, rewardSpecId);
            return RewardFunction.perSample((item, output) -> RewardResult.of(output.equals(item.get("answer")) ? 1.0 : 0.0));
        }
    }

    /** Opens {@link CountingRun}s and remembers, per job, from which step each launch started. */
    public static class ScriptedRunFactory implements RunFactory {

        private final JsonMapper json;
        final Map<String, List<Integer>> openedAt = new ConcurrentHashMap<>();

        ScriptedRunFactory(JsonMapper json) {
            this.json = json;
        }

        @Override
        public TrainingRun open(JobRecord job, Path checkpoint, Path workDir) throws IOException {
            JsonNode method = json.readTree(job.method());
            int maxSteps;
            int evalInterval;
            List<Violation> violations = new ArrayList<>();
            if (MethodConfigs.GRPO.equals(method.path("type").asString())) {
                GrpoConfig c = MethodConfigs.grpo(method.get("grpo"), "", violations);
                maxSteps = c.maxSteps();
                evalInterval = c.evalInterval();
            } else {
                JobMethod.Pretraining c = MethodConfigs.pretrain(method.get("pretrain"), "", violations);
                maxSteps = c.training().maxSteps();
                evalInterval = c.training().evalInterval();
            }
            JsonNode meta = job.metadata() == null ? json.createObjectNode() : json.readTree(job.metadata());
            if (meta.has("config_error")) {
                throw new ConfigException("max_completion_length", meta.get("config_error").asString());
            }
            int start = checkpoint == null ? 0 : Integer.parseInt(Files.readString(checkpoint.resolve("state.txt")).trim());
            openedAt.computeIfAbsent(job.id(), k -> new CopyOnWriteArrayList<>()).add(start);
            return new CountingRun(start, maxSteps, evalInterval, meta.path("step_millis").asLong(0),
                    meta.path("burn_millis").asLong(0),
                    meta.path("fail_at_step").asInt(-1), meta.has("gold_slope") ? meta.get("gold_slope").asDouble() : null,
                    JobDebug.of(job, json).checkFinite(), meta.path("halt_at_step").asInt(-1),
                    meta.has("zero_std") ? meta.get("zero_std").asDouble() : null);
        }
    }

    /**
     * A deterministic run: the value of every metric is a function of the step only. The training
     * reward rises linearly to 1; with a gold slope, evaluations report a gold reward of
     * 0.5 + slope × step / total.
     */
    static final class CountingRun implements TrainingRun {

        private int step;
        private final int total;
        private final int evalInterval;
        private final long stepMillis;
        private final long burnMillis;
        private final int failAt;
        private final Double goldSlope;
        private final boolean checkFinite;
        private final int haltAt;
        private final Double zeroStd;

        CountingRun(int step, int total, int evalInterval, long stepMillis, long burnMillis, int failAt,
                Double goldSlope, boolean checkFinite, int haltAt, Double zeroStd) {
            this.zeroStd = zeroStd;
            this.burnMillis = burnMillis;
            this.haltAt = haltAt;
            this.checkFinite = checkFinite;
            this.step = step;
            this.total = total;
            this.evalInterval = evalInterval;
            this.stepMillis = stepMillis;
            this.failAt = failAt;
            this.goldSlope = goldSlope;
        }

        /** Keeps one core busy for {@code millis}, as a CPU-bound training step would. */
        private static void burn(long millis) {
            long end = System.nanoTime() + millis * 1_000_000;
            double x = 0;
            while (System.nanoTime() < end) {
                for (int i = 0; i < 10_000; i++) {
                    x += Math.sqrt(i + x);
                }
            }
            if (x == -1) {
                throw new AssertionError(); // keeps the loop from being optimized away
            }
        }

        static double loss(int step) {
            return 1.0 / step;
        }

        @Override public int step() { return step; }
        @Override public int totalSteps() { return total; }
        @Override public int evalInterval() { return evalInterval; }

        @Override
        public Map<String, Double> trainStep() {
            try {
                Thread.sleep(stepMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            burn(burnMillis);
            if (step + 1 == failAt && checkFinite) { // what the engine's anomaly mode reports
                throw new NonFiniteValueException(failAt, NonFiniteValueException.Pass.BACKWARD, "out.gn", "out.gn.g",
                        "first non-finite value at step " + failAt + " in the backward pass: the gradient of parameter"
                                + " out.gn.g has 16 NaN");
            }
            if (step + 1 == failAt) {
                throw new NumericalInstabilityException("loss is NaN at step " + failAt);
            }
            if (step + 1 == haltAt && Boolean.getBoolean(WorkerProcess.IS_WORKER_PROCESS)) {
                Runtime.getRuntime().halt(137); // a step that kills its worker, as an OOM kill or a driver crash would
            }
            step++;
            if (zeroStd != null) {
                return Map.of("train/loss", loss(step), "train/reward/mean", step / (double) total,
                        "train/frac_reward_zero_std", zeroStd);
            }
            return Map.of("train/loss", loss(step), "train/reward/mean", step / (double) total);
        }

        @Override
        public Map<String, Double> evaluate() {
            if (goldSlope != null) {
                return Map.of("eval/accuracy", step / (double) total, "eval/gold/mean", 0.5 + goldSlope * step / total);
            }
            return Map.of("eval/accuracy", step / (double) total);
        }

        @Override
        public void saveCheckpoint(Path dir) throws IOException {
            Files.createDirectories(dir.resolve("weights"));
            Files.writeString(dir.resolve("state.txt"), Integer.toString(step));
            Files.write(dir.resolve("weights/model.bin"), new byte[] {1, 2, 3, (byte) step});
        }

        @Override
        public void exportModel(Path dir) throws IOException {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("config.json"), "{\"trained_steps\":" + step + "}");
        }

        @Override
        public void close() {
        }
    }
}
