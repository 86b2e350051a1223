package dev.tropism.webhooks;

import dev.tropism.billing.TeamBudgetAlert;
import dev.tropism.evaluations.EvaluationCompleted;
import dev.tropism.jobs.JobCancelled;
import dev.tropism.jobs.JobFailed;
import dev.tropism.jobs.JobPaused;
import dev.tropism.jobs.JobSucceeded;
import dev.tropism.jobs.RewardHackingSuspected;
import dev.tropism.models.ModelReady;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import tools.jackson.databind.json.JsonMapper;

/**
 * The outbox: turns the other modules' domain events into {@code webhook_deliveries} rows, one per enabled endpoint of
 * the event's team that subscribes to it. The listeners are synchronous, so the rows are written inside the
 * transaction that records the event (a job's new state, a model made ready, an evaluation's verdict) and commit or
 * roll back with it: no event is lost to a crash after its commit, and none is announced that did not happen. The
 * body is fixed here, {@code {"type", "timestamp", "data"}}, so every attempt sends the same bytes
 * ({@code docs/webhooks.md} lists each event's {@code data}).
 */
@Component
class WebhookOutbox {

    private final WebhookEndpointStore endpoints;
    private final WebhookDeliveryStore deliveries;
    private final WebhookDeliveryProperties properties;
    private final WebhookDispatcher dispatcher;
    private final JsonMapper json;

    WebhookOutbox(WebhookEndpointStore endpoints, WebhookDeliveryStore deliveries, WebhookDeliveryProperties properties,
            WebhookDispatcher dispatcher, JsonMapper json) {
        this.endpoints = endpoints;
        this.deliveries = deliveries;
        this.properties = properties;
        this.dispatcher = dispatcher;
        this.json = json;
    }

    @EventListener
    void on(JobSucceeded e) {
        record(e.teamId(), WebhookEventType.JOB_SUCCEEDED, data("job", e.jobId(), "status", "succeeded", "model",
                e.baseModel(), "result_model", e.resultModel(), "checkpoint", e.checkpoint()));
    }

    @EventListener
    void on(JobFailed e) {
        record(e.teamId(), WebhookEventType.JOB_FAILED, data("job", e.jobId(), "status", "failed", "model", e.model(),
                "code", e.code()));
    }

    @EventListener
    void on(JobCancelled e) {
        record(e.teamId(), WebhookEventType.JOB_CANCELLED, data("job", e.jobId(), "status", "cancelled", "model",
                e.model()));
    }

    @EventListener
    void on(JobPaused e) {
        record(e.teamId(), WebhookEventType.JOB_PAUSED, data("job", e.jobId(), "status", "paused", "model", e.model(),
                "step", e.step(), "reason", e.reason()));
    }

    @EventListener
    void on(RewardHackingSuspected e) {
        record(e.teamId(), WebhookEventType.JOB_REWARD_HACKING_SUSPECTED, data("job", e.jobId(), "step", e.step(),
                "message", e.message(), "evidence", e.evidence()));
    }

    @EventListener
    void on(EvaluationCompleted e) {
        record(e.teamId(), WebhookEventType.EVALUATION_COMPLETED, data("evaluation", e.evaluationId(), "status",
                e.status(), "verdict", e.verdict(), "failed_thresholds", e.failedThresholds() == null ? List.of()
                        : e.failedThresholds(), "suite", e.suiteId(), "suite_name", e.suiteName(), "suite_version",
                e.suiteVersion(), "candidate", data("id", e.candidateId(), "alias", e.candidateAlias())));
    }

    @EventListener
    void on(ModelReady e) {
        record(e.teamId(), WebhookEventType.MODEL_READY, data("model", e.modelId(), "name", e.name(), "family",
                e.family() == null ? null : e.family().wireName(), "source", e.source().wire(), "parent", e.parent(),
                "job", e.job(), "checkpoint", e.checkpoint()));
    }

    @EventListener
    void on(TeamBudgetAlert e) {
        record(e.teamId(), WebhookEventType.TEAM_BUDGET_ALERT, data("team", e.teamId(), "month", e.month(), "spend",
                e.spend(), "monthly_limit", e.monthlyLimit(), "alert_threshold", e.alertThreshold(), "currency",
                e.currency(), "job", e.jobId()));
    }

    /** Writes one delivery per subscribed enabled endpoint of the team, and wakes the dispatcher after the commit. */
    private void record(String teamId, WebhookEventType type, Map<String, Object> data) {
        List<WebhookEndpoint> targets = endpoints.enabled(teamId).stream().filter(e -> e.subscribes(type)).toList();
        if (targets.isEmpty()) {
            return;
        }
        Instant now = Instant.now();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", type.wire());
        body.put("timestamp", now.toString());
        body.put("data", data);
        String payload = json.writeValueAsString(body);
        for (WebhookEndpoint e : targets) {
            deliveries.insert(e, type, payload, now, now.plus(properties.giveUpAfter()));
        }
        if (TransactionSynchronizationManager.isSynchronizationActive()) {
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCommit() {
                    dispatcher.wake();
                }
            });
        } else {
            dispatcher.wake();
        }
    }

    /** An ordered map of alternating keys and values (values may be null). */
    private static Map<String, Object> data(Object... keysAndValues) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            out.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return out;
    }
}
