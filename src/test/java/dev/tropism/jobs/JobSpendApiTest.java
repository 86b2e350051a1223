package dev.tropism.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.tropism.models.ModelRecord;
import dev.tropism.models.ModelStore;
import dev.tropism.storage.ObjectStore;
import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.usage.UsageStore;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import dev.tropism.support.TropismTestClient.Team;
import java.io.ByteArrayInputStream;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Import;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * Spend and budgets of issue 17 with scripted runs (each step sleeps, so device time is real): per-step accrual
 * against the price, a job budget that pauses with a checkpoint and resumes once raised, the team's monthly cap at
 * submission and on a running job, and training spend in {@code GET /v1/usage}. The CPU price is 2 per second so that
 * amounts are large against the ledger's 9 decimal places.
 */
@TropismIntegrationTest
@Import(JobsTestConfig.class)
@TestPropertySource(properties = {"tropism.jobs.checkpoint-interval=5", "tropism.jobs.poll-interval=50ms",
        "tropism.jobs.max-concurrent=1", "tropism.pricing.cpu-second=2"})
class JobSpendApiTest {

    private static final double PRICE = 2.0;

    @Autowired TropismTestClient api;
    @Autowired JobsTestConfig.FakeCatalog catalog;
    @Autowired ModelStore models;
    @Autowired ObjectStore objects;
    @Autowired JdbcClient jdbc;
    @Autowired UsageStore usageStore;

    Team team;
    /** The team's scripted base model, prompts and reward spec, and the job helpers shared with the retention tests. */
    ScriptedJobs jobs;
    String baseModel;

    @BeforeEach
    void setUp() throws Exception {
        team = api.newTeam("t-" + UUID.randomUUID().toString().substring(0, 8));
        jobs = new ScriptedJobs(team, catalog, models);
        baseModel = jobs.baseModel;
        objects.put(ModelRecord.prefixOf(baseModel) + "config.json", new ByteArrayInputStream("{}".getBytes()));
    }

    private Map<String, Object> body(int maxSteps, long seed, Map<String, Object> budget) {
        Map<String, Object> grpo = new HashMap<>();
        grpo.put("max_steps", maxSteps);
        grpo.put("warmup_steps", 0);
        grpo.put("eval_interval", 4);
        Map<String, Object> b = new HashMap<>();
        b.put("model", baseModel);
        b.put("dataset", jobs.prompts);
        b.put("reward_spec", jobs.rewardSpec);
        b.put("method", Map.of("type", "grpo", "grpo", grpo));
        b.put("seed", seed);
        b.put("metadata", Map.of("step_millis", 20));
        if (budget != null) {
            b.put("budget", budget);
        }
        return b;
    }

    private String submit(Map<String, Object> body) {
        return jobs.submit(body);
    }

    private JsonNode job(String id) {
        return jobs.job(id);
    }

    private JsonNode await(String id, String status) throws InterruptedException {
        return jobs.await(id, status);
    }

