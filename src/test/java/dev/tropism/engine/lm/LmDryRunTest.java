package dev.tropism.engine.lm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import dev.tropism.engine.ConfigException;
import dev.tropism.engine.RewardFunction;
import dev.tropism.engine.RewardResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A dry-run on a small random model saved to disk: layout of the groups, the scoring context, seeding. */
class LmDryRunTest {

    @TempDir
    static Path modelDir;

    private static final List<Map<String, Object>> DATASET = new ArrayList<>();

    @BeforeAll
    static void savedRandomModel() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            CharTokenizer tok = CharTokenizer.fit(List.of("0123456789+="));
            Gpt gpt = Gpt.initialize(new GptConfig(1, 32, 2, 16, tok.vocabSize()), 7, manager);
            new LanguageModel(gpt, tok).save(modelDir);
        }
        for (int i = 0; i < 70; i++) {
            DATASET.add(Map.of("prompt", (i % 10) + "+" + (i / 10) + "=", "answer", String.valueOf(i % 10 + i / 10),
                    "n", i));
        }
    }

    /** Scores each sample by its mean log-probability under the policy: needs the model context. */
    private static RewardFunction likelihood(List<Integer> groupSizes, List<Integer> batchSizes) {
        return batch -> {
            groupSizes.add(batch.groupSize());
            batchSizes.add(batch.size());
            List<String> contexts = new ArrayList<>();
            for (Map<String, Object> item : batch.items()) {
                contexts.add(String.valueOf(item.get("prompt")));
            }
            List<RewardResult> out = new ArrayList<>();
            for (var l : batch.context().likelihoods(contexts, batch.outputs())) {
                out.add(RewardResult.of(Double.isNaN(l.meanLogProb()) ? 0 : l.meanLogProb()));
            }
            return out;
        };
    }

    @Test
    void samplesGroupsOfGPerPromptAndScoresThemWithTheModel() throws Exception {
        List<Integer> groupSizes = new CopyOnWriteArrayList<>();
        List<Integer> batchSizes = new CopyOnWriteArrayList<>();
        DryRunConfig cfg = new DryRunConfig(3, 20, 4, 1.0, 1.0, 11);
        LmDryRun.Result r = LmDryRun.run(modelDir, DATASET, likelihood(groupSizes, batchSizes), cfg);

        assertThat(r.samples()).hasSize(60);
        assertThat(r.samplesPerPrompt()).isEqualTo(3);
        assertThat(groupSizes).containsOnly(3);
        assertThat(batchSizes.stream().mapToInt(Integer::intValue).sum()).isEqualTo(60);
        HashSet<Object> prompts = new HashSet<>();
        for (int i = 0; i < 60; i += 3) {
            Map<String, Object> item = r.samples().get(i).item();
            assertThat(r.samples().get(i + 1).item()).isSameAs(item);
            assertThat(r.samples().get(i + 2).item()).isSameAs(item);
            prompts.add(item.get("n"));
        }
        assertThat(prompts).hasSize(20);
        for (LmDryRun.Scored s : r.samples()) {
            assertThat(s.result().errors()).as("%s", s).isEmpty();
            assertThat(s.result().reward()).isLessThanOrEqualTo(0.0); // a log-probability
            assertThat(s.tokens()).isBetween(1, 4);
            if (s.truncated()) {
                assertThat(s.tokens()).isEqualTo(4); // cut at max_new_tokens, without EOS
            }
        }
        assertThat(r.samplingSeconds()).isPositive();
        assertThat(r.totalSeconds()).isGreaterThanOrEqualTo(r.samplingSeconds() + r.scoringSeconds());
    }

    @Test
    void theSeedFixesPromptsAndSamples() throws Exception {
        RewardFunction constant = RewardFunction.perSample((item, output) -> RewardResult.of(1));
        DryRunConfig cfg = new DryRunConfig(2, 15, 5, 1.0, 0.9, 5);
        List<String> a = outputs(LmDryRun.run(modelDir, DATASET, constant, cfg));
        List<String> b = outputs(LmDryRun.run(modelDir, DATASET, constant, cfg));
        List<String> c = outputs(LmDryRun.run(modelDir, DATASET, constant, cfg.withSeed(6)));
        assertThat(a).isEqualTo(b).isNotEqualTo(c);
    }

    @Test
    void largeGroupsAreNeverSplitAcrossBatches() throws Exception {
        List<Integer> groupSizes = new CopyOnWriteArrayList<>();
        List<Integer> batchSizes = new CopyOnWriteArrayList<>();
        DryRunConfig cfg = new DryRunConfig(DryRunConfig.MAX_SAMPLES_PER_PROMPT, 6, 2, 1.0, 1.0, 1);
        LmDryRun.Result r = LmDryRun.run(modelDir, DATASET, likelihood(groupSizes, batchSizes), cfg);
        assertThat(r.samples()).hasSize(6 * 64);
        // 256 rows a batch: 4 prompts of 64, then the remaining 2
        assertThat(batchSizes).containsExactly(256, 128);
        assertThat(groupSizes).containsOnly(64);
    }

    @Test
    void aCompletionLimitThatLeavesNoRoomForThePromptIsAConfigError() {
        DryRunConfig cfg = new DryRunConfig(1, 1, 15, 1.0, 1.0, 1); // block_size 16
        assertThatThrownBy(() -> LmDryRun.run(modelDir, DATASET, batch -> List.of(), cfg))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.field()).isEqualTo("max_new_tokens");
                    assertThat(e.reason()).contains("block_size of 16").contains("at most 14");
                });
    }

    @Test
    void subsampleIsSeededDistinctAndInDatasetOrder() {
        List<Map<String, Object>> a = LmDryRun.select(DATASET, 10, 3);
        assertThat(a).hasSize(10).doesNotHaveDuplicates().isEqualTo(LmDryRun.select(DATASET, 10, 3));
        assertThat(a).isNotEqualTo(LmDryRun.select(DATASET, 10, 4));
        List<Integer> n = a.stream().map(item -> (Integer) item.get("n")).toList();
        assertThat(n).isSorted();
        assertThat(LmDryRun.select(DATASET, 70, 3)).isSameAs(DATASET);
    }

    @Test
    void configRejectsOutOfRangeKnobs() {
        assertThat(fieldOf(() -> new DryRunConfig(0, 1, 1, 1, 1, 0))).isEqualTo("samples_per_prompt");
        assertThat(fieldOf(() -> new DryRunConfig(65, 1, 1, 1, 1, 0))).isEqualTo("samples_per_prompt");
        assertThat(fieldOf(() -> new DryRunConfig(1, 1001, 1, 1, 1, 0))).isEqualTo("limit");
        assertThat(fieldOf(() -> new DryRunConfig(1, 1, 0, 1, 1, 0))).isEqualTo("max_new_tokens");
        assertThat(fieldOf(() -> new DryRunConfig(1, 1, 1, 0, 1, 0))).isEqualTo("temperature");
        assertThat(fieldOf(() -> new DryRunConfig(1, 1, 1, 2.5, 1, 0))).isEqualTo("temperature");
        assertThat(fieldOf(() -> new DryRunConfig(1, 1, 1, 1, 0, 0))).isEqualTo("top_p");
        assertThat(new DryRunConfig(64, 1000, 1, 2, 1, -5).seed()).isEqualTo(-5);
    }

    private static String fieldOf(Runnable r) {
        try {
            r.run();
        } catch (ConfigException e) {
            return e.field();
        }
        return null;
    }

    private static List<String> outputs(LmDryRun.Result r) {
        return r.samples().stream().map(s -> s.item().get("n") + ":" + s.output()).toList();
    }

}
