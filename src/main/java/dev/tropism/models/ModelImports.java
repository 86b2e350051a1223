package dev.tropism.models;

import dev.tropism.storage.Db;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** Rows of {@code model_imports}: how each imported model came in, what its card says, and why an import failed. */
@Repository
class ModelImports {

    /**
     * One import.
     *
     * @param source {@code upload} or {@code path}
     * @param metadata the model card as JSON (architecture, parameters, vocabulary, context, dtype, tokenizer,
     *     chat template, checks)
     * @param error why the import failed, null otherwise
     */
    record ImportRecord(String modelId, String source, String metadata, String error, Instant createdAt,
            Instant finishedAt) {
    }

    private final JdbcClient jdbc;

    ModelImports(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    void insert(String modelId, String source, String metadata) {
        jdbc.sql("INSERT INTO model_imports (model_id, source, metadata, created_at) VALUES (?, ?, ?, ?)")
                .params(modelId, source, metadata, Db.now()).update();
    }

    void finish(String modelId, String error) {
        jdbc.sql("UPDATE model_imports SET error = ?, finished_at = ? WHERE model_id = ?")
                .params(error, Db.now(), modelId).update();
    }

    Optional<ImportRecord> find(String modelId) {
        return jdbc.sql("SELECT model_id, source, metadata, error, created_at, finished_at FROM model_imports"
                        + " WHERE model_id = ?").param(modelId)
                .query((rs, row) -> new ImportRecord(rs.getString("model_id"), rs.getString("source"),
                        rs.getString("metadata"), rs.getString("error"), Db.instant(rs, "created_at"),
                        Db.instant(rs, "finished_at")))
                .optional();
    }

    /** Imports that never finished (their process stopped while copying). */
    List<String> unfinished() {
        return jdbc.sql("SELECT model_id FROM model_imports WHERE finished_at IS NULL").query(String.class).list();
    }
}
