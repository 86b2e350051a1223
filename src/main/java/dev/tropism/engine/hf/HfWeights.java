package dev.tropism.engine.hf;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The weights of a HuggingFace model directory: {@code model.safetensors}, or the shards listed by {@code
 * model.safetensors.index.json}'s {@code weight_map} (what {@code transformers}' {@code save_pretrained} writes past
 * its shard size). Tensors are read one at a time ({@link Safetensors#read}); names are the checkpoint's own.
 *
 * <p>Pickle checkpoints ({@code pytorch_model.bin}, {@code .pt}, {@code .pth}, {@code .ckpt}) are refused: loading
 * one runs arbitrary code, so, like Together, Tropism takes safetensors only.
 */
public final class HfWeights implements AutoCloseable {

    public static final String SINGLE = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";
    /** A shard is a plain file name in the model directory: no separators, no "..". */
    private static final Pattern SHARD_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*\\.safetensors");
    private static final Pattern PICKLE = Pattern.compile(".*\\.(bin|pt|pth|ckpt|pkl)");

    private final Map<String, Safetensors> fileOf; // tensor name -> the file holding it
    private final List<Safetensors> files;

    private HfWeights(Map<String, Safetensors> fileOf, List<Safetensors> files) {
        this.fileOf = fileOf;
        this.files = files;
    }

    /**
     * Opens the weights in {@code dir} and validates every header (and the index against the shards).
     *
     * @throws ModelFormatException for a pickle-only directory, a missing file, an index naming a shard outside the
     *     directory or a tensor its shard lacks, a tensor in two shards, or a bad header
     */
    public static HfWeights open(Path dir) throws ModelFormatException, IOException {
        Path index = dir.resolve(INDEX);
        if (Files.isRegularFile(index)) {
            return sharded(dir, index);
        }
        Path single = dir.resolve(SINGLE);
        if (Files.isRegularFile(single)) {
            Safetensors s = Safetensors.open(single);
            Map<String, Safetensors> fileOf = new LinkedHashMap<>();
            s.entries().keySet().forEach(n -> fileOf.put(n, s));
            return new HfWeights(fileOf, List.of(s));
        }
        try (Stream<Path> listing = Files.list(dir)) {
            List<String> pickles = listing.map(p -> p.getFileName().toString()).filter(n -> PICKLE.matcher(n).matches())
                    .sorted().toList();
            if (!pickles.isEmpty()) {
                throw new ModelFormatException(pickles.get(0) + " is a pickle checkpoint, which Tropism does not load "
                        + "(unpickling runs code); convert it to " + SINGLE + " (e.g. save_pretrained(dir, "
                        + "safe_serialization=True)) and upload again");
            }
        }
        throw new ModelFormatException("no " + SINGLE + " or " + INDEX + " in the model directory");
    }

    private static HfWeights sharded(Path dir, Path index) throws ModelFormatException, IOException {
        JsonObject weightMap;
        try {
            JsonElement root = JsonParser.parseString(Files.readString(index, StandardCharsets.UTF_8));
            weightMap = root.isJsonObject() && root.getAsJsonObject().get("weight_map") instanceof JsonObject w
                    ? w : null;
        } catch (JsonParseException e) {
            throw new ModelFormatException(INDEX + " is not valid JSON (" + e.getMessage() + ")", e);
        }
        if (weightMap == null) {
            throw new ModelFormatException(INDEX + " has no \"weight_map\" object");
        }
        Map<String, Safetensors> shards = new LinkedHashMap<>();
        Map<String, Safetensors> fileOf = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, JsonElement> e : weightMap.entrySet()) {
                String shard = e.getValue().isJsonPrimitive() ? e.getValue().getAsString() : "";
                if (!SHARD_NAME.matcher(shard).matches()) {
                    throw new ModelFormatException(INDEX + ": tensor '" + e.getKey() + "' maps to \"" + shard
                            + "\", which is not a .safetensors file name in the model directory");
                }
                Safetensors s = shards.get(shard);
                if (s == null) {
                    if (!Files.isRegularFile(dir.resolve(shard))) {
                        throw new ModelFormatException(INDEX + " lists shard " + shard + ", which is missing");
                    }
                    s = Safetensors.open(dir.resolve(shard));
                    shards.put(shard, s);
                }
                if (!s.entries().containsKey(e.getKey())) {
                    throw new ModelFormatException(INDEX + " puts tensor '" + e.getKey() + "' in " + shard
                            + ", which does not hold it");
                }
                fileOf.put(e.getKey(), s);
            }
            for (Map.Entry<String, Safetensors> s : shards.entrySet()) {
                for (String name : s.getValue().entries().keySet()) {
                    if (fileOf.get(name) != s.getValue()) {
                        throw new ModelFormatException(s.getKey() + " holds tensor '" + name + "', which " + INDEX
                                + (fileOf.containsKey(name) ? " places in another shard" : " does not list"));
                    }
                }
            }
            return new HfWeights(fileOf, new ArrayList<>(shards.values()));
        } catch (ModelFormatException | IOException | RuntimeException e) {
            for (Safetensors s : shards.values()) {
                s.close();
            }
            throw e;
        }
    }

    /** Every tensor name, in index (or header) order. */
    public List<String> names() {
        return Collections.unmodifiableList(new ArrayList<>(fileOf.keySet()));
    }

    /** The header entry of tensor {@code name}, or null when the checkpoint has none. */
    public Safetensors.Entry entry(String name) {
        Safetensors s = fileOf.get(name);
        return s == null ? null : s.entries().get(name);
    }

    /** The dtypes stored, e.g. {@code [BF16]}, for the model card. */
    public List<Dtype> dtypes() {
        return fileOf.keySet().stream().map(n -> entry(n).dtype()).distinct().sorted().toList();
    }

    /** Tensor {@code name} as an owned float32 array in {@code manager}. */
    public NDArray read(String name, NDManager manager) throws ModelFormatException, IOException {
        Safetensors s = fileOf.get(name);
        if (s == null) {
            throw new ModelFormatException("the checkpoint has no tensor '" + name + "'");
        }
        return s.read(name, manager);
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (Safetensors s : files) {
            try {
                s.close();
            } catch (IOException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
