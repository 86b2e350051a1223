package dev.tropism.models;

import com.fasterxml.jackson.annotation.JsonRawValue;
import dev.tropism.storage.Db;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * Rows of {@code model_imports} and {@code model_import_events}: how each imported model came in, what its card says,
 * how far its copy into object storage has got, what happened on the way, and why an import failed.
 */
@Repository
class ModelImports {

    /**
     * One import.
     *
     * @param source {@code upload} or {@code path}
     * @param metadata the model card as JSON (architecture, parameters, vocabulary, context, dtype, tokenizer,
     *     chat template, checks)
     * @param error why the import failed, null otherwise
     * @param bytesTotal bytes of the files the import copies into object storage
     * @param bytesCopied bytes of them copied so far
     */
    record ImportRecord(String modelId, String source, String metadata, String error, Instant createdAt,
            Instant finishedAt, long bytesTotal, long bytesCopied) {
    }

    /**
     * One thing that happened to an import: {@code checked}, {@code copied} (one per file), {@code ready} or
     * {@code failed}.
     *
     * @param data a JSON object with the details (file, bytes, ...), or null
     */
    record ImportEvent(Instant createdAt, String type, String message, @JsonRawValue String data) {
    }

    private final JdbcClient jdbc;

    ModelImports(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    void insert(String modelId, String source, String metadata, long bytesTotal) {
        jdbc.sql("INSERT INTO model_imports (model_id, source, metadata, created_at, bytes_total) VALUES (?, ?, ?, ?, ?)")
                .params(modelId, source, metadata, Db.now(), bytesTotal).update();
    }

    void progress(String modelId, long bytesCopied) {
        jdbc.sql("UPDATE model_imports SET bytes_copied = ? WHERE model_id = ?").params(bytesCopied, modelId).update();
    }

    void finish(String modelId, String error) {
        jdbc.sql("UPDATE model_imports SET error = ?, finished_at = ? WHERE model_id = ?")
                .params(error, Db.now(), modelId).update();
    }

    void event(String modelId, String type, String message, String data) {
        jdbc.sql("INSERT INTO model_import_events (model_id, created_at, type, message, data) VALUES (?, ?, ?, ?, ?)")
                .params(modelId, Db.now(), type, message, data).update();
    }

    /** The import's events, oldest first. */
    List<ImportEvent> events(String modelId) {
        return jdbc.sql("SELECT created_at, type, message, data FROM model_import_events WHERE model_id = ? ORDER BY seq")
                .param(modelId)
                .query((rs, row) -> new ImportEvent(Db.instant(rs, "created_at"), rs.getString("type"),
                        rs.getString("message"), rs.getString("data")))
                .list();
    }

    Optional<ImportRecord> find(String modelId) {
        return jdbc.sql("SELECT model_id, source, metadata, error, created_at, finished_at, bytes_total, bytes_copied"
                        + " FROM model_imports WHERE model_id = ?").param(modelId)
                .query((rs, row) -> new ImportRecord(rs.getString("model_id"), rs.getString("source"),
                        rs.getString("metadata"), rs.getString("error"), Db.instant(rs, "created_at"),
                        Db.instant(rs, "finished_at"), rs.getLong("bytes_total"), rs.getLong("bytes_copied")))
                .optional();
    }

    /** Imports that never finished (their process stopped while copying). */
    List<String> unfinished() {
        return jdbc.sql("SELECT model_id FROM model_imports WHERE finished_at IS NULL").query(String.class).list();
    }
}
