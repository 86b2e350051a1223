package dev.tropism.evaluations;

import dev.tropism.models.RewardModels;
import dev.tropism.rewards.RewardAliases;
import dev.tropism.rewards.RewardSpecCatalog;
import dev.tropism.teams.Caller;
import dev.tropism.web.Violation;
import java.util.List;
import java.util.Optional;
import org.springframework.stereotype.Component;

/**
 * Resolves what an evaluation measures (a candidate, a baseline, a gold judge): an id of the caller's reward spec or
 * ready reward model, or an alias of one, checked to exist and be usable now.
 */
@Component
class RewardRefs {

    private final RewardAliases aliases;
    private final RewardSpecCatalog specs;
    private final RewardModels rewardModels;

    RewardRefs(RewardAliases aliases, RewardSpecCatalog specs, RewardModels rewardModels) {
        this.aliases = aliases;
        this.specs = specs;
        this.rewardModels = rewardModels;
    }

    /** A reward reference resolved and checked: what it names, and the reference as given. */
    record Ref(String ref, RewardAliases.Kind kind, String id, String alias) {

        String kindWire() {
            return kind.wireName();
        }
    }

    /**
     * The caller's reward spec or ready reward model that {@code ref} names; null with a violation at
     * {@code pointer} when it names nothing usable.
     *
     * @param specOnly whether only a reward spec will do (a gold judge)
     */
    Ref resolve(Caller caller, String pointer, String ref, boolean specOnly, List<Violation> violations) {
        if (ref == null) {
            return null;
        }
        int before = violations.size();
        RewardAliases.Resolved r = aliases.resolve(caller, pointer, ref, violations);
        if (r == null) {
            if (violations.size() == before) {
                violations.add(new Violation(pointer, "no reward spec, reward model or alias named '" + ref + "'"));
            }
            return null;
        }
        String via = r.alias() == null ? "" : " (alias " + r.alias() + ")";
        if (r.kind() == RewardAliases.Kind.REWARD_SPEC) {
            if (specs.find(caller, pointer, r.id(), violations) == null) {
                return null;
            }
        } else if (specOnly) {
            violations.add(new Violation(pointer, ref + via + " is a reward model; this field takes a reward spec"
                    + " (wrap the model in a reward_model grader)"));
            return null;
        } else {
            Optional<String> problem = rewardModels.unusable(caller, r.id());
            if (problem.isPresent()) {
                violations.add(new Violation(pointer, problem.get() + via));
                return null;
            }
        }
        return new Ref(ref, r.kind(), r.id(), r.alias());
    }
}
