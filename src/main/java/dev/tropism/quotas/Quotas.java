package dev.tropism.quotas;

import dev.tropism.teams.Caller;
import dev.tropism.web.ApiException;
import dev.tropism.web.Violation;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.databind.JsonNode;

/**
 * A team's quotas and what it uses of them. The checks refuse what would take more once a team is at or above a
 * quota ({@link QuotaExceededException}); they are made where a team asks for more: job submission and resume
 * ({@link #requireJobSlot}, {@link #requireStorage}), dataset upload and model upload or import
 * ({@link #requireStorage}). A stored upload's size is known only once it is stored, so a team below its byte quota
 * may go above it with one upload; the next is refused. A running job's checkpoints are never refused: that would
 * lose its work (its checkpoints count, and retention bounds them).
 */
@Service
public class Quotas {

    /**
     * A team's quotas as {@code GET /v1/teams/{id}/quotas} shows them.
     *
     * @param maxConcurrentJobs null: unlimited
     * @param maxStoredBytes null: unlimited
     * @param source {@code team} when an operator set them, {@code default} when they are {@code tropism.quotas.*}
     */
    public record View(String teamId, Long maxConcurrentJobs, Long maxStoredBytes, Used used, String source) {
    }

    /** What the team uses now. */
    public record Used(long concurrentJobs, long storedBytes) {
    }

    private final TeamQuotaStore store;
    private final QuotaProperties defaults;
    private final ObjectProvider<QuotaUsage> usages;

    Quotas(TeamQuotaStore store, QuotaProperties defaults, ObjectProvider<QuotaUsage> usages) {
        this.store = store;
        this.defaults = defaults;
        this.usages = usages;
    }

    /** The team's limit of {@code quota}: the operator's value when set, else the default; null for unlimited. */
    public Long limit(String teamId, Quota quota) {
        var row = store.find(teamId); // not Optional.map: a row's null (unlimited) must not fall back to the default
        return row.isPresent() ? row.get().limit(quota) : defaults.limit(quota);
    }

    /** How much of {@code quota} the team uses now, summed over every {@link QuotaUsage}. */
    public long used(String teamId, Quota quota) {
        return switch (quota) {
            case CONCURRENT_JOBS -> usages.orderedStream().mapToLong(u -> u.concurrentJobs(teamId)).sum();
            case STORED_BYTES -> usages.orderedStream().mapToLong(u -> u.storedBytes(teamId)).sum();
        };
    }

    /**
     * Refuses one more job in flight (a submission, or a resume) when the team already has its maximum. Call it in
     * the transaction that queues the job: it locks the team's row, so two submissions cannot both pass.
     */
    public void requireJobSlot(String teamId) {
        Long limit = limit(teamId, Quota.CONCURRENT_JOBS);
        if (limit == null) {
            return;
        }
        store.lockTeam(teamId);
        long used = used(teamId, Quota.CONCURRENT_JOBS);
        if (used >= limit) {
            throw new QuotaExceededException(Quota.CONCURRENT_JOBS, limit, used, "Team " + teamId + " has " + used
                    + " job(s) validating, queued or running, its quota of concurrent jobs is " + limit
                    + ". Wait for one to finish, cancel or pause one (POST /v1/jobs/{id}/cancel or /pause), or ask an"
                    + " operator to raise max_concurrent_jobs (PUT /v1/teams/" + teamId + "/quotas).");
        }
    }

    /** Refuses to store more for the team (an upload, an import, a new job) once it is at or above its byte quota. */
    public void requireStorage(String teamId) {
        Long limit = limit(teamId, Quota.STORED_BYTES);
        if (limit == null) {
            return;
        }
        long used = used(teamId, Quota.STORED_BYTES);
        if (used >= limit) {
            throw new QuotaExceededException(Quota.STORED_BYTES, limit, used, String.format(Locale.ROOT,
                    "Team %s stores %,d bytes of datasets, models and checkpoints; its quota is %,d bytes. Free space"
                            + " (DELETE /v1/datasets/{id}, or keep fewer checkpoints with a job's retention.keep_last)"
                            + " or ask an operator to raise max_stored_bytes (PUT /v1/teams/%s/quotas).",
                    teamId, used, limit, teamId));
        }
    }

    /** {@code GET /v1/teams/{id}/quotas}: a team key for its own team, the admin key for any. */
    public View view(Caller caller, String teamId) {
        requireVisible(caller, teamId);
        return view(teamId);
    }

    private View view(String teamId) {
        var row = store.find(teamId);
        Used used = new Used(used(teamId, Quota.CONCURRENT_JOBS), used(teamId, Quota.STORED_BYTES));
        return row.map(r -> new View(teamId, r.maxConcurrentJobs(), r.maxStoredBytes(), used, "team"))
                .orElseGet(() -> new View(teamId, defaults.limit(Quota.CONCURRENT_JOBS),
                        defaults.limit(Quota.STORED_BYTES), used, "default"));
    }

    /**
     * {@code PUT /v1/teams/{id}/quotas} (admin key only): {@code {"max_concurrent_jobs": n|null, "max_stored_bytes":
     * n|null}}, each a whole number {@code >= 0}. A field left out keeps its current value, {@code null} makes the quota
     * unlimited. Lowering a quota below what the team uses refuses only what comes next; nothing is deleted.
     */
    @Transactional
    public View set(Caller caller, String teamId, JsonNode body) {
        caller.requireAdmin();
        if (!store.lockTeam(teamId)) { // one change at a time: the first sets of a team both insert its row
            throw ApiException.notFound("team", teamId);
        }
        List<Violation> violations = new ArrayList<>();
        if (body == null || !body.isObject()) {
            throw ApiException.invalid("", "must be an object with max_concurrent_jobs and/or max_stored_bytes");
        }
        for (String field : body.propertyNames()) {
            if (!field.equals("max_concurrent_jobs") && !field.equals("max_stored_bytes")) {
                violations.add(new Violation("/" + field, "unknown field; expected max_concurrent_jobs or max_stored_bytes"));
            }
        }
        View current = view(teamId);
        Long jobs = limit(body, "max_concurrent_jobs", current.maxConcurrentJobs(), violations);
        Long bytes = limit(body, "max_stored_bytes", current.maxStoredBytes(), violations);
        if (!violations.isEmpty()) {
            throw ApiException.invalid(violations);
        }
        store.put(teamId, new TeamQuotaStore.Row(jobs, bytes));
        return view(teamId);
    }

    /** {@code body.field}: absent keeps {@code current}, null is unlimited, else a whole number {@code >= 0}. */
    private static Long limit(JsonNode body, String field, Long current, List<Violation> violations) {
        if (!body.has(field)) {
            return current;
        }
        JsonNode v = body.get(field);
        if (v.isNull()) {
            return null;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
            violations.add(new Violation("/" + field, "must be a whole number >= 0, or null for unlimited"));
            return current;
        }
        return v.asLong();
    }

    private void requireVisible(Caller caller, String teamId) {
        if (caller.admin() ? !store.teamExists(teamId) : !teamId.equals(caller.teamId())) {
            throw ApiException.notFound("team", teamId);
        }
    }
}
