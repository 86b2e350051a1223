package dev.tropism.models;

import dev.tropism.storage.ObjectStore;
import dev.tropism.storage.StoredObject;
import dev.tropism.web.ApiException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;

/**
 * {@code GET /v1/models/{id}/export}: a model as a tar of a HuggingFace directory, streamed from object storage
 * entry by entry (never assembled in memory or on disk), so {@code transformers} can load what Tropism holds.
 *
 * <p>Models stored in HF layout (imported models, whose stored directory holds {@code config.json}) export their
 * stored files as they are. Models in Tropism's own layout ({@code model.json}: the {@code tiny-gpt} and
 * {@code tiny-flow} recipes and what was aligned from them) are not exported yet; they answer 422 saying so.
 */
@Service
public class ModelExportService {

    /** The formats of {@code ?format=}. */
    public static final String HF = "hf";

    private final ObjectStore objects;

    ModelExportService(ObjectStore objects) {
        this.objects = objects;
    }

    /** What will be streamed: the model's stored objects, checked before the response starts. */
    public record Export(String filename, List<StoredObject> files, String prefix) {
    }

    /** Checks that {@code model} can be exported as {@code format}; 409 when it is not ready, 422 otherwise. */
    public Export plan(ModelRecord model, String format) throws IOException {
        String f = format == null ? HF : format.toLowerCase(Locale.ROOT);
        if (!HF.equals(f)) {
            throw ApiException.invalid("/format", "must be \"hf\" (a HuggingFace directory); got \"" + format + "\"");
        }
        if (model.status() != ModelStatus.READY) {
            throw ApiException.conflict("model_not_ready", "Model " + model.id() + " is " + model.status()
                    + "; it can be exported once ready.");
        }
        List<StoredObject> files = objects.list(model.objectPrefix());
        boolean hfLayout = files.stream().anyMatch(o -> o.key().equals(model.objectPrefix() + "config.json"));
        if (!hfLayout) {
            throw ApiException.invalid("/format", "model " + model.id() + " is stored in Tropism's own format (recipe "
                    + model.recipe() + "); only imported models and their aligned descendants export as \"hf\" so far");
        }
        return new Export(safeName(model.name()) + "-hf.tar", files, model.objectPrefix());
    }

    /** Writes the tar: one entry per stored file, named relative to the model's prefix. */
    public void write(Export export, OutputStream out) throws IOException {
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            for (StoredObject o : export.files()) {
                TarArchiveEntry e = new TarArchiveEntry(o.key().substring(export.prefix().length()));
                e.setSize(o.size());
                e.setModTime(o.lastModified().toEpochMilli());
                tar.putArchiveEntry(e);
                try (InputStream in = objects.get(o.key()).orElseThrow(() -> new UncheckedIOException(
                        new IOException("object " + o.key() + " vanished during the export")))) {
                    in.transferTo(tar);
                }
                tar.closeArchiveEntry();
            }
            tar.finish();
        }
    }

    /** A file-name-safe form of a model name (aligned names hold ':' and '@'). */
    static String safeName(String name) {
        return name.replaceAll("[^A-Za-z0-9._-]", "_");
    }
}
