package dev.tropism.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.web.Violation;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** {@link RetentionPolicy} parsing and {@link CheckpointRetention#plan} on hand-made checkpoints. */
class RetentionPolicyTest {

    static final JsonMapper JSON = JsonMapper.builder().build();

    private static JsonNode json(String text) {
        return JSON.readTree(text);
    }

    private static RetentionPolicy parse(String text, AlignmentMethod method, Integer defaultKeepLast,
            List<Violation> violations) {
        return RetentionPolicy.parse(text == null ? null : json(text), "/retention", method, defaultKeepLast, violations);
    }

    /** A checkpoint at {@code step} whose metrics snapshot is {@code metrics}. */
    private static Checkpoint at(int step, Map<String, Double> metrics) {
        return new Checkpoint("ckpt_" + step, "job_1", step, Instant.EPOCH, JSON.writeValueAsString(metrics),
                Checkpoint.prefixOf("job_1", "ckpt_" + step), 10L);
    }

    @Test
    void absentRetentionKeepsEverythingUnlessAKeepLastIsConfigured() {
        List<Violation> v = new ArrayList<>();
        assertThat(parse(null, AlignmentMethod.GRPO, null, v)).isNull();
        assertThat(parse("null", AlignmentMethod.GRPO, null, v)).isNull();
        assertThat(parse(null, AlignmentMethod.GRPO, 4, v))
                .isEqualTo(new RetentionPolicy(4, true, "eval/reward/mean", RetentionPolicy.Mode.MAX));
        assertThat(v).isEmpty();
    }

    @Test
    void defaultsFollowTheMethodsMainEvalMetric() {
        List<Violation> v = new ArrayList<>();
        assertThat(parse("{\"keep_last\": 2}", AlignmentMethod.FLOW_GRPO, null, v).bestMetric()).isEqualTo("eval/reward/mean");
        assertThat(parse("{\"keep_last\": 2}", AlignmentMethod.REWARD_MODEL, null, v))
                .isEqualTo(new RetentionPolicy(2, true, "eval/accuracy", RetentionPolicy.Mode.MAX));
        assertThat(parse("{\"keep_last\": 2}", AlignmentMethod.SFT, null, v))
                .isEqualTo(new RetentionPolicy(2, true, "eval/loss", RetentionPolicy.Mode.MIN));
        // A metric of one's own: min for a loss, max otherwise, unless mode says.
        assertThat(parse("{\"keep_last\": 1, \"best_metric\": \"eval/gold/mean\"}", AlignmentMethod.GRPO, null, v).mode())
                .isEqualTo(RetentionPolicy.Mode.MAX);
        assertThat(parse("{\"keep_last\": 1, \"best_metric\": \"eval/rewards/loss\"}", AlignmentMethod.DPO, null, v).mode())
                .isEqualTo(RetentionPolicy.Mode.MIN);
        assertThat(parse("{\"keep_last\": 1, \"mode\": \"min\"}", AlignmentMethod.GRPO, null, v))
                .isEqualTo(new RetentionPolicy(1, true, "eval/reward/mean", RetentionPolicy.Mode.MIN));
        assertThat(v).isEmpty();
    }

    @Test
    void everyBadFieldIsReportedAtItsPointer() {
        List<Violation> v = new ArrayList<>();
        assertThat(parse("{\"keep_last\": 0, \"keep_best\": \"yes\", \"best_metric\": \"train/loss\", \"mode\": \"up\","
                + " \"keep\": 1}", AlignmentMethod.GRPO, 3, v)).isNull();
        assertThat(v).extracting(Violation::pointer).containsExactlyInAnyOrder("/retention/keep_last",
                "/retention/keep_best", "/retention/best_metric", "/retention/mode", "/retention/keep");
        v.clear();
        assertThat(parse("{\"keep_last\": 1.5}", AlignmentMethod.GRPO, null, v)).isNull();
        assertThat(v).extracting(Violation::pointer).containsExactly("/retention/keep_last");
        v.clear();
        assertThat(parse("{\"keep_best\": false}", AlignmentMethod.GRPO, null, v)).isNull();
        assertThat(v).singleElement().satisfies(x -> {
            assertThat(x.pointer()).isEqualTo("/retention/keep_last");
            assertThat(x.reason()).contains("tropism.retention.keep-last");
        });
        v.clear();
        assertThat(parse("[1]", AlignmentMethod.GRPO, null, v)).isNull();
        assertThat(v).extracting(Violation::pointer).containsExactly("/retention");
    }

    @Test
    void storedJsonRoundTrips() {
        RetentionPolicy p = new RetentionPolicy(3, false, "eval/gold/mean", RetentionPolicy.Mode.MIN);
        String stored = p.toJson(JSON);
        assertThat(json(stored)).isEqualTo(json("{\"keep_last\":3,\"keep_best\":false,\"best_metric\":\"eval/gold/mean\","
                + "\"mode\":\"min\"}"));
        JobRecord job = new JobRecord(0, "job_1", "team_1", JobStatus.RUNNING, null, "m", "d", null, null, "{}", 1, null,
                null, null, null, null, 0, 10, Instant.EPOCH, null, null, null, null, null, null, null, null, null, null, 0,
                null, null, stored);
        assertThat(RetentionPolicy.of(job, JSON)).isEqualTo(p);
    }

    @Test
    void planKeepsTheLastNAndTheBestAndOffersTheRest() {
        // eval/reward/mean by step: 5 → 0.2, 10 → 0.9 (best), 15 → 0.4, 20 → 0.5, 25 → 0.3; 30 was not evaluated.
        List<Checkpoint> all = List.of(at(5, Map.of("eval/reward/mean", 0.2)), at(10, Map.of("eval/reward/mean", 0.9)),
                at(15, Map.of("eval/reward/mean", 0.4)), at(20, Map.of("eval/reward/mean", 0.5)),
                at(25, Map.of("eval/reward/mean", 0.3)), at(30, Map.of("train/loss", 0.1)));
        var plan = CheckpointRetention.plan(all, new RetentionPolicy(2, true, "eval/reward/mean",
                RetentionPolicy.Mode.MAX), JSON);
        assertThat(plan.kept()).containsOnlyKeys("ckpt_10", "ckpt_25", "ckpt_30");
        assertThat(plan.kept().get("ckpt_30")).containsExactly("latest", "last 2");
        assertThat(plan.kept().get("ckpt_10")).containsExactly("best eval/reward/mean");
        assertThat(plan.candidates()).extracting(Checkpoint::step).containsExactly(5, 15, 20);

        // min: the lowest value wins; keep_best false keeps only the last N.
        plan = CheckpointRetention.plan(all, new RetentionPolicy(1, true, "eval/reward/mean", RetentionPolicy.Mode.MIN), JSON);
        assertThat(plan.kept()).containsOnlyKeys("ckpt_5", "ckpt_30");
        plan = CheckpointRetention.plan(all, new RetentionPolicy(1, false, "eval/reward/mean", RetentionPolicy.Mode.MAX), JSON);
        assertThat(plan.kept()).containsOnlyKeys("ckpt_30");
        assertThat(plan.candidates()).hasSize(5);
        // keep_last beyond the count keeps everything.
        plan = CheckpointRetention.plan(all, new RetentionPolicy(10, true, "eval/reward/mean", RetentionPolicy.Mode.MAX), JSON);
        assertThat(plan.candidates()).isEmpty();
    }

    @Test
    void theEarliestOfEqualBestValuesWinsAndCheckpointsWithoutTheMetricDoNotCompete() {
        List<Checkpoint> all = List.of(at(5, Map.of()), at(10, Map.of("eval/accuracy", 0.5)),
                at(15, Map.of("eval/accuracy", 0.5)), at(20, Map.of()));
        RetentionPolicy p = new RetentionPolicy(1, true, "eval/accuracy", RetentionPolicy.Mode.MAX);
        assertThat(CheckpointRetention.best(all, p, JSON)).map(Checkpoint::step).contains(10);
        assertThat(CheckpointRetention.best(List.of(at(5, Map.of())), p, JSON)).isEmpty();
        assertThat(CheckpointRetention.plan(List.of(), p, JSON).kept()).isEmpty();
    }
}
