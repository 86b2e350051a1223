package dev.tropism.rewards;

import dev.tropism.engine.RewardBatch;
import dev.tropism.engine.RewardResult;
import dev.tropism.engine.ScoringContext;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/** Shared helpers for grader tests: compile a grader JSON and score samples through the reward function. */
final class GraderTests {

    static final JsonMapper JSON = JsonMapper.builder().build();
    static final GraderCompiler COMPILER = GraderCompiler.standard();

    private GraderTests() {
    }

    /** Compiles {@code json} (asserting it is valid). */
    static Grader compile(String json) {
        GraderCompiler.Result r = COMPILER.compile(JSON.readTree(json), "/grader");
        if (!r.valid()) {
            throw new AssertionError("grader does not compile: " + r.violations());
        }
        return r.grader();
    }

    static RewardResult scoreOne(Grader grader, Map<String, Object> item, String output) {
        return new GraderRewardFunction(grader).score(RewardBatch.ungrouped(List.of(item), List.of(output))).get(0);
    }

    /** Scores {@code outputs} as one group answering {@code item}. */
    static List<RewardResult> scoreGroup(Grader grader, Map<String, Object> item, List<String> outputs,
            ScoringContext context) {
        return new GraderRewardFunction(grader).score(
                new RewardBatch(Collections.nCopies(outputs.size(), item), outputs, outputs.size(), context));
    }
}
