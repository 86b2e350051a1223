package dev.tropism.billing;

import java.math.BigDecimal;

/**
 * A team's training spend this month crossed its budget's alert threshold: published once per team and calendar month
 * (UTC), inside the transaction of the training step that crossed it.
 *
 * @param month {@code YYYY-MM}
 * @param jobId the job whose step crossed it
 * @param spend the team's training spend this month after that step
 * @param alertThreshold the fraction of {@code monthlyLimit} that was crossed
 */
public record TeamBudgetAlert(String teamId, String month, String jobId, BigDecimal spend, BigDecimal monthlyLimit,
        double alertThreshold, String currency) {
}
