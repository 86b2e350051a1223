package dev.tropism.webhooks;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** The events an endpoint can subscribe to, by their wire names ({@code job.succeeded}, ...). */
enum WebhookEventType {
    JOB_SUCCEEDED("job.succeeded"),
    JOB_FAILED("job.failed"),
    JOB_CANCELLED("job.cancelled"),
    JOB_PAUSED("job.paused"),
    JOB_REWARD_HACKING_SUSPECTED("job.reward_hacking_suspected"),
    EVALUATION_COMPLETED("evaluation.completed"),
    MODEL_READY("model.ready"),
    TEAM_BUDGET_ALERT("team.budget_alert");

    /** The subscription to every event type, present and future: {@code "events": ["*"]}. */
    static final String ALL = "*";

    private final String wire;

    WebhookEventType(String wire) {
        this.wire = wire;
    }

    String wire() {
        return wire;
    }

    static Optional<WebhookEventType> of(String wire) {
        String w = wire.toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(t -> t.wire.equals(w)).findFirst();
    }

    static List<String> wires() {
        return Arrays.stream(values()).map(WebhookEventType::wire).toList();
    }
}
