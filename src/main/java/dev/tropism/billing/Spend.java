package dev.tropism.billing;

import dev.tropism.web.ApiException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Training spend: each job's running totals, budget and estimate, the ledger by team, UTC day, job and device class,
 * and each team's monthly budget. {@link #accrue} runs in the training step's transaction (the caller's), so a step's
 * metrics and its spend commit or roll back together.
 */
@Service
public class Spend {

    /** Code of the 402 problems: a job's own budget, or its team's monthly cap, has no room. */
    public static final String BUDGET_EXCEEDED = "budget_exceeded";
    /** {@link Accrual#limit()}: the job's own {@code max_spend} was reached. */
    public static final String JOB = "job";
    /** {@link Accrual#limit()}: the team's monthly limit was reached. */
    public static final String TEAM = "team";

    private final SpendStore store;
    private final Pricing pricing;
    private final ApplicationEventPublisher publisher;
    private final Clock clock;

    public Spend(SpendStore store, Pricing pricing, ApplicationEventPublisher publisher) {
        this.store = store;
        this.pricing = pricing;
        this.publisher = publisher;
        this.clock = Clock.systemUTC();
    }

    /** A job's spend as the API shows it, with its budget and estimate. */
    public record JobSpend(String jobId, String teamId, String methodType, String baseModel, BigDecimal maxSpend,
            BigDecimal spend, double deviceSeconds, int steps, String deviceClass, BigDecimal estimate,
            Double estimateDeviceSeconds, String estimateBasis, boolean succeeded) {

        /** Whether the job's own budget has no room left. */
        public boolean overBudget() {
            return maxSpend != null && spend.compareTo(maxSpend) >= 0;
        }
    }

    /**
     * What a job is expected to cost before it starts.
     *
     * @param amount null when nothing is known to estimate from
     * @param deviceSeconds the device time behind {@code amount}
     * @param basis how it was made, e.g. {@code measured: 3 succeeded grpo runs of model_x, 0.41 s/step}
     */
    public record Estimate(BigDecimal amount, Double deviceSeconds, String basis) {

        public static final Estimate NONE = new Estimate(null, null, "none: no comparable run and no FLOP estimate");
    }

    /**
     * What a FLOP estimate needs: {@code 6 × parameters × tokensPerStep} FLOPs per step on an assumed device throughput.
     *
     * @param cuda whether the job asks for a GPU (priced as {@code cuda})
     */
    public record FlopShape(long parameters, long tokensPerStep, boolean cuda) {
    }

    /**
     * The spend after one accrual.
     *
     * @param limit {@link #JOB} or {@link #TEAM} when that budget has no room left; null otherwise
     * @param alert the team alert this accrual crossed (published as an event too); null when none
     */
    public record Accrual(BigDecimal spend, double deviceSeconds, BigDecimal maxSpend, String limit,
            TeamBudgetAlert alert, String currency) {
    }

    /** A team's budget this month. */
    public record TeamBudget(String month, String currency, BigDecimal monthlyLimit, Double alertThreshold,
            BigDecimal spendThisMonth, BigDecimal remaining, boolean alerted) {
    }

    /** One row of training usage: a job's device time and spend on a UTC day. */
    public record TrainingUsage(LocalDate date, String model, String job, double deviceSeconds, BigDecimal spend) {
    }

    public Pricing pricing() {
        return pricing;
    }

    /**
     * The estimate of a new job of {@code steps} steps: {@code steps × } the mean measured seconds per step of
     * succeeded runs of the same method type and base model, else of the same method type, priced as the most recent
     * of them ran; else the FLOP estimate of {@code flops} ({@code 6 × parameters × tokens per step} per step at the
     * assumed throughput of {@code tropism.pricing.assumed-flops-per-second}); else {@link Estimate#NONE}.
     */
    public Estimate estimate(String methodType, String baseModel, int steps, FlopShape flops) {
        if (methodType != null) {
            String model = baseModel;
            List<SpendStore.Measured> runs = model == null ? List.of() : store.measured(methodType, model);
            if (runs.isEmpty()) {
                model = null;
                runs = store.measured(methodType, null);
            }
            if (!runs.isEmpty()) {
                double perStep = runs.stream().mapToDouble(r -> r.deviceSeconds() / r.steps()).average().orElseThrow();
                double seconds = perStep * steps;
                String deviceClass = runs.get(0).deviceClass();
                return new Estimate(pricing.deviceTime(deviceClass, seconds), seconds, "measured: mean of "
                        + runs.size() + " succeeded " + methodType + " run(s)" + (model == null ? "" : " of " + model)
                        + ", " + String.format(java.util.Locale.ROOT, "%.4g", perStep) + " s/step on " + deviceClass);
            }
        }
        if (flops != null && flops.parameters() > 0 && flops.tokensPerStep() > 0) {
            double perSecond = pricing.assumedFlopsPerSecond(flops.cuda());
            double seconds = 6.0 * flops.parameters() * flops.tokensPerStep() * steps / perSecond;
            String deviceClass = flops.cuda() ? Pricing.CUDA : Pricing.CPU;
            return new Estimate(pricing.deviceTime(deviceClass, seconds), seconds, "flops: 6 × " + flops.parameters()
                    + " parameters × " + flops.tokensPerStep() + " tokens/step at an assumed "
                    + String.format(java.util.Locale.ROOT, "%.3g", perSecond) + " FLOP/s on " + deviceClass);
        }
        return Estimate.NONE;
    }

    /** Records a new job's budget and estimate (in the submission's transaction). */
    @Transactional
    public void open(String jobId, String teamId, String methodType, String baseModel, BigDecimal maxSpend,
            Estimate estimate) {
        store.insertJob(jobId, teamId, methodType, baseModel, maxSpend == null ? null : Pricing.money(maxSpend),
                estimate);
    }

    /**
     * Refuses with 402 {@code budget_exceeded} when the team's monthly limit leaves less than {@code needed}
     * (nothing at all, when {@code needed} is null).
     *
     * @param what what is refused, for the detail ("Job submission", "Resuming job job_…")
     */
    @Transactional(readOnly = true)
    public void requireTeamRoom(String teamId, BigDecimal needed, String what) {
        TeamBudget budget = teamBudget(teamId);
        if (budget.monthlyLimit() == null) {
            return;
        }
        BigDecimal remaining = budget.remaining();
        boolean refused = needed == null ? remaining.signum() <= 0 : needed.compareTo(remaining) > 0;
        if (refused) {
            String estimate = needed == null ? "" : " its estimate of " + needed.stripTrailingZeros().toPlainString() + " "
                    + budget.currency() + " exceeds";
            throw new ApiException(HttpStatus.PAYMENT_REQUIRED, BUDGET_EXCEEDED, what + " refused:" + estimate
                    + (needed == null ? " nothing remains of" : " the " + remaining.stripTrailingZeros().toPlainString()
                    + " " + budget.currency() + " that remain of") + " team " + teamId + "'s monthly budget of "
                    + budget.monthlyLimit().stripTrailingZeros().toPlainString() + " " + budget.currency() + " for "
                    + budget.month() + ". An operator can raise it with PUT /v1/teams/" + teamId
                    + "/budget {\"monthly_limit\": ...}; or lower max_steps.")
                    .with("budget", TEAM).with("estimate", needed).with("remaining", remaining)
                    .with("monthly_limit", budget.monthlyLimit()).with("currency", budget.currency())
                    .with("month", budget.month());
        }
    }

    /**
     * Adds {@code seconds} of {@code deviceClass} (and {@code steps} optimizer steps) to the job's totals and to the
     * ledger of today (UTC), then says whether the job's or its team's budget has room left, and publishes the team's
     * {@link TeamBudgetAlert} when this accrual crossed its threshold (once a month). Runs in the caller's transaction.
     *
     * @param model the job's model (the ledger's {@code model})
     */
    @Transactional
    public Accrual accrue(String jobId, String teamId, String model, String deviceClass, double seconds, int steps) {
        BigDecimal amount = pricing.deviceTime(deviceClass, Math.max(0, seconds));
        LocalDate today = LocalDate.now(clock.withZone(ZoneOffset.UTC));
        store.add(teamId, today, jobId, model, deviceClass, Math.max(0, seconds), amount, steps);
        JobSpend job = store.job(jobId).orElseThrow();
        String limit = job.overBudget() ? JOB : null;
        TeamBudgetAlert alert = null;
        Optional<SpendStore.BudgetRow> budget = store.budget(teamId);
        if (budget.isPresent() && budget.get().monthlyLimit() != null) {
            YearMonth month = YearMonth.from(today);
            BigDecimal monthLimit = budget.get().monthlyLimit();
            BigDecimal monthSpend = store.teamSpendSince(teamId, month.atDay(1));
            Double threshold = budget.get().alertThreshold();
            if (threshold != null && monthSpend.compareTo(monthLimit.multiply(BigDecimal.valueOf(threshold))) >= 0
                    && store.recordAlert(teamId, month.toString(), jobId, monthSpend)) {
                alert = new TeamBudgetAlert(teamId, month.toString(), jobId, Pricing.money(monthSpend),
                        Pricing.money(monthLimit), threshold, pricing.currency());
                publisher.publishEvent(alert);
            }
            if (limit == null && monthSpend.compareTo(monthLimit) >= 0) {
                limit = TEAM;
            }
        }
        return new Accrual(job.spend(), job.deviceSeconds(), job.maxSpend(), limit, alert, pricing.currency());
    }

    public Optional<JobSpend> job(String jobId) {
        return store.job(jobId);
    }

    /** The spend of several jobs by id (those without a row are absent). */
    public Map<String, JobSpend> jobs(Collection<String> jobIds) {
        Map<String, JobSpend> out = new LinkedHashMap<>();
        store.jobs(jobIds).forEach(j -> out.put(j.jobId(), j));
        return out;
    }

    /** Sets a job's {@code max_spend} (null: no budget). */
    @Transactional
    public JobSpend setMaxSpend(String jobId, String teamId, BigDecimal maxSpend) {
        BigDecimal scaled = maxSpend == null ? null : Pricing.money(maxSpend);
        if (!store.setMaxSpend(jobId, scaled)) {
            store.insertJob(jobId, teamId, null, null, scaled, Estimate.NONE);
        }
        return store.job(jobId).orElseThrow();
    }

    /** A succeeded job's measurements become a basis of later estimates. */
    @Transactional
    public void succeeded(String jobId) {
        store.markSucceeded(jobId);
    }

    /** The team's budget and training spend this calendar month (UTC). */
    @Transactional(readOnly = true)
    public TeamBudget teamBudget(String teamId) {
        YearMonth month = YearMonth.now(clock.withZone(ZoneOffset.UTC));
        BigDecimal spent = Pricing.money(store.teamSpendSince(teamId, month.atDay(1)));
        SpendStore.BudgetRow row = store.budget(teamId).orElse(new SpendStore.BudgetRow(null, null));
        BigDecimal limit = row.monthlyLimit() == null ? null : Pricing.money(row.monthlyLimit());
        BigDecimal remaining = limit == null ? null : limit.subtract(spent).max(BigDecimal.ZERO.setScale(Pricing.SCALE));
        return new TeamBudget(month.toString(), pricing.currency(), limit, row.alertThreshold(), spent, remaining,
                store.alerted(teamId, month.toString()));
    }

    /** Sets the team's monthly limit and alert threshold (both null: no budget). */
    @Transactional
    public TeamBudget setTeamBudget(String teamId, BigDecimal monthlyLimit, Double alertThreshold) {
        store.putBudget(teamId, monthlyLimit == null ? null : Pricing.money(monthlyLimit), alertThreshold);
        return teamBudget(teamId);
    }

    public boolean teamExists(String teamId) {
        return store.teamExists(teamId);
    }

    /** The team's training spend by UTC day, model and job, {@code from} to {@code to} inclusive. */
    public List<TrainingUsage> training(String teamId, LocalDate from, LocalDate to, String model) {
        return store.ledger(teamId, from, to, model);
    }

    /** {@code part / whole} of an estimate, for the part of a job that remains. */
    public static BigDecimal share(BigDecimal amount, int part, int whole) {
        if (amount == null || whole <= 0) {
            return amount;
        }
        return amount.multiply(BigDecimal.valueOf(Math.max(0, part))).divide(BigDecimal.valueOf(whole), Pricing.SCALE,
                RoundingMode.HALF_UP);
    }
}
