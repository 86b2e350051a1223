package dev.tropism.rewards;

import dev.tropism.teams.Caller;
import dev.tropism.web.Violation;
import java.util.List;

/**
 * The small reward registry: per-team named aliases ({@code helpfulness@production}) that point at a reward spec or a
 * reward model. Other modules resolve a reference through it; a reference that is an id ({@code rs_…},
 * {@code model_…}) resolves to itself.
 */
public interface RewardAliases {

    /** What a reference named. */
    enum Kind {
        REWARD_SPEC, REWARD_MODEL;

        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * A resolved reference.
     *
     * @param alias the alias the reference named, or null when it was an id
     */
    record Resolved(Kind kind, String id, String alias) {
    }

    /**
     * Resolves {@code ref} (an id or one of the caller's aliases) for a request being validated: null, with a
     * violation at {@code pointer}, for an unknown alias. An id is returned as is (its existence is the caller's to
     * check).
     */
    Resolved resolve(Caller caller, String pointer, String ref, List<Violation> violations);

    /** The caller's team's aliases that point at {@code targetId} now, sorted by name. */
    List<String> aliasesOf(String teamId, String targetId);

    /**
     * A reward spec named by id or alias, for a request being validated (a job's {@code reward_spec}).
     *
     * @param spec the spec, or null when it could not be found (a violation was added)
     * @param alias the alias the reference named, or null when it was an id
     */
    record SpecRef(RewardSpecInfo spec, String alias) {
    }

    /**
     * Resolves {@code ref} like {@link #resolve} and finds the caller's reward spec it names, like
     * {@link RewardSpecCatalog#find}: a violation at {@code pointer} for a missing ref, an unknown alias or spec, and for
     * a reward model (with how to wrap it in a {@code reward_model} grader).
     */
    SpecRef findSpec(Caller caller, String pointer, String ref, List<Violation> violations);
}
