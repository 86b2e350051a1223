package dev.tropism.models;

import dev.tropism.engine.PolicyFamily;
import dev.tropism.engine.hf.HfModelInfo;
import dev.tropism.engine.hf.ModelFormatException;
import dev.tropism.quotas.Quotas;
import dev.tropism.storage.Artifacts;
import dev.tropism.storage.ObjectStore;
import dev.tropism.teams.Caller;
import dev.tropism.web.ApiException;
import dev.tropism.web.Ids;
import dev.tropism.web.Violation;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.SmartLifecycle;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.web.multipart.MultipartFile;
import tools.jackson.databind.json.JsonMapper;

/**
 * Imports HuggingFace causal language models ({@code gpt2}, {@code llama}, {@code qwen2} in safetensors) as
 * {@code language-model}s of the caller's team.
 *
 * <p>An import has two halves:
 * <ol>
 *   <li><b>In the request:</b> the upload is streamed to a temporary file ({@link MultipartFile#transferTo}),
 *       unpacked by {@link ModelArchive} (zip-slip, links, bombs and truncation refused), and checked by
 *       {@link HfModelInfo#inspect}, which reads {@code config.json}, every safetensors header and the tokenizer
 *       files without loading a weight. Any problem is a 422 naming it, and nothing is stored.</li>
 *   <li><b>In the background:</b> the model row is {@code importing} while its files are copied to object storage
 *       under {@code models/<id>/}; then it is {@code ready}. If the copy fails, the copied objects are deleted, the
 *       model is {@code failed} and its import row says why. Nothing is left half-imported.</li>
 * </ol>
 * Only the files a model needs are kept: JSON files (config, index, tokenizer, generation config), safetensors
 * weights, and BPE {@code merges.txt}. Pickle weights are never copied.
 */
