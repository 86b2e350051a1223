package dev.tropism.models;

import ai.djl.ndarray.NDManager;
import dev.tropism.engine.PolicyFamily;
import dev.tropism.engine.hf.HfExport;
import dev.tropism.engine.lm.LanguageModel;
import dev.tropism.storage.Artifacts;
import dev.tropism.storage.ObjectStore;
import dev.tropism.storage.StoredObject;
import dev.tropism.web.ApiException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;

/**
 * {@code GET /v1/models/{id}/export}: a model as a tar of a HuggingFace directory, streamed from object storage
 * entry by entry (never assembled in memory or on disk), so {@code transformers} can load what Tropism holds.
 *
 * <p>Models stored in HF layout (imported models and what was aligned from them, whose stored directory holds
 * {@code config.json}) export their stored files as they are. Language models in Tropism's own layout
 * ({@code tiny-gpt} and what was aligned from it) are converted first, into a temporary directory, by the engine's
 * {@link HfExport}: an HF {@code gpt2} with the same logits and a {@code tokenizer.json} of its characters. Flow models,
 * reward models and image classifiers have no HF causal-LM form and answer 422.
 */
@Service
public class ModelExportService {

    /** The formats of {@code ?format=}: a HuggingFace model directory, or PEFT's adapter files. */
    public static final String HF = "hf";
    public static final String PEFT = "peft";
    /** Where a LoRA-trained model keeps its PEFT files, beside (not in) the merged directory. */
    static final String PEFT_DIR = "peft/";

    private final ObjectStore objects;
    private final Artifacts artifacts;

    ModelExportService(ObjectStore objects, Artifacts artifacts) {
        this.objects = objects;
        this.artifacts = artifacts;
    }

    /**
     * What will be streamed, settled before the response starts: the model's stored objects ({@code prefix}), or the
     * files of a converted copy in {@code converted} (a temporary directory the export deletes when written).
     */
    public record Export(String filename, List<StoredObject> files, String prefix, Path converted) {
    }

    /** Checks that {@code model} can be exported as {@code format}; 409 when it is not ready, 422 otherwise. */
    public Export plan(ModelRecord model, String format) throws IOException {
        String f = format == null ? HF : format.toLowerCase(Locale.ROOT);
        if (!HF.equals(f) && !PEFT.equals(f)) {
            throw ApiException.invalid("/format", "must be \"hf\" (a HuggingFace directory) or \"peft\" (LoRA"
                    + " adapters); got \"" + format + "\"");
        }
        if (model.status() != ModelStatus.READY) {
            throw ApiException.conflict("model_not_ready", "Model " + model.id() + " is " + model.status()
                    + "; it can be exported once ready.");
        }
        List<StoredObject> all = objects.list(model.objectPrefix());
        if (PEFT.equals(f)) {
            String peft = model.objectPrefix() + PEFT_DIR;
            List<StoredObject> adapters = all.stream().filter(o -> o.key().startsWith(peft)).toList();
            if (adapters.isEmpty()) {
                throw ApiException.invalid("/format", "model " + model.id() + " has no LoRA adapters (it was not"
                        + " trained with method.lora); export it as \"hf\"");
            }
            return new Export(safeName(model.name()) + "-peft.tar", adapters, peft, null);
        }
        String filename = safeName(model.name()) + "-hf.tar";
        // The model directory's own files: a LoRA model's peft/ folder is exported apart (format=peft), because
        // transformers would apply adapters found beside merged weights a second time.
        List<StoredObject> files = all.stream()
                .filter(o -> o.key().indexOf('/', model.objectPrefix().length()) < 0).toList();
        boolean hfLayout = files.stream().anyMatch(o -> o.key().equals(model.objectPrefix() + "config.json"));
        if (hfLayout) {
            return new Export(filename, files, model.objectPrefix(), null);
        }
        if (model.family() != PolicyFamily.LANGUAGE_MODEL) {
            throw ApiException.invalid("/format", "model " + model.id() + " is a " + model.family() + ", which has no"
                    + " HuggingFace causal-LM form; only language models export as \"hf\"");
        }
        return new Export(filename, List.of(), null, convert(model));
    }

    /** A Tropism-format language model written as an HF directory (tiny-gpt as gpt2) in a new temporary directory. */
    private Path convert(ModelRecord model) throws IOException {
        Path work = Files.createTempDirectory("tropism-export-");
        try {
            Path stored = work.resolve("stored");
            artifacts.download(model.objectPrefix(), stored);
            Path hf = work.resolve("hf");
            try (NDManager manager = NDManager.newBaseManager(); LanguageModel lm = LanguageModel.load(stored, manager)) {
                HfExport.write(lm, hf);
            }
            Artifacts.deleteTree(stored);
            return hf;
        } catch (IOException | RuntimeException e) {
            Artifacts.deleteTree(work);
            throw e;
        }
    }

    /** Writes the tar: one entry per file, named relative to the model's directory. */
    public void write(Export export, OutputStream out) throws IOException {
        if (export.converted() != null) {
            try {
                writeLocal(export.converted(), out);
            } finally {
                Artifacts.deleteTree(export.converted().getParent());
            }
            return;
        }
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

    private static void writeLocal(Path dir, OutputStream out) throws IOException {
        List<Path> files;
        try (Stream<Path> all = Files.list(dir)) {
            files = all.filter(Files::isRegularFile).sorted().toList();
        }
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            for (Path f : files) {
                tar.putArchiveEntry(tar.createArchiveEntry(f, f.getFileName().toString()));
                Files.copy(f, tar);
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
