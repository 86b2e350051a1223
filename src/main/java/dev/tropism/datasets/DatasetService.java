package dev.tropism.datasets;

import dev.tropism.engine.ConfigException;
import dev.tropism.engine.data.ArithmeticTask;
import dev.tropism.quotas.QuotaUsage;
import dev.tropism.quotas.Quotas;
import dev.tropism.storage.ObjectCache;
import dev.tropism.storage.ObjectStore;
import dev.tropism.storage.StoredObject;
import dev.tropism.teams.Caller;
import dev.tropism.web.ApiException;
import dev.tropism.web.Ids;
import dev.tropism.web.ListResponse;
import dev.tropism.web.PageParams;
import dev.tropism.web.Timestamps;
import dev.tropism.web.Violation;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/** Datasets: JSONL files validated while they stream into object storage, owned by a team. */
@Service
class DatasetService implements DatasetCatalog, QuotaUsage {

    /** A dataset as the API shows it. */
    record DatasetView(String id, String object, String name, String purpose, long lines, List<String> fields,
            String sha256, long sizeBytes, Instant createdAt) {
    }

    /** Parameters of {@code POST /v1/datasets/generate}; null means the generator's default. */
    record GenerateRequest(String generator, String name, Integer digits, Boolean reverseAnswer, Integer corpusSize,
            Integer trainPrompts, Integer evalPrompts, Long seed, Boolean spaced) {
    }

    /** An open dataset body with its length. */
    record Content(InputStream stream, long size) {
    }

    private static final TypeReference<List<String>> STRING_LIST = new TypeReference<>() { };
    private static final TypeReference<Map<String, Object>> ITEM = new TypeReference<>() { };

    private final DatasetRepository datasets;
    private final ObjectStore store;
    private final ObjectCache cache;
    private final JsonMapper json;
    private final ObjectProvider<DatasetUsage> usages;
    private final Quotas quotas;

    DatasetService(DatasetRepository datasets, ObjectStore store, ObjectCache cache, JsonMapper json,
            ObjectProvider<DatasetUsage> usages, Quotas quotas) {
        this.quotas = quotas;
        this.cache = cache;
        this.datasets = datasets;
        this.store = store;
        this.json = json;
        this.usages = usages;
    }

    static DatasetPurpose parsePurpose(String value) {
        for (DatasetPurpose p : DatasetPurpose.values()) {
            if (p.name().toLowerCase(Locale.ROOT).equals(value)) {
                return p;
            }
        }
        throw ApiException.invalid("/purpose", "must be one of corpus, prompts, preferences, sft");
    }

    /** Validates {@code content} while storing it; 422 {@code invalid_dataset} (and nothing stored) when bad. */
    /** Dataset names are stored in a 200-character column; 190 leaves room for the generator's suffixes. */
    private static void requireNameLength(String pointer, String name) {
        if (name != null && name.length() > MAX_NAME) {
            throw ApiException.invalid(pointer, "must be at most " + MAX_NAME + " characters");
        }
    }

    private static final int MAX_NAME = 190;

    /** Stores a new dataset; refused (409 {@code quota_exceeded}) once the team is at its stored-bytes quota. */
    DatasetView upload(Caller caller, String name, DatasetPurpose purpose, InputStream content) {
        requireNameLength("/name", name);
        quotas.requireStorage(caller.requireTeam());
        return view(ingest(caller.requireTeam(), name, purpose, content));
    }

    private DatasetEntity ingest(String teamId, String name, DatasetPurpose purpose, InputStream content) {
        String id = Ids.newId("ds_");
        String key = "datasets/" + id + "/data.jsonl";
        JsonlValidator validator = new JsonlValidator(content, json, purpose);
        StoredObject stored;
        try {
            stored = store.put(key, validator);
        } catch (IOException e) {
            throw new UncheckedIOException("Storing dataset " + id + " failed", e);
        }
        try {
            if (!validator.errors().isEmpty()) {
                throw new ApiException(HttpStatus.UNPROCESSABLE_CONTENT, "invalid_dataset",
                        "The file has invalid lines" + (validator.truncated() ? " (first " + JsonlValidator.MAX_ERRORS
                                + " shown)" : "") + "; first: " + validator.errors().get(0).reason() + ".",
                        validator.errors());
            }
            if (validator.records() == 0) {
                throw new ApiException(HttpStatus.UNPROCESSABLE_CONTENT, "invalid_dataset", "The file has no lines.",
                        List.of(new Violation("/file", "is empty")));
            }
            return datasets.save(new DatasetEntity(id, teamId, name, purpose, validator.records(),
                    json.writeValueAsString(new ArrayList<>(validator.fields())), key, stored.sha256(), stored.size(),
                    Timestamps.now()));
        } catch (RuntimeException e) {
            deleteQuietly(key, e);
            throw e;
        }
    }

    private void deleteQuietly(String key, RuntimeException cause) {
        try {
            store.delete(key);
        } catch (IOException | RuntimeException e) {
            cause.addSuppressed(e);
        }
    }

