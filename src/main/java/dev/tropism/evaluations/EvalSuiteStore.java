package dev.tropism.evaluations;

import dev.tropism.engine.lm.DryRunConfig;
import dev.tropism.storage.Db;
import dev.tropism.web.ApiException;
import dev.tropism.web.PageParams;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** Rows of {@code eval_suites}. Suites are immutable: a change is a new version. */
@Repository
class EvalSuiteStore {

    private static final String COLUMNS = "seq, id, team_id, name, version, description, preferences, prompts,"
            + " gold_reward_spec, gold_reward_spec_alias, policy, n_samples, max_prompts, max_new_tokens, temperature,"
            + " top_p, seed, thresholds, baseline, created_at";

    private final JdbcClient jdbc;

    EvalSuiteStore(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * The oldest suite version (of any team) whose {@code policy} or {@code baseline} is one of {@code modelIds}, as
     * {@code "eval suite <name> v<version> (<id>) uses <model> as its policy|baseline"}; a baseline given as an alias
     * is the alias's to report.
     */
    Optional<String> usingModel(Collection<String> modelIds) {
        if (modelIds.isEmpty()) {
            return Optional.empty();
        }
        return jdbc.sql("SELECT id, name, version, policy, baseline FROM eval_suites WHERE policy IN (:ids)"
                        + " OR baseline IN (:ids) ORDER BY seq LIMIT 1")
                .param("ids", modelIds)
                .query((rs, n) -> {
                    String policy = rs.getString("policy");
                    boolean asPolicy = policy != null && modelIds.contains(policy);
                    return "eval suite " + rs.getString("name") + " v" + rs.getInt("version") + " (" + rs.getString("id")
                            + ") uses model " + (asPolicy ? policy : rs.getString("baseline")) + " as its "
                            + (asPolicy ? "policy" : "baseline");
                })
                .optional();
    }

    /** The next version of {@code name} for the team (1 for a new name). */
    int nextVersion(String teamId, String name) {
        return jdbc.sql("SELECT COALESCE(MAX(version), 0) + 1 FROM eval_suites WHERE team_id = ? AND name = ?")
                .params(teamId, name).query(Integer.class).single();
    }

    void insert(EvalSuite s) {
        DryRunConfig c = s.sampling();
        jdbc.sql("INSERT INTO eval_suites (" + COLUMNS.substring("seq, ".length()) + ")"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
                .params(s.id(), s.teamId(), s.name(), s.version(), s.description(), s.preferences(), s.prompts(),
                        s.goldRewardSpec(), s.goldRewardSpecAlias(), s.policy(), c.samplesPerPrompt(), c.limit(),
                        c.maxNewTokens(), c.temperature(), c.topP(), c.seed(), s.thresholds(), s.baseline(),
                        Db.ts(s.createdAt()))
                .update();
    }

    Optional<EvalSuite> find(String id) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM eval_suites WHERE id = ?").param(id).query(EvalSuiteStore::map)
                .optional();
    }

    /** The team's suite by id, or by name (its newest version). */
    Optional<EvalSuite> findByRef(String teamId, String ref) {
        if (ref.startsWith("suite_")) {
            return find(ref).filter(s -> s.teamId().equals(teamId));
        }
        return jdbc.sql("SELECT " + COLUMNS + " FROM eval_suites WHERE team_id = ? AND name = ? ORDER BY version DESC"
                        + " LIMIT 1")
                .params(teamId, ref).query(EvalSuiteStore::map).optional();
    }

    /** The team's suite; anything else is a 404. */
    EvalSuite get(String teamId, String id) {
        return find(id).filter(s -> s.teamId().equals(teamId)).orElseThrow(() -> ApiException.notFound("eval suite", id));
    }

    /** Oldest first, optionally only the versions of one name; fetches {@link PageParams#fetchSize()} rows. */
    List<EvalSuite> list(String teamId, String name, PageParams page) {
        long afterSeq = page.after() == null ? 0 : find(page.after()).filter(s -> s.teamId().equals(teamId))
                .map(EvalSuite::seq).orElseThrow(page::unknownCursor);
        return jdbc.sql("SELECT " + COLUMNS + " FROM eval_suites WHERE team_id = ? AND seq > ?"
                        + (name == null ? "" : " AND name = ?")
                        + " ORDER BY seq LIMIT ?")
                .params(name == null ? new Object[] {teamId, afterSeq, page.fetchSize()}
                        : new Object[] {teamId, afterSeq, name, page.fetchSize()})
                .query(EvalSuiteStore::map).list();
    }

    /** Whether a suite reads this dataset (a dataset in use cannot be deleted). */
    boolean datasetInUse(String datasetId) {
        return jdbc.sql("SELECT COUNT(*) FROM eval_suites WHERE preferences = ? OR prompts = ?")
                .params(datasetId, datasetId).query(Long.class).single() > 0;
    }

    private static EvalSuite map(ResultSet rs, int row) throws SQLException {
        DryRunConfig sampling = new DryRunConfig(rs.getInt("n_samples"), rs.getInt("max_prompts"),
                rs.getInt("max_new_tokens"), rs.getDouble("temperature"), rs.getDouble("top_p"), rs.getLong("seed"));
        return new EvalSuite(rs.getLong("seq"), rs.getString("id"), rs.getString("team_id"), rs.getString("name"),
                rs.getInt("version"), rs.getString("description"), rs.getString("preferences"), rs.getString("prompts"),
                rs.getString("gold_reward_spec"), rs.getString("gold_reward_spec_alias"), rs.getString("policy"), sampling,
                rs.getString("thresholds"), rs.getString("baseline"), Db.instant(rs, "created_at"));
    }
}
