package dev.tropism.rewards;

import dev.tropism.engine.RewardFunction;
import dev.tropism.teams.Caller;
import dev.tropism.web.ApiException;
import dev.tropism.web.Violation;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.springframework.http.HttpStatus;

/** The rewards module's public face for reward specs, used by the jobs, models and evaluation modules. */
public interface RewardSpecCatalog {

    /** The caller's reward spec; another team's or a missing id throws {@code ApiException.notFound}. */
    RewardSpecInfo get(Caller caller, String rewardSpecId);

    /**
     * The spec compiled into an engine reward function. Each named grader's score is reported as a
     * sub-reward under its name; grader errors are reported per sample, never thrown.
     */
    RewardFunction rewardFunction(Caller caller, String rewardSpecId);

    /**
     * The caller's reward spec {@code id} for a request being validated; null, with a violation at {@code pointer},
     * when it is missing, unknown or another team's.
     */
    default RewardSpecInfo find(Caller caller, String pointer, String id, List<Violation> violations) {
        if (id == null) {
            violations.add(new Violation(pointer, "is required"));
            return null;
        }
        try {
            return get(caller, id);
        } catch (ApiException e) {
            if (e.status() != HttpStatus.NOT_FOUND) {
                throw e;
            }
            violations.add(new Violation(pointer, "no reward spec with id '" + id + "'"));
            return null;
        }
    }

    /**
     * Adds a violation at {@code pointer} when {@code dataset} lacks item fields that {@code spec} reads; nothing
     * when either is null (already reported).
     */
    static void requireFields(String pointer, Set<String> datasetFields, String datasetId, RewardSpecInfo spec,
            List<Violation> violations) {
        if (datasetFields == null || spec == null) {
            return;
        }
        TreeSet<String> missing = new TreeSet<>(spec.itemFields());
        missing.removeAll(datasetFields);
        if (!missing.isEmpty()) {
            violations.add(new Violation(pointer, "dataset " + datasetId + " lacks field(s) " + String.join(", ", missing)
                    + " that reward spec " + spec.id() + " reads"));
        }
    }
}