@Service
public class ModelImportService implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(ModelImportService.class);
    /** Imports copying at once in this process, plus those waiting; more answer 429. */
    private static final int MAX_PENDING = 4;
    /** How often, in copied bytes, an import's progress is written while a file is copied. */
    private static final long PROGRESS_BYTES = 16L << 20;
    static final String RECIPE = "import";

    private final ModelStore models;
    private final ModelImports imports;
    private final ObjectStore objects;
    private final ModelImportProperties properties;
    private final JsonMapper json;
    private final TransactionTemplate tx;
    private final ApplicationEventPublisher publisher;
    private final Quotas quotas;
    private final Semaphore pending = new Semaphore(MAX_PENDING);
    /** Copies imports into object storage; created by {@link #start}, shut down by {@link #stop} (and restartable). */
    private volatile ThreadPoolExecutor copier;

    ModelImportService(ModelStore models, ModelImports imports, ObjectStore objects, ModelImportProperties properties,
            JsonMapper json, PlatformTransactionManager transactionManager, ApplicationEventPublisher publisher,
            Quotas quotas) {
        this.quotas = quotas;
        this.publisher = publisher;
        this.models = models;
        this.imports = imports;
        this.objects = objects;
        this.properties = properties;
        this.json = json;
        this.tx = new TransactionTemplate(transactionManager);
    }

    /** {@code POST /v1/models} as {@code multipart/form-data}: {@code file} (the archive) and {@code name}. */
    public ModelRecord importUpload(Caller caller, String name, MultipartFile file) throws IOException {
        String teamId = caller.requireTeam();
        quotas.requireStorage(teamId);
        List<Violation> violations = new ArrayList<>();
        checkName(name, violations);
        ModelArchive.Kind kind = null;
        if (file == null || file.isEmpty()) {
            violations.add(new Violation("/file", "is required: a .tar, .tar.gz or .zip of a HuggingFace model directory"));
        } else {
            try {
                kind = ModelArchive.Kind.of(file.getOriginalFilename());
            } catch (ModelArchive.BadArchiveException e) {
                violations.add(new Violation("/file", e.getMessage()));
            }
        }
        if (!violations.isEmpty()) {
            throw ApiException.invalid(violations);
        }
        Path work = Files.createTempDirectory("tropism-import-");
        try {
            Path archive = work.resolve("upload");
            file.transferTo(archive);
            Path unpacked = Files.createDirectory(work.resolve("unpacked"));
            ModelArchive.unpack(archive, kind, unpacked, properties.maxUnpackedSize().toBytes());
            Files.delete(archive);
            Path root = ModelArchive.modelRoot(unpacked);
            if (root == null) {
                throw ApiException.invalid("/file", "has no config.json at its top level or in its one top-level"
                        + " folder; pack the HuggingFace model directory itself");
            }
            return register(teamId, name.trim(), "upload", "/file", root, work);
        } catch (ModelArchive.BadArchiveException e) {
            Artifacts.deleteTree(work);
            throw ApiException.invalid("/file", e.getMessage());
        } catch (IOException | RuntimeException e) {
            Artifacts.deleteTree(work);
            throw e;
        }
    }

    /**
     * {@code POST /v1/models {"source": "path", "path", "name"}}: a model directory already on this node, under one
     * of {@code tropism.models.import-roots}. Admin key only (acting for a team); the directory is read, not changed.
     */
    public ModelRecord importPath(Caller caller, String name, String path) throws IOException {
        caller.requireAdmin();
        String teamId = caller.requireTeam();
        quotas.requireStorage(teamId);
        List<Violation> violations = new ArrayList<>();
        checkName(name, violations);
        Path dir = null;
        if (path == null || path.isBlank()) {
            violations.add(new Violation("/path", "is required with source \"path\""));
        } else if (properties.importRoots().isEmpty()) {
            violations.add(new Violation("/source", "path imports are disabled: set tropism.models.import-roots"));
        } else {
            dir = underImportRoot(path, violations);
        }
        if (!violations.isEmpty()) {
            throw ApiException.invalid(violations);
        }
        return register(teamId, name.trim(), "path", "/path", dir, null);
    }

    /** A model's {@code name}, pretrained or imported: required, at most 100 characters. */
    static void checkName(String name, List<Violation> violations) {
        if (name == null || name.isBlank() || name.length() > 100) {
            violations.add(new Violation("/name", "is required, at most 100 characters"));
        }
    }

    /** {@code path} as a real directory inside one of the import roots (symbolic links resolved first). */
    private Path underImportRoot(String path, List<Violation> violations) throws IOException {
        Path dir = Path.of(path);
        if (!dir.isAbsolute() || !Files.isDirectory(dir)) {
            violations.add(new Violation("/path", "must be an absolute path of a directory on this node"));
            return null;
        }
        Path real = dir.toRealPath();
        for (Path root : properties.importRoots()) {
            if (Files.isDirectory(root) && real.startsWith(root.toRealPath())) {
                return real;
            }
        }
        violations.add(new Violation("/path", "is not under an import root; allowed: " + properties.importRoots()));
        return null;
    }

    /**
     * Checks the model directory, registers the model as {@code importing} and queues the copy. {@code work} (a
     * temporary directory holding {@code dir}, or null) is deleted when the import ends, whichever way.
     */
    private ModelRecord register(String teamId, String name, String source, String pointer, Path dir, Path work)
            throws IOException {
        HfModelInfo info;
        try {
            info = HfModelInfo.inspect(dir);
        } catch (ModelFormatException e) {
            Artifacts.deleteTree(work);
            throw ApiException.invalid(pointer, e.getMessage());
        }
        if (!pending.tryAcquire()) {
            Artifacts.deleteTree(work);
            throw new ApiException(HttpStatus.TOO_MANY_REQUESTS, "too_many_imports", "Imports are busy ("
                    + MAX_PENDING + " in progress or waiting); retry when one has finished.");
        }
        String id = Ids.newId("model_");
        try {
            List<Path> files = filesToKeep(dir);
            long bytes = 0;
            for (Path f : files) {
                bytes += Files.size(f);
            }
            long total = bytes;
            tx.executeWithoutResult(s -> {
                // Sized at once: an import in progress counts against the team's stored bytes.
                models.insert(new ModelRecord(0, id, teamId, name, PolicyFamily.LANGUAGE_MODEL, RECIPE,
                        ModelStatus.IMPORTING, null, null, null, ModelRecord.prefixOf(id), info.parameterCount(),
                        Instant.now(), total));
                imports.insert(id, source, json.writeValueAsString(card(info)), total);
                imports.event(id, "checked", String.format(Locale.ROOT, "checked: %s, %,d parameters, %d checks passed;"
                        + " copying %d files (%,d bytes)", info.architecture(), info.parameterCount(),
                        info.checks().size(), files.size(), total), json.writeValueAsString(Map.of("files", files.size(),
                        "bytes", total)));
            });
            ThreadPoolExecutor c = copier;
            if (c == null) {
                throw new ApiException(HttpStatus.SERVICE_UNAVAILABLE, "unavailable", "The service is stopping; retry"
                        + " the import on a running instance.");
            }
            c.execute(() -> copy(id, files, work));
        } catch (IOException | RuntimeException e) {
            pending.release();
            Artifacts.deleteTree(work);
            throw e;
        }
        return models.find(id).orElseThrow();
    }

    /** The model card shown on the model ({@code import} in its view). */
    static Map<String, Object> card(HfModelInfo info) {
        Map<String, Object> card = new LinkedHashMap<>();
        card.put("architecture", info.architecture());
        card.put("parameters", info.parameterCount());
        card.put("vocab_size", info.vocabSize());
        card.put("context_length", info.contextLength());
        card.put("dtype", info.dtype());
        card.put("tokenizer", info.tokenizerKind());
        card.put("chat_template", info.chatTemplate());
        card.put("checks", info.checks());
        return card;
    }

    /**
     * Copies the model's {@code files} (listed and sized at registration) to object storage and marks it ready; on any failure removes what was copied. The
     * import row's {@code bytes_copied} follows the copy (every {@value #PROGRESS_BYTES} bytes and after each file),
     * and each copied file is an event.
     */
    private void copy(String id, List<Path> files, Path work) {
        String prefix = ModelRecord.prefixOf(id);
        try {
            long[] copied = {0};
            for (Path f : files) {
                long before = copied[0];
                try (InputStream in = new ProgressInputStream(Files.newInputStream(f), PROGRESS_BYTES, n -> {
                    copied[0] = before + n;
                    imports.progress(id, copied[0]);
                })) {
                    objects.put(prefix + f.getFileName(), in);
                }
                long size = Files.size(f);
                copied[0] = before + size;
                imports.progress(id, copied[0]);
                imports.event(id, "copied", "copied " + f.getFileName() + " (" + size + " bytes)",
                        json.writeValueAsString(Map.of("file", f.getFileName().toString(), "bytes", size,
                                "bytes_copied", copied[0])));
            }
            tx.executeWithoutResult(s -> {
                models.markReady(id, null);
                publisher.publishEvent(ModelReady.of(models.find(id).orElseThrow(), ModelReady.Source.IMPORT));
                imports.finish(id, null);
                imports.event(id, "ready", "ready: " + files.size() + " files in object storage", null);
            });
            log.info("Imported model {}: {} files", id, files.size());
        } catch (IOException | RuntimeException e) {
            log.warn("Import of model {} failed while copying", id, e);
            fail(id, prefix, "copying the model into object storage failed: " + e.getMessage());
        } finally {
            pending.release();
            Artifacts.deleteTree(work);
        }
    }

    private void fail(String id, String prefix, String why) {
        try {
            objects.deletePrefix(prefix);
        } catch (IOException e) {
            log.warn("could not delete the partial import of model {}", id, e);
        }
        tx.executeWithoutResult(s -> {
            models.markFailed(id);
            imports.finish(id, why);
            imports.event(id, "failed", why, null);
        });
    }

    /** The files of a model directory that Tropism keeps (top level only): JSON, safetensors and merges.txt. */
    static List<Path> filesToKeep(Path dir) throws IOException {
        try (Stream<Path> all = Files.list(dir)) {
            return all.filter(Files::isRegularFile).filter(f -> {
                String n = f.getFileName().toString().toLowerCase(Locale.ROOT);
                return n.endsWith(".json") || n.endsWith(".safetensors") || n.equals("merges.txt");
            }).sorted().toList();
        }
    }

    /** What the API shows of a model's import: source, card, error and times; null for a model not imported. */
    Map<String, Object> view(String modelId) {
        return imports.find(modelId).map(r -> {
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("source", r.source());
            v.put("card", r.metadata() == null ? null : json.readTree(r.metadata()));
            v.put("error", r.error());
            Map<String, Object> progress = new LinkedHashMap<>();
            progress.put("bytes_copied", r.bytesCopied());
            progress.put("bytes_total", r.bytesTotal());
            progress.put("fraction", r.bytesTotal() == 0 ? (r.finishedAt() == null ? 0.0 : 1.0)
                    : (double) r.bytesCopied() / r.bytesTotal());
            v.put("progress", progress);
            v.put("created_at", r.createdAt());
            v.put("finished_at", r.finishedAt());
            return v;
        }).orElse(null);
    }

    /** The events of model {@code modelId}'s import, oldest first; empty for a model that was not imported. */
    List<ModelImports.ImportEvent> events(String modelId) {
        return imports.events(modelId);
    }

    /**
     * On start: imports a previous process left copying cannot continue (their temporary files are gone), so they
     * fail with a reason, and their partial objects are deleted.
     */
    @Override
    public synchronized void start() {
        for (String id : imports.unfinished()) {
            fail(id, ModelRecord.prefixOf(id), "the service stopped while the model was being copied; import it again");
        }
        copier = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(MAX_PENDING), r -> {
            Thread t = new Thread(r, "model-import");
            t.setDaemon(true);
            return t;
        });
    }

    /** Interrupts the copies in flight: they fail (their partial objects deleted), and the next start finds none. */
    @Override
    public synchronized void stop() {
        ThreadPoolExecutor c = copier;
        copier = null;
        if (c != null) {
            c.shutdownNow();
            try {
                c.awaitTermination(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public boolean isRunning() {
        return copier != null;
    }
}
