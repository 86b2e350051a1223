package dev.tropism.evaluations;

import com.fasterxml.jackson.annotation.JsonRawValue;
import java.time.Instant;

/** An evaluation as the API shows it. */
record EvaluationView(String id, String object, String suite, String suiteName, int suiteVersion, Reward candidate,
        Reward baseline, String status, String verdict, @JsonRawValue String failedThresholds, Progress progress,
        Error error, int attempts, Instant createdAt, Instant startedAt, Instant finishedAt) {

    /** A candidate or baseline: the reference as given, what it resolved to, and through which alias. */
    record Reward(String ref, String kind, String id, String alias) {

        static Reward of(RewardRefs.Ref r) {
            return r == null ? null : new Reward(r.ref(), r.kindWire(), r.id(), r.alias());
        }
    }

    record Progress(String phase, int done, int total) {
    }

    record Error(String code, String message) {
    }

    static EvaluationView of(Evaluation e, EvalSuite suite) {
        return new EvaluationView(e.id(), "evaluation", suite.id(), suite.name(), suite.version(),
                Reward.of(e.candidate()), Reward.of(e.baseline()), e.status().wire(), e.verdict(),
                e.failedThresholds() == null ? "[]" : e.failedThresholds(),
                new Progress(e.phase(), e.progressDone(), e.progressTotal()),
                e.errorCode() == null ? null : new Error(e.errorCode(), e.errorMessage()), e.attempts(), e.createdAt(),
                e.startedAt(), e.finishedAt());
    }
}
