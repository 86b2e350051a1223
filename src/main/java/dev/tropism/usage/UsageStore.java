package dev.tropism.usage;

import java.sql.Date;
import java.time.LocalDate;
import java.util.List;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.annotation.Transactional;

/**
 * Rows of {@code usage_daily}: per team, UTC day and model, the requests served and the tokens and
 * images they used.
 */
@Repository
public class UsageStore {

    private final JdbcClient jdbc;

    public UsageStore(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * Adds one request's usage to its day's row. A zero row is inserted if the key is new ({@code ON
     * CONFLICT DO NOTHING}: of two concurrent first requests one inserts, the other's insert does nothing),
     * then the row is incremented in place, which row-locks it, so concurrent additions never lose a count.
     * The same statements run on PostgreSQL and on H2 in PostgreSQL mode.
     */
    @Transactional
    public void add(String teamId, LocalDate day, String model, long requests, long promptTokens,
            long completionTokens, long images) {
        jdbc.sql("INSERT INTO usage_daily (team_id, usage_date, model, requests, prompt_tokens, completion_tokens, images)"
                        + " VALUES (?, ?, ?, 0, 0, 0, 0) ON CONFLICT DO NOTHING")
                .params(teamId, Date.valueOf(day), model).update();
        jdbc.sql("UPDATE usage_daily SET requests = requests + ?, prompt_tokens = prompt_tokens + ?,"
                        + " completion_tokens = completion_tokens + ?, images = images + ?"
                        + " WHERE team_id = ? AND usage_date = ? AND model = ?")
                .params(requests, promptTokens, completionTokens, images, teamId, Date.valueOf(day), model).update();
    }

    /** The team's rows from {@code from} to {@code to} inclusive, optionally one model's, by day then model. */
    public List<UsageRow> find(String teamId, LocalDate from, LocalDate to, String model) {
        String sql = "SELECT usage_date, model, requests, prompt_tokens, completion_tokens, images FROM usage_daily"
                + " WHERE team_id = ? AND usage_date >= ? AND usage_date <= ?" + (model == null ? "" : " AND model = ?")
                + " ORDER BY usage_date, model";
        var spec = jdbc.sql(sql).param(teamId).param(Date.valueOf(from)).param(Date.valueOf(to));
        if (model != null) {
            spec = spec.param(model);
        }
        return spec.query((rs, i) -> new UsageRow(rs.getDate("usage_date").toLocalDate(), rs.getString("model"),
                rs.getLong("requests"), rs.getLong("prompt_tokens"), rs.getLong("completion_tokens"),
                rs.getLong("images"))).list();
    }

    /** One day's usage of one model. */
    public record UsageRow(LocalDate date, String model, long requests, long promptTokens, long completionTokens,
            long images) {
    }
}
