package dev.tropism.models;

import dev.tropism.engine.PolicyFamily;
import dev.tropism.storage.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.stereotype.Component;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The class names of image models ({@code flow-matching} models and {@code image-classifier}s), which clients
 * need to prompt them: the {@code classes} of the model's {@code model.json} in object storage. A ready model's
 * files never change, so each is read once and kept (a list of ten names per model); models of other families,
 * and models not ready yet, have none.
 */
@Component
class ModelClasses {

    private static final String META = "model.json";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final ObjectStore store;
    private final Map<String, List<String>> byModel = new ConcurrentHashMap<>();

    ModelClasses(ObjectStore store) {
        this.store = store;
    }

    /** The model's class names, or null when it has none (another family, not ready, or unreadable). */
    List<String> of(ModelRecord m) {
        boolean image = m.family() == PolicyFamily.FLOW_MATCHING || m.family() == PolicyFamily.IMAGE_CLASSIFIER;
        if (!image || !ModelRecord.READY.equals(m.status())) {
            return null;
        }
        List<String> cached = byModel.get(m.id());
        if (cached != null) {
            return cached;
        }
        List<String> read = read(m.objectPrefix() + META).orElse(null);
        if (read != null) {
            byModel.put(m.id(), read);
        }
        return read;
    }

    private Optional<List<String>> read(String key) {
        try {
            Optional<InputStream> in = store.get(key);
            if (in.isEmpty()) {
                return Optional.empty();
            }
            JsonNode classes;
            try (InputStream stream = in.get()) {
                classes = JSON.readTree(stream).path("classes");
            }
            if (!classes.isArray()) {
                return Optional.empty();
            }
            List<String> names = new ArrayList<>();
            classes.forEach(c -> names.add(c.asString()));
            return Optional.of(List.copyOf(names));
        } catch (IOException | JacksonException e) {
            return Optional.empty(); // the view then shows no classes; serving reports the broken model itself
        }
    }
}
