package dev.tropism.billing;

import dev.tropism.storage.Db;
import java.math.BigDecimal;
import java.sql.Date;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDate;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** Rows of {@code spend_ledger}, {@code job_spend}, {@code team_budgets} and {@code team_budget_alerts}. */
@Repository
class SpendStore {

    private static final String JOB_COLUMNS = "job_id, team_id, method_type, base_model, max_spend, spend, device_seconds,"
            + " steps, device_class, estimate, estimate_device_seconds, estimate_basis, succeeded";

    private final JdbcClient jdbc;

    SpendStore(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    void insertJob(String jobId, String teamId, String methodType, String baseModel, BigDecimal maxSpend,
            Spend.Estimate estimate) {
        jdbc.sql("INSERT INTO job_spend (" + JOB_COLUMNS + ") VALUES (?, ?, ?, ?, ?, 0, 0, 0, NULL, ?, ?, ?, FALSE)")
                .params(jobId, teamId, methodType, baseModel, maxSpend, estimate.amount(), estimate.deviceSeconds(),
                        estimate.basis())
                .update();
    }

    /** Adds to the ledger's row of the day and to the job's totals (creating either when new). */
    void add(String teamId, LocalDate day, String jobId, String model, String deviceClass, double seconds,
            BigDecimal spend, int steps) {
        jdbc.sql("INSERT INTO spend_ledger (team_id, spend_date, job_id, model, device_class, device_seconds, spend)"
                        + " VALUES (?, ?, ?, ?, ?, 0, 0) ON CONFLICT DO NOTHING")
                .params(teamId, Date.valueOf(day), jobId, model, deviceClass).update();
        jdbc.sql("UPDATE spend_ledger SET device_seconds = device_seconds + ?, spend = spend + ?"
                        + " WHERE team_id = ? AND spend_date = ? AND job_id = ? AND device_class = ?")
                .params(seconds, spend, teamId, Date.valueOf(day), jobId, deviceClass).update();
        jdbc.sql("INSERT INTO job_spend (" + JOB_COLUMNS + ") VALUES (?, ?, NULL, NULL, NULL, 0, 0, 0, NULL, NULL, NULL,"
                        + " NULL, FALSE) ON CONFLICT DO NOTHING")
                .params(jobId, teamId).update();
        jdbc.sql("UPDATE job_spend SET spend = spend + ?, device_seconds = device_seconds + ?, steps = steps + ?,"
                        + " device_class = ? WHERE job_id = ?")
                .params(spend, seconds, steps, deviceClass, jobId).update();
    }

    Optional<Spend.JobSpend> job(String jobId) {
        return jdbc.sql("SELECT " + JOB_COLUMNS + " FROM job_spend WHERE job_id = ?").param(jobId)
                .query(SpendStore::mapJob).optional();
    }

    List<Spend.JobSpend> jobs(Collection<String> jobIds) {
        if (jobIds.isEmpty()) {
            return List.of();
        }
        return jdbc.sql("SELECT " + JOB_COLUMNS + " FROM job_spend WHERE job_id IN (:ids)").param("ids", jobIds)
                .query(SpendStore::mapJob).list();
    }

    boolean setMaxSpend(String jobId, BigDecimal maxSpend) {
        return jdbc.sql("UPDATE job_spend SET max_spend = ? WHERE job_id = ?").params(maxSpend, jobId).update() == 1;
    }

    void markSucceeded(String jobId) {
        jdbc.sql("UPDATE job_spend SET succeeded = TRUE, succeeded_at = ? WHERE job_id = ?").params(Db.now(), jobId).update();
    }

    /** Measured runs: succeeded jobs of this method type (and base model, when given) with steps, newest 50. */
    List<Measured> measured(String methodType, String baseModel) {
        String model = baseModel == null ? "" : " AND base_model = ?";
        var spec = jdbc.sql("SELECT device_seconds, steps, device_class FROM job_spend WHERE succeeded AND steps > 0"
                + " AND method_type = ?" + model + " ORDER BY succeeded_at DESC NULLS LAST, job_id DESC LIMIT 50").param(methodType);
        if (baseModel != null) {
            spec = spec.param(baseModel);
        }
        return spec.query((rs, i) -> new Measured(rs.getDouble(1), rs.getInt(2), rs.getString(3))).list();
    }

    /** One finished run's device time and steps. */
    record Measured(double deviceSeconds, int steps, String deviceClass) {
    }

    /** The team's training spend from {@code from} (inclusive) on. */
    BigDecimal teamSpendSince(String teamId, LocalDate from) {
        BigDecimal sum = jdbc.sql("SELECT COALESCE(SUM(spend), 0) FROM spend_ledger WHERE team_id = ? AND spend_date >= ?")
                .params(teamId, Date.valueOf(from)).query(BigDecimal.class).single();
        return sum == null ? BigDecimal.ZERO : sum;
    }

    /** A team's budget row. */
    record BudgetRow(BigDecimal monthlyLimit, Double alertThreshold) {
    }

    Optional<BudgetRow> budget(String teamId) {
        return jdbc.sql("SELECT monthly_limit, alert_threshold FROM team_budgets WHERE team_id = ?").param(teamId)
                .query((rs, i) -> new BudgetRow(rs.getBigDecimal(1), nullableDouble(rs, 2))).optional();
    }

    void putBudget(String teamId, BigDecimal monthlyLimit, Double alertThreshold) {
        jdbc.sql("INSERT INTO team_budgets (team_id, monthly_limit, alert_threshold, updated_at) VALUES (?, NULL, NULL, ?)"
                        + " ON CONFLICT DO NOTHING")
                .params(teamId, Db.now()).update();
        jdbc.sql("UPDATE team_budgets SET monthly_limit = ?, alert_threshold = ?, updated_at = ? WHERE team_id = ?")
                .params(monthlyLimit, alertThreshold, Db.now(), teamId).update();
    }

    /** Records the month's alert; false when it was already recorded. */
    boolean recordAlert(String teamId, String month, String jobId, BigDecimal spend) {
        return jdbc.sql("INSERT INTO team_budget_alerts (team_id, budget_month, job_id, spend, alerted_at)"
                        + " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")
                .params(teamId, month, jobId, spend, Db.now()).update() == 1;
    }

    boolean alerted(String teamId, String month) {
        return jdbc.sql("SELECT COUNT(*) FROM team_budget_alerts WHERE team_id = ? AND budget_month = ?")
                .params(teamId, month).query(Integer.class).single() > 0;
    }

    boolean teamExists(String teamId) {
        return jdbc.sql("SELECT COUNT(*) FROM teams WHERE id = ?").param(teamId).query(Integer.class).single() > 0;
    }

    /** The team's ledger rows from {@code from} to {@code to} inclusive, optionally of one model, by day, model, job. */
    List<Spend.TrainingUsage> ledger(String teamId, LocalDate from, LocalDate to, String model) {
        String sql = "SELECT spend_date, model, job_id, SUM(device_seconds), SUM(spend) FROM spend_ledger"
                + " WHERE team_id = ? AND spend_date >= ? AND spend_date <= ?" + (model == null ? "" : " AND model = ?")
                + " GROUP BY spend_date, model, job_id ORDER BY spend_date, model, job_id";
        var spec = jdbc.sql(sql).param(teamId).param(Date.valueOf(from)).param(Date.valueOf(to));
        if (model != null) {
            spec = spec.param(model);
        }
        return spec.query((rs, i) -> new Spend.TrainingUsage(rs.getDate(1).toLocalDate(), rs.getString(2),
                rs.getString(3), rs.getDouble(4), Pricing.money(rs.getBigDecimal(5)))).list();
    }

    private static Spend.JobSpend mapJob(ResultSet rs, int row) throws SQLException {
        return new Spend.JobSpend(rs.getString("job_id"), rs.getString("team_id"), rs.getString("method_type"),
                rs.getString("base_model"), scaled(rs.getBigDecimal("max_spend")),
                scaled(rs.getBigDecimal("spend")), rs.getDouble("device_seconds"), rs.getInt("steps"),
                rs.getString("device_class"), scaled(rs.getBigDecimal("estimate")),
                nullableDouble(rs, "estimate_device_seconds"), rs.getString("estimate_basis"),
                rs.getBoolean("succeeded"));
    }

    private static BigDecimal scaled(BigDecimal value) {
        return value == null ? null : Pricing.money(value);
    }

    private static Double nullableDouble(ResultSet rs, String column) throws SQLException {
        double v = rs.getDouble(column);
        return rs.wasNull() ? null : v;
    }

    private static Double nullableDouble(ResultSet rs, int column) throws SQLException {
        double v = rs.getDouble(column);
        return rs.wasNull() ? null : v;
    }
}
