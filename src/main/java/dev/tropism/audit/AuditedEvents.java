package dev.tropism.audit;

import dev.tropism.jobs.CheckpointDeleted;
import dev.tropism.jobs.JobPaused;
import dev.tropism.jobs.RewardHackingSuspected;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Appends what the service changes by itself, from the events other modules publish. Synchronous listeners: the row
 * is written in the publisher's transaction, so it commits exactly when the change does.
 */
@Component
class AuditedEvents {

    private final AuditLog audit;

    AuditedEvents(AuditLog audit) {
        this.audit = audit;
    }

    /** A hacking monitor with {@code on_hacking: pause} pauses its job: {@code job.paused_by_hacking_monitor}. */
    @EventListener
    void on(RewardHackingSuspected e) {
        if (!"pause".equals(String.valueOf(e.evidence().get("action")))) {
            return; // a warning changes nothing
        }
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("step", e.step());
        detail.put("rule", e.evidence().get("rule"));
        detail.put("message", e.message());
        audit.system(e.teamId(), "job.paused_by_hacking_monitor", "jobs", e.jobId(), detail);
    }

    /**
     * A job paused by its own {@code max_spend} ({@code job.paused_by_budget}) or by its team's monthly limit
     * ({@code job.paused_by_team_budget}). A requested pause is the audited call itself; a hacking pause is recorded
     * from its alarm above.
     */
    @EventListener
    void on(JobPaused e) {
        String action = switch (e.reason()) {
            case JobPaused.BUDGET -> "job.paused_by_budget";
            case JobPaused.TEAM_BUDGET -> "job.paused_by_team_budget";
            default -> null;
        };
        if (action != null) {
            audit.system(e.teamId(), action, "jobs", e.jobId(), Map.of("step", e.step(), "reason", e.reason()));
        }
    }

    /** A checkpoint deleted by its job's retention policy: {@code checkpoint.deleted} on the checkpoint. */
    @EventListener
    void on(CheckpointDeleted e) {
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("job", e.jobId());
        detail.put("step", e.step());
        detail.put("reason", e.reason());
        audit.system(e.teamId(), "checkpoint.deleted", "checkpoints", e.checkpointId(), detail);
    }
}