    /** The arithmetic demo's corpus, train prompts and eval prompts, as three datasets. */
    ListResponse<DatasetView> generate(Caller caller, GenerateRequest r) {
        String teamId = caller.requireTeam();
        if (r.generator() == null) {
            throw ApiException.invalid("/generator", "is required");
        }
        if (!"arithmetic".equals(r.generator())) {
            throw ApiException.invalid("/generator", "unknown generator '" + r.generator() + "'; expected arithmetic");
        }
        ArithmeticTask.Config d = ArithmeticTask.Config.DEFAULT;
        ArithmeticTask.Config config;
        try {
            config = new ArithmeticTask.Config(
                    r.digits() == null ? d.digits() : r.digits(),
                    r.reverseAnswer() == null ? d.reverseAnswer() : r.reverseAnswer(),
                    r.corpusSize() == null ? d.corpusSize() : r.corpusSize(),
                    r.trainPrompts() == null ? d.trainPrompts() : r.trainPrompts(),
                    r.evalPrompts() == null ? d.evalPrompts() : r.evalPrompts(),
                    r.seed() == null ? d.seed() : r.seed(),
                    r.spaced() == null ? d.spaced() : r.spaced());
        } catch (ConfigException e) {
            throw ApiException.invalid("/" + e.field(), e.reason());
        }
        String base = r.name() == null || r.name().isBlank() ? "arithmetic-" + config.digits() + "d" : r.name().trim();
        requireNameLength("/name", base + "-corpus");
        quotas.requireStorage(teamId);
        ArithmeticTask.Sets sets = ArithmeticTask.generate(config);
        List<Object> corpus = new ArrayList<>(sets.corpus().size());
        for (String text : sets.corpus()) {
            corpus.add(Map.of("text", text));
        }
        List<DatasetView> out = List.of(
                view(ingest(teamId, base + "-corpus", DatasetPurpose.CORPUS, jsonl(corpus))),
                view(ingest(teamId, base + "-train", DatasetPurpose.PROMPTS, jsonl(sets.trainPrompts()))),
                view(ingest(teamId, base + "-eval", DatasetPurpose.PROMPTS, jsonl(sets.evalPrompts()))));
        return ListResponse.of(out, false);
    }

    private InputStream jsonl(List<?> lines) {
        StringBuilder sb = new StringBuilder();
        for (Object line : lines) {
            sb.append(json.writeValueAsString(line)).append('\n');
        }
        return new ByteArrayInputStream(sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    DatasetView view(Caller caller, String id) {
        return view(find(caller, id));
    }

    ListResponse<DatasetView> list(Caller caller, PageParams page) {
        return page.toResponse(datasets.findPage(caller.requireTeam(), page), this::view);
    }

    Content content(Caller caller, String id) {
        DatasetEntity e = find(caller, id);
        return new Content(open(e), e.sizeBytes());
    }

    void delete(Caller caller, String id) {
        DatasetEntity e = find(caller, id);
        if (usages.orderedStream().anyMatch(u -> u.isInUse(e.id()))) {
            throw ApiException.conflict("dataset_in_use", "Dataset '" + id + "' is used by a job that has not finished.");
        }
        datasets.delete(e);
        try {
            store.deletePrefix("datasets/" + e.id() + "/");
        } catch (IOException ex) {
            throw new UncheckedIOException("Deleting the content of dataset " + id + " failed", ex);
        }
    }

    /** The datasets' part of a team's stored bytes: the size of every dataset it holds. */
    @Override
    public long storedBytes(String teamId) {
        return datasets.storedBytes(teamId);
    }

    @Override
    public DatasetInfo get(Caller caller, String datasetId) {
        DatasetEntity e = find(caller, datasetId);
        return new DatasetInfo(e.id(), e.teamId(), e.name(), e.purpose(), e.lines(), new LinkedHashSet<>(fields(e)),
                e.objectKey(), e.sha256(), e.createdAt());
    }

    @Override
    public List<Map<String, Object>> readItems(Caller caller, String datasetId) {
        DatasetEntity e = find(caller, datasetId);
        List<Map<String, Object>> items = new ArrayList<>((int) Math.min(e.lines(), 1_000_000));
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(open(e), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (!line.isBlank()) {
                    items.add(json.readValue(line, ITEM));
                }
            }
        } catch (IOException ex) {
            throw new UncheckedIOException("Reading dataset " + datasetId + " failed", ex);
        }
        return items;
    }

    /** The dataset's JSONL, through this node's cache (a worker reads a dataset once per content, not per launch). */
    private InputStream open(DatasetEntity e) {
        try {
            return cache.open(store.stat(e.objectKey()).orElseThrow(
                    () -> new IllegalStateException("Content of dataset " + e.id() + " is missing from storage")));
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    private DatasetEntity find(Caller caller, String id) {
        return datasets.findByTeamIdAndId(caller.requireTeam(), id)
                .orElseThrow(() -> ApiException.notFound("dataset", id));
    }

    private List<String> fields(DatasetEntity e) {
        return json.readValue(e.fields(), STRING_LIST);
    }

    private DatasetView view(DatasetEntity e) {
        return new DatasetView(e.id(), "dataset", e.name(), e.purpose().name().toLowerCase(Locale.ROOT), e.lines(),
                fields(e), e.sha256(), e.sizeBytes(), e.createdAt());
    }
}