    private void awaitStep(String id, int atLeast) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (job(id).get("current_step").asInt() < atLeast) {
            assertThat(System.nanoTime()).isLessThan(deadline);
            Thread.sleep(10);
        }
    }

    /** name → step → value, every series of the job. */
    private Map<String, Map<Integer, Double>> metrics(String id) {
        ApiResponse r = team.calls().get("/v1/jobs/" + id + "/metrics");
        assertThat(r.status()).isEqualTo(200);
        Map<String, Map<Integer, Double>> out = new TreeMap<>();
        for (String name : r.json().get("metrics").propertyNames()) {
            Map<Integer, Double> series = new TreeMap<>();
            r.json().get("metrics").get(name).forEach(p -> series.put(p.get("step").asInt(), p.get("value").asDouble()));
            out.put(name, series);
        }
        return out;
    }

    private List<JsonNode> events(String id, String type) {
        List<JsonNode> out = new ArrayList<>();
        team.calls().get("/v1/jobs/" + id + "/events?limit=100").json().get("data").forEach(e -> {
            if (e.get("type").asString().equals(type)) {
                out.add(e);
            }
        });
        return out;
    }

    private ApiResponse put(TropismTestClient.Calls calls, String path, Object body) {
        return calls.exchange(HttpMethod.PUT, path, MediaType.APPLICATION_JSON, body);
    }

    @Test
    void spendAccruesPerStepAsDeviceSecondsTimesThePriceAndShowsInUsage() throws Exception {
        long started = System.nanoTime();
        String id = submit(body(8, 1, null));
        JsonNode queued = job(id);
        assertThat(queued.get("spend").get("currency").asString()).isEqualTo("USD");
        assertThat(queued.get("spend").get("estimate_basis").asString()).matches("(measured|flops): .*");
        assertThat(queued.path("budget").isNull()).as("no budget").isTrue();
        JsonNode done = await(id, "succeeded");
        double wall = (System.nanoTime() - started) / 1e9;

        Map<String, Map<Integer, Double>> m = metrics(id);
        Map<Integer, Double> spend = m.get("cost/spend");
        Map<Integer, Double> seconds = m.get("cost/device_seconds");
        assertThat(spend.keySet()).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
        assertThat(seconds.keySet()).isEqualTo(spend.keySet());
        double previous = 0;
        for (int step = 1; step <= 8; step++) {
            // each step slept 20 ms: its device time is at least that, and the spend is that time at the price
            assertThat(seconds.get(step) - previous).as("device seconds of step %d", step).isGreaterThanOrEqualTo(0.02);
            previous = seconds.get(step);
            assertThat(spend.get(step)).as("spend at step %d", step)
                    .isCloseTo(seconds.get(step) * PRICE, within(seconds.get(step) * PRICE * 0.01));
        }
        assertThat(seconds.get(8)).isLessThan(wall);

        // the ledger holds exactly the job's totals, which the view shows
        var ledger = jdbc.sql("SELECT SUM(device_seconds), SUM(spend), MIN(device_class), COUNT(*) FROM spend_ledger"
                + " WHERE job_id = ?").param(id).query((rs, i) -> List.of(rs.getDouble(1), rs.getBigDecimal(2),
                rs.getString(3), rs.getInt(4))).single();
        assertThat(ledger.get(2)).isEqualTo("cpu");
        double ledgerSeconds = (Double) ledger.get(0);
        BigDecimal ledgerSpend = (BigDecimal) ledger.get(1);
        assertThat(ledgerSeconds).isCloseTo(seconds.get(8), within(1e-9));
        assertThat(ledgerSpend.doubleValue()).isCloseTo(ledgerSeconds * PRICE, within(ledgerSeconds * PRICE * 0.01));
        assertThat(done.get("spend").get("amount").decimalValue()).isEqualByComparingTo(ledgerSpend);
        assertThat(done.get("spend").get("device_seconds").asDouble()).isCloseTo(ledgerSeconds, within(1e-9));
        JsonNode succeeded = events(id, "job.succeeded").get(0).get("data");
        assertThat(succeeded.get("spend").decimalValue()).isEqualByComparingTo(ledgerSpend);
        assertThat(succeeded.get("currency").asString()).isEqualTo("USD");

        // GET /v1/usage: the job's training beside serving priced per token and image, with totals
        usageStore.add(team.id(), LocalDate.now(ZoneOffset.UTC), "served", 2, 1000, 2000, 3);
        ApiResponse usage = team.calls().get("/v1/usage");
        assertThat(usage.status()).as(usage.toString()).isEqualTo(200);
        JsonNode training = usage.json().get("training");
        assertThat(training).hasSize(1);
        assertThat(training.get(0).get("job").asString()).isEqualTo(id);
        assertThat(training.get(0).get("model").asString()).isEqualTo(baseModel);
        assertThat(training.get(0).get("date").asString()).isEqualTo(LocalDate.now(ZoneOffset.UTC).toString());
        assertThat(training.get(0).get("spend").decimalValue()).isEqualByComparingTo(ledgerSpend);
        assertThat(usage.json().get("totals").get("training_spend").decimalValue()).isEqualByComparingTo(ledgerSpend);
        JsonNode served = usage.json().get("data").get(0);
        assertThat(served.get("model").asString()).isEqualTo("served");
        BigDecimal serving = new BigDecimal("0.0095"); // 1000 × 0.0000005 + 2000 × 0.0000015 + 3 × 0.002
        assertThat(served.get("spend").decimalValue()).isEqualByComparingTo(serving);
        assertThat(usage.json().get("totals").get("serving_spend").decimalValue()).isEqualByComparingTo(serving);
        assertThat(usage.json().get("totals").get("currency").asString()).isEqualTo("USD");
        JsonNode other = team.calls().get("/v1/usage?model=other").json();
        assertThat(other.get("training")).isEmpty();
        assertThat(other.get("data")).isEmpty();
        assertThat(other.get("totals").get("training_spend").decimalValue()).isZero();

        // exported like every job metric
        String prometheus = api.admin().get("/actuator/prometheus").text();
        assertThat(prometheus).contains("tropism_job_metric{job=\"" + id + "\",name=\"cost/spend\"}");

        // a later job of the same method and base model is estimated from this measured one
        String next = submit(body(4, 2, null));
        JsonNode estimated = job(next).get("spend");
        assertThat(estimated.get("estimate_basis").asString()).startsWith("measured: mean of 1 succeeded grpo run(s) of "
                + baseModel);
        double perStep = ledgerSeconds / 8;
        assertThat(estimated.get("estimate").asDouble()).isCloseTo(4 * perStep * PRICE, within(4 * perStep * PRICE * 0.01));
        await(next, "succeeded");
    }

    @Test
    void aSmallMaxSpendPausesWithACheckpointAndResumesAfterARaiseToTheSameMetrics() throws Exception {
        String id = submit(body(12, 7, Map.of("max_spend", 0.1))); // about 50 ms of device time at 2/s: a few steps
        JsonNode created = job(id);
        assertThat(created.get("budget").get("max_spend").decimalValue()).isEqualByComparingTo("0.1");

        JsonNode paused = await(id, "paused");
        int step = paused.get("current_step").asInt();
        assertThat(step).isBetween(1, 11);
        assertThat(paused.get("spend").get("amount").decimalValue()).isGreaterThanOrEqualTo(new BigDecimal("0.1"));
        JsonNode checkpoints = team.calls().get("/v1/jobs/" + id + "/checkpoints").json().get("data");
        assertThat(checkpoints.get(checkpoints.size() - 1).get("step").asInt()).isEqualTo(step);
        JsonNode exceeded = events(id, "budget_exceeded").get(0);
        assertThat(exceeded.get("level").asString()).isEqualTo("warning");
        assertThat(exceeded.get("data").get("budget").asString()).isEqualTo("job");
        assertThat(exceeded.get("data").get("max_spend").decimalValue()).isEqualByComparingTo("0.1");
        assertThat(exceeded.get("data").get("spend").decimalValue()).isGreaterThanOrEqualTo(new BigDecimal("0.1"));
        assertThat(events(id, "job.paused").get(0).get("data").get("reason").asString()).isEqualTo("budget");
        assertThat(systemAudit(id, "job.paused_by_budget")).as("the pause is in the audit log").hasSize(1);

        // resuming without room is refused with what to do
        ApiResponse refused = team.calls().post("/v1/jobs/" + id + "/resume", "");
        assertThat(refused.status()).as(refused.toString()).isEqualTo(402);
        assertThat(refused.json().get("code").asString()).isEqualTo("budget_exceeded");
        assertThat(refused.json().get("max_spend").decimalValue()).isEqualByComparingTo("0.1");
        assertThat(refused.json().get("detail").asString()).contains("PUT /v1/jobs/" + id + "/budget");
        assertThat(job(id).get("status").asString()).isEqualTo("paused");

        // the budget is validated, then raised
        for (Object bad : List.of(Map.of("max_spend", 0), Map.of("max_spend", -1), Map.of("max_spend", "lots"),
                Map.of("max_spend", 5, "extra", 1), Map.of())) {
            ApiResponse r = put(team.calls(), "/v1/jobs/" + id + "/budget", bad);
            assertThat(r.status()).as("%s: %s", bad, r).isEqualTo(422);
        }
        assertThat(put(api.newTeam("other").calls(), "/v1/jobs/" + id + "/budget", Map.of("max_spend", 5)).status())
                .isEqualTo(404);
        ApiResponse raised = put(team.calls(), "/v1/jobs/" + id + "/budget", Map.of("max_spend", 1000));
        assertThat(raised.status()).as(raised.toString()).isEqualTo(200);
        assertThat(raised.json().get("budget").get("max_spend").decimalValue()).isEqualByComparingTo("1000");
        assertThat(events(id, "budget.updated")).hasSize(1);
        ApiResponse resumed = team.calls().post("/v1/jobs/" + id + "/resume", "");
        assertThat(resumed.status()).as(resumed.toString()).isEqualTo(200);
        await(id, "succeeded");

        // the same job with the same seed, never interrupted: the same metrics but for speed and cost
        String uninterrupted = submit(body(12, 7, null));
        await(uninterrupted, "succeeded");
        Map<String, Map<Integer, Double>> resumedMetrics = learning(metrics(id));
        assertThat(resumedMetrics).containsKey("train/loss").isEqualTo(learning(metrics(uninterrupted)));
        assertThat(resumedMetrics.get("train/loss").keySet()).hasSize(12);
    }

    /** The metrics that are not about speed or cost. */
    private static Map<String, Map<Integer, Double>> learning(Map<String, Map<Integer, Double>> all) {
        Map<String, Map<Integer, Double>> out = new TreeMap<>(all);
        out.keySet().removeIf(name -> name.startsWith("perf/") || name.startsWith("cost/"));
        return out;
    }

    @Test
    void aBudgetIsValidatedAtSubmission() {
        for (Object bad : List.of(Map.of("max_spend", 0), Map.of("max_spend", "1"), Map.of("max_spend", 1e13),
                Map.of("max_spend", 1, "currency", "EUR"), Map.of(), "cheap")) {
            ApiResponse r = team.calls().post("/v1/jobs", with(body(3, 1, null), "budget", bad));
            assertThat(r.status()).as("%s: %s", bad, r).isEqualTo(422);
            assertThat(r.json().get("errors").get(0).get("pointer").asString()).startsWith("/budget");
        }
    }

    private static Map<String, Object> with(Map<String, Object> body, String key, Object value) {
        body.put(key, value);
        return body;
    }

    @Test
    void theTeamCapRefusesSubmissionsAndPausesARunningJobThatCrossesIt() throws Exception {
        String path = "/v1/teams/" + team.id() + "/budget";
        JsonNode none = team.calls().get(path).json();
        assertThat(none.path("monthly_limit").isNull()).as("no limit").isTrue();
        assertThat(none.path("remaining").isNull()).isTrue();
        assertThat(none.get("month").asString()).isEqualTo(LocalDate.now(ZoneOffset.UTC).toString().substring(0, 7));

        // only an operator sets it; a team reads its own only
        assertThat(put(team.calls(), path, Map.of("monthly_limit", 5)).status()).isEqualTo(403);
        assertThat(api.newTeam("nosy").calls().get(path).status()).isEqualTo(404);
        assertThat(put(api.admin(), "/v1/teams/team_nope/budget", Map.of("monthly_limit", 5)).status()).isEqualTo(404);
        for (Object bad : List.of(Map.of("monthly_limit", -1), Map.of("monthly_limit", 5, "alert_threshold", 2),
                Map.of("alert_threshold", 0.5), Map.of("monthly_limit", 5, "limit", 1))) {
            assertThat(put(api.admin(), path, bad).status()).as("%s", bad).isEqualTo(422);
        }

        ApiResponse set = put(api.admin(), path, Map.of("monthly_limit", 1000, "alert_threshold", 0.5));
        assertThat(set.status()).as(set.toString()).isEqualTo(200);
        assertThat(set.json().get("monthly_limit").decimalValue()).isEqualByComparingTo("1000");
        assertThat(set.json().get("remaining").decimalValue()).isEqualByComparingTo("1000");
        assertThat(set.json().get("alerted").asBoolean()).isFalse();

        String running = submit(body(500, 3, null));
        awaitStep(running, 2);
        JsonNode now = team.calls().get(path).json();
        BigDecimal spent = now.get("spend_this_month").decimalValue();
        assertThat(spent).isPositive();
        // lower the cap to a little more than what is spent: the running job crosses it within a few steps
        BigDecimal cap = spent.add(new BigDecimal("0.1"));
        // the team's webhook endpoint for the alert (nothing listens there: the outbox row is what counts)
        ApiResponse hook = team.calls().post("/v1/webhook-endpoints", Map.of("url", "http://127.0.0.1:9/budget",
                "events", List.of("team.budget_alert")));
        assertThat(hook.status()).as(hook.toString()).isEqualTo(201);
        assertThat(put(api.admin(), path, Map.of("monthly_limit", cap, "alert_threshold", 0.01)).status()).isEqualTo(200);
        JsonNode paused = await(running, "paused");
        assertThat(paused.get("current_step").asInt()).isLessThan(500);
        JsonNode exceeded = events(running, "budget_exceeded").get(0).get("data");
        assertThat(exceeded.get("budget").asString()).isEqualTo("team");
        assertThat(events(running, "job.paused").get(0).get("data").get("reason").asString()).isEqualTo("team_budget");
        assertThat(systemAudit(running, "job.paused_by_team_budget")).as("the pause is in the audit log").hasSize(1);
        JsonNode alert = events(running, "team_budget_alert").get(0);
        assertThat(alert.get("level").asString()).isEqualTo("warning");
        assertThat(alert.get("data").get("monthly_limit").decimalValue()).isEqualByComparingTo(cap);
        JsonNode deliveries = team.calls().get("/v1/webhook-endpoints/" + hook.json().get("id").asString()
                + "/deliveries").json().get("data");
        assertThat(deliveries).hasSize(1);
        assertThat(deliveries.get(0).get("event_type").asString()).isEqualTo("team.budget_alert");
        assertThat(deliveries.get(0).get("payload").toString()).contains(team.id(), running);
        JsonNode after = team.calls().get(path).json();
        assertThat(after.get("alerted").asBoolean()).isTrue();
        assertThat(after.get("remaining").decimalValue()).isZero();
        assertThat(after.get("spend_this_month").decimalValue()).isGreaterThanOrEqualTo(cap);

        // nothing remains: a submission and the resume are refused with 402 and how to raise the cap
        ApiResponse refused = team.calls().post("/v1/jobs", body(5, 4, null));
        assertThat(refused.status()).as(refused.toString()).isEqualTo(402);
        assertThat(refused.json().get("code").asString()).isEqualTo("budget_exceeded");
        assertThat(refused.json().get("estimate").decimalValue()).isPositive();
        assertThat(refused.json().get("remaining").decimalValue()).isZero();
        assertThat(refused.json().get("monthly_limit").decimalValue()).isEqualByComparingTo(cap);
        assertThat(refused.json().get("detail").asString()).contains("PUT " + path);
        assertThat(team.calls().post("/v1/jobs/" + running + "/resume", "").status()).isEqualTo(402);

        // raised: the job resumes
        assertThat(put(api.admin(), path, Map.of("monthly_limit", 1000)).status()).isEqualTo(200);
        ApiResponse resumed = team.calls().post("/v1/jobs/" + running + "/resume", "");
        assertThat(resumed.status()).as(resumed.toString()).isEqualTo(200);
        assertThat(team.calls().post("/v1/jobs/" + running + "/cancel", "").status()).isEqualTo(200);
        await(running, "cancelled");
        assertThat(events(running, "team_budget_alert")).as("once a month").hasSize(1);
    }

    /** The audit log's system rows of {@code action} on the job. */
    private JsonNode systemAudit(String jobId, String action) {
        JsonNode rows = api.admin().get("/v1/audit-events?resource=" + jobId + "&action=" + action).json().get("data");
        rows.forEach(r -> assertThat(r.get("key_id").asString()).isEqualTo("system"));
        return rows;
    }
}
