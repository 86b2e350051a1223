package dev.tropism.engine.hf;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * The tiny random HF checkpoints under {@code src/test/resources/hf/} and their reference logits, written by
 * {@code tools/hf-reference/hf_reference.py} (plain PyTorch in float64, independent of this code).
 */
final class Fixtures {

    static final String[] NAMES = {"gpt2", "llama", "qwen2"};

    private Fixtures() {
    }

    static Path dir(String name) {
        try {
            return Path.of(Fixtures.class.getResource("/hf/" + name + "/config.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Writes fixture {@code name} into {@code dir} as {@code config.json} + {@code model.safetensors} in {@code dtype},
     * after {@code edit} has changed its tensors (renamed, dropped, added, reshaped).
     */
    static Path rewrite(String name, Path dir, Dtype dtype, BiConsumer<Map<String, NDArray>, NDManager> edit)
            throws Exception {
        Files.copy(dir(name).resolve("config.json"), dir.resolve("config.json"), StandardCopyOption.REPLACE_EXISTING);
        try (NDManager m = NDManager.newBaseManager(); HfWeights w = HfWeights.open(dir(name))) {
            Map<String, NDArray> t = new LinkedHashMap<>();
            for (String n : w.names()) {
                t.put(n, w.read(n, m));
            }
            edit.accept(t, m);
            SafetensorsWriter.write(dir.resolve(HfWeights.SINGLE), t, dtype, Map.of("format", "pt"));
        }
        return dir;
    }

    /** The reference batch: 2 rows × 6 tokens, the second left-padded by 2. */
    record Batch(int[] tokens, int[] positions, float[] mask, int rows, int cols, float[] logits, int vocab) {

        NDArray tokens(NDManager m) {
            return m.create(tokens, new Shape(rows, cols));
        }

        NDArray positions(NDManager m) {
            return m.create(positions, new Shape(rows, cols));
        }

        NDArray mask(NDManager m) {
            return m.create(mask, new Shape(rows, cols));
        }

        /** Largest |actual − expected| over the real (unpadded) positions of (B, T, V) logits. */
        double maxAbsDiff(float[] actual) {
            double worst = 0;
            for (int r = 0; r < rows; r++) {
                for (int t = 0; t < cols; t++) {
                    if (mask[r * cols + t] == 0f) {
                        continue;
                    }
                    for (int v = 0; v < vocab; v++) {
                        int i = (r * cols + t) * vocab + v;
                        worst = Math.max(worst, Math.abs(actual[i] - logits[i]));
                    }
                }
            }
            return worst;
        }
    }

    static Batch expected(String name) {
        try {
            JsonObject o = JsonParser.parseString(Files.readString(dir(name).resolve("expected-logits.json"),
                    StandardCharsets.UTF_8)).getAsJsonObject();
            JsonArray shape = o.getAsJsonArray("shape");
            int rows = shape.get(0).getAsInt();
            int cols = shape.get(1).getAsInt();
            int[] tokens = new int[rows * cols];
            int[] positions = new int[rows * cols];
            float[] mask = new float[rows * cols];
            for (int r = 0; r < rows; r++) {
                for (int t = 0; t < cols; t++) {
                    tokens[r * cols + t] = o.getAsJsonArray("tokens").get(r).getAsJsonArray().get(t).getAsInt();
                    positions[r * cols + t] = o.getAsJsonArray("positions").get(r).getAsJsonArray().get(t).getAsInt();
                    mask[r * cols + t] = o.getAsJsonArray("mask").get(r).getAsJsonArray().get(t).getAsFloat();
                }
            }
            JsonArray l = o.getAsJsonArray("logits");
            float[] logits = new float[l.size()];
            for (int i = 0; i < logits.length; i++) {
                logits[i] = l.get(i).getAsFloat();
            }
            return new Batch(tokens, positions, mask, rows, cols, logits, shape.get(2).getAsInt());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
