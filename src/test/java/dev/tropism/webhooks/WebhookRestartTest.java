package dev.tropism.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.TropismApplication;
import dev.tropism.evaluations.EvaluationCompleted;
import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import dev.tropism.support.TropismTestClient.Team;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.TestPropertySource;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Durability across restarts: the test's own context records events but sends nothing
 * ({@code tropism.webhooks.delivery.enabled=false}); other instances of the service, started and stopped on the same
 * database, do the sending, as API nodes of one deployment would.
 */
@TropismIntegrationTest
@TestPropertySource(properties = "tropism.webhooks.delivery.enabled=false")
class WebhookRestartTest {

    static final Duration WAIT = Duration.ofSeconds(30);

    @Autowired TropismTestClient api;
    @Autowired Environment env;
    @Autowired JdbcClient jdbc;
    @Autowired ApplicationEventPublisher publisher;
    @Autowired PlatformTransactionManager transactionManager;

    /** Another instance of the service on this test's database, data directory and secrets key. */
    private ConfigurableApplicationContext instance(String allowedHosts) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("spring.datasource.url", env.getRequiredProperty("spring.datasource.url"));
        p.put("spring.datasource.username", env.getProperty("spring.datasource.username", ""));
        p.put("spring.datasource.password", env.getProperty("spring.datasource.password", ""));
        p.put("spring.datasource.hikari.maximum-pool-size", "4");
        p.put("tropism.data-dir", env.getRequiredProperty("tropism.data-dir"));
        p.put("tropism.admin-key", TropismTestClient.ADMIN_KEY);
        p.put("server.port", "0");
        p.put("tropism.webhooks.allowed-hosts", allowedHosts);
        p.put("tropism.webhooks.delivery.initial-backoff", "200ms");
        p.put("tropism.webhooks.delivery.max-backoff", "400ms");
        p.put("tropism.webhooks.delivery.poll-interval", "50ms");
        p.put("tropism.webhooks.delivery.timeout", "2s");
        p.put("tropism.webhooks.delivery.lease", "4s");
        // As command-line arguments: they win over application.yml, as a deployment's environment would.
        return new SpringApplicationBuilder(TropismApplication.class)
                .run(p.entrySet().stream().map(e -> "--" + e.getKey() + "=" + e.getValue()).toArray(String[]::new));
    }

    private Map<String, Object> delivery(String endpoint) {
        return jdbc.sql("SELECT status, attempts, last_error, claimed_by, delivered_at FROM webhook_deliveries"
                        + " WHERE endpoint_id = ?").param(endpoint).query().singleRow();
    }

    private void awaitAttempts(String endpoint, int n) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (((Number) delivery(endpoint).get("attempts")).intValue() < n) {
            assertThat(System.nanoTime()).as("attempts: %s", delivery(endpoint)).isLessThan(deadline);
            Thread.sleep(25);
        }
    }

    @Test
    void anEventRecordedBeforeARestartIsDeliveredAfterItAndTheAllowListIsCheckedAtEachAttempt() throws Exception {
        Team team = api.newTeam("wh-restart");
        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            ApiResponse created = team.calls().post("/v1/webhook-endpoints", Map.of("url", receiver.url("/durable"),
                    "events", List.of("evaluation.completed")));
            assertThat(created.status()).as(created.toString()).isEqualTo(201);
            String endpoint = created.json().get("id").asString();
            String secret = created.json().get("secret").asString();

            new TransactionTemplate(transactionManager).executeWithoutResult(s -> publisher.publishEvent(
                    new EvaluationCompleted("eval_durable", team.id(), "suite_1", "arith", 1, "completed", "passed",
                            List.of(), "rs_1", null)));
            Thread.sleep(300);
            assertThat(delivery(endpoint)).containsEntry("status", "pending").containsEntry("attempts", 0);
            assertThat(receiver.requests()).as("this node sends nothing").isEmpty();

            // An instance whose allow-list no longer has 127.0.0.1 refuses to send, attempt after attempt.
            try (ConfigurableApplicationContext refusing = instance("localhost")) {
                awaitAttempts(endpoint, 2);
            }
            assertThat(receiver.requests()).isEmpty();
            assertThat((String) delivery(endpoint).get("last_error")).startsWith("host_not_allowed")
                    .contains("127.0.0.1");
            assertThat(delivery(endpoint)).containsEntry("status", "pending");

            // As if a node had claimed it and died: it is due again only when the claim's lease lapses.
            Instant leaseEnd = Instant.now().plusSeconds(2);
            jdbc.sql("UPDATE webhook_deliveries SET claimed_by = 'node_dead', next_attempt_at = ? WHERE endpoint_id = ?")
                    .params(OffsetDateTime.ofInstant(leaseEnd, ZoneOffset.UTC), endpoint).update();

            // A restarted service with the host allowed delivers it.
            try (ConfigurableApplicationContext restarted = instance("127.0.0.1")) {
                WebhookReceiver.Request got = receiver.await(1, WAIT).get(0);
                assertThat(got.at()).isAfterOrEqualTo(leaseEnd.minusMillis(50));
                assertThat(got.body()).contains("\"eval_durable\"");
                assertThat(got.header("webhook-signature")).isEqualTo("v1," + WebhookReceiver.expectedSignature(secret,
                        got.header("webhook-id"), got.header("webhook-timestamp"), got.body()));
                long deadline = System.nanoTime() + WAIT.toNanos();
                while (!"delivered".equals(delivery(endpoint).get("status"))) {
                    assertThat(System.nanoTime()).isLessThan(deadline);
                    Thread.sleep(25);
                }
            }
            Map<String, Object> done = delivery(endpoint);
            int attempts = ((Number) done.get("attempts")).intValue();
            assertThat(attempts).isGreaterThanOrEqualTo(3);
            assertThat(done.get("claimed_by")).isNull();
            assertThat(receiver.requests()).hasSize(1);
            JsonLog log = new JsonLog(team.calls().get("/v1/webhook-endpoints/" + endpoint + "/deliveries").json());
            assertThat(log.errors().subList(0, attempts - 1)).allMatch(e -> e.startsWith("host_not_allowed"));
            assertThat(log.statusCodes().get(attempts - 1)).isEqualTo(200);
        }
    }

    /** The attempt log of an endpoint's only delivery. */
    private record JsonLog(tools.jackson.databind.JsonNode list) {

        List<String> errors() {
            return list.get("data").get(0).get("attempt_log").valueStream()
                    .map(a -> a.get("error").isNull() ? "" : a.get("error").asString()).toList();
        }

        List<Integer> statusCodes() {
            return list.get("data").get(0).get("attempt_log").valueStream()
                    .map(a -> a.get("status_code").isNull() ? null : a.get("status_code").asInt()).toList();
        }
    }
}
