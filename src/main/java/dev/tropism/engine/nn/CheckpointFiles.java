package dev.tropism.engine.nn;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Layout of a resumable checkpoint directory: {@code model/} (a {@link LanguageModel}, or another
 * model format such as a reward model), {@code optimizer.ndlist} (AdamW moments) and {@code state.json}
 * (kind, step, seed, optimizer step count and the run's config). RNG state needs no file: every random stream of a run is derived from
 * (seed, step), so restoring the step restores the RNG.
 */
public final class CheckpointFiles {

    public static final String MODEL_DIR = "model";
    static final String OPTIMIZER = "optimizer.ndlist";
    static final String STATE = "state.json";
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create();

    private CheckpointFiles() {
    }

    /** Writes a model directory (a language model, a reward model, a flow model, ...) into {@code dir}. */
    @FunctionalInterface
    public interface ModelWriter {
        void save(Path dir) throws IOException;
    }

    /**
     * Writes the three parts: the model (through {@code model}), the optimizer state and {@code state.json}.
     * {@code config} is the run's config record, stored for provenance.
     */
    public static void write(Path dir, String kind, int step, long seed, ModelWriter model, AdamW optimizer,
            Object config) throws IOException {
        Files.createDirectories(dir);
        model.save(dir.resolve(MODEL_DIR));
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(dir.resolve(OPTIMIZER)))) {
            optimizer.save(out);
        }
        JsonObject state = new JsonObject();
        state.addProperty("kind", kind);
        state.addProperty("step", step);
        state.addProperty("seed", seed);
        state.addProperty("optimizer_steps", optimizer.steps());
        state.add("config", GSON.toJsonTree(config));
        Files.writeString(dir.resolve(STATE), GSON.toJson(state), StandardCharsets.UTF_8);
    }

    /** Reads {@code state.json}, checking that it belongs to a run of {@code kind} with {@code seed}. */
    public static JsonObject readState(Path dir, String kind, long seed) throws IOException {
        Path file = dir.resolve(STATE);
        if (!Files.exists(file)) {
            throw new IOException("not a checkpoint: " + STATE + " is missing in " + dir);
        }
        JsonObject state = GSON.fromJson(Files.readString(file, StandardCharsets.UTF_8), JsonObject.class);
        if (!kind.equals(state.get("kind").getAsString())) {
            throw new IOException("checkpoint is a " + state.get("kind").getAsString() + " checkpoint, not " + kind);
        }
        if (state.get("seed").getAsLong() != seed) {
            throw new IOException("checkpoint seed " + state.get("seed").getAsLong() + " differs from the run's " + seed);
        }
        return state;
    }

    /** Restores AdamW moments and step count. */
    public static void readOptimizer(Path dir, AdamW optimizer, JsonObject state) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(dir.resolve(OPTIMIZER)))) {
            optimizer.load(in, state.get("optimizer_steps").getAsLong());
        }
    }
}
