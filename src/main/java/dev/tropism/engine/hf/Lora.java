package dev.tropism.engine.hf;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.tropism.engine.ConfigException;
import dev.tropism.engine.nn.Scalars;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * LoRA adapters on an {@link HfCausalLm} ({@link LoraConfig}): per adapted projection, A (r, in) drawn as PEFT draws
 * it (uniform in ±1/√in, kaiming-uniform with a = √5) and B (out, r) zero, so a fresh adapter leaves the model exactly
 * as it was. Only A and B train; with the adapters {@link #enabled(boolean) off} the model is its base, which is what
 * GRPO's frozen reference needs without a second copy of the weights.
 *
 * <p>On disk, the PEFT layout: {@code adapter_model.safetensors} with keys {@code base_model.model.<module>.lora_A.weight}
 * and {@code lora_B.weight} ({@code <module>} the transformers module path), and {@code adapter_config.json}.
 */
public final class Lora implements AutoCloseable {

    public static final String WEIGHTS = "adapter_model.safetensors";
    public static final String CONFIG = "adapter_config.json";
    private static final String PREFIX = "base_model.model.";

    private final LoraConfig config;
    private final NDManager manager;
    private final Map<String, NDArray> a = new LinkedHashMap<>(); // module -> A (r, in)
    private final Map<String, NDArray> b = new LinkedHashMap<>(); // module -> B (out, r)
    private boolean enabled = true;

    private Lora(LoraConfig config, NDManager parent) {
        this.config = config;
        this.manager = parent.newSubManager();
    }

    /** Fresh adapters on every target projection of {@code model}, drawn from {@code seed}. */
    public static Lora initialize(LoraConfig config, HfCausalLm model, long seed, NDManager parent) {
        Lora lora = new Lora(config, parent);
        Random rng = new Random(seed);
        for (Map.Entry<String, Shape> m : targets(config, model).entrySet()) {
            int out = (int) m.getValue().get(0);
            int in = (int) m.getValue().get(1);
            float bound = (float) (1 / Math.sqrt(in));
            float[] v = new float[config.rank() * in];
            for (int i = 0; i < v.length; i++) {
                v[i] = (rng.nextFloat() * 2 - 1) * bound;
            }
            lora.a.put(m.getKey(), lora.manager.create(v, new Shape(config.rank(), in)));
            lora.b.put(m.getKey(), lora.manager.zeros(new Shape(out, config.rank())));
        }
        return lora;
    }

    /** The adapted projections of {@code model} and their weight shapes (out, in). */
    private static Map<String, Shape> targets(LoraConfig config, HfCausalLm model) {
        Map<String, Shape> out = new LinkedHashMap<>();
        List<String> targets = config.targets(model.config().architecture());
        for (Map.Entry<String, NDArray> p : model.parameters().entrySet()) {
            String name = p.getKey();
            if (!name.endsWith(".weight") || p.getValue().getShape().dimension() != 2) {
                continue;
            }
            String module = name.substring(0, name.length() - ".weight".length());
            if (targets.stream().anyMatch(t -> LoraConfig.matches(module, t))
                    && !module.equals("lm_head") && !module.endsWith("embed_tokens") && !module.equals("wte")) {
                out.put(module, p.getValue().getShape());
            }
        }
        if (out.isEmpty()) {
            throw new ConfigException("target_modules", targets + " match no projection of this "
                    + model.config().architecture().modelType() + " model");
        }
        return out;
    }

    public LoraConfig config() {
        return config;
    }

    /** Turns the adapters on (the tuned model) or off (the base model). */
    public void enabled(boolean on) {
        this.enabled = on;
    }

    public boolean enabled() {
        return enabled;
    }

    /** The trainable parameters: {@code <module>.lora_A} and {@code <module>.lora_B}. */
    public Map<String, NDArray> parameters() {
        Map<String, NDArray> p = new LinkedHashMap<>();
        for (String m : a.keySet()) {
            p.put(m + ".lora_A", a.get(m));
            p.put(m + ".lora_B", b.get(m));
        }
        return Collections.unmodifiableMap(p);
    }

    /**
     * Adds module {@code module}'s update to its base output: y + (α/r)·(x·Aᵀ)·Bᵀ; y itself when the module is not
     * adapted or the adapters are off.
     *
     * @param x (..., in) the projection's input
     * @param y (..., out) the base projection x·Wᵀ + b
     */
    NDArray adapt(String module, NDArray x, NDArray y) {
        NDArray aw = a.get(module);
        if (!enabled || aw == null) {
            return y;
        }
        NDArray down = Linear.linear(x, aw).singletonOrThrow(); // (..., r)
        NDArray up = Linear.linear(down, b.get(module)).singletonOrThrow(); // (..., out)
        return y.add(up.mul(Scalars.of(up, config.scale())));
    }

    /** W + (α/r)·B·A for module {@code module}'s weight W (out, in): the adapter folded into the base. */
    NDArray merge(String module, NDArray w) {
        NDArray delta = b.get(module).matMul(a.get(module)); // (out, in)
        return w.add(delta.mul(Scalars.of(delta, config.scale())));
    }

    /** The modules carrying adapters. */
    List<String> modules() {
        return new ArrayList<>(a.keySet());
    }

    /** Writes the adapters in PEFT's layout into {@code dir}, for {@code model}'s family. */
    public void savePeft(Path dir, HfCausalLm model) throws IOException {
        Files.createDirectories(dir);
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        for (String m : a.keySet()) {
            String key = PREFIX + model.transformersModuleName(m);
            tensors.put(key + ".lora_A.weight", a.get(m));
            tensors.put(key + ".lora_B.weight", b.get(m));
        }
        SafetensorsWriter.write(dir.resolve(WEIGHTS), tensors, Dtype.F32, Map.of("format", "pt"));
        JsonObject c = new JsonObject();
        c.addProperty("peft_type", "LORA");
        c.addProperty("task_type", "CAUSAL_LM");
        c.addProperty("r", config.rank());
        c.addProperty("lora_alpha", config.alpha());
        c.addProperty("lora_dropout", config.dropout());
        JsonArray targets = new JsonArray();
        config.targets(model.config().architecture()).forEach(targets::add);
        c.add("target_modules", targets);
        c.addProperty("bias", "none");
        // GPT-2's Conv1D stores W as (in, out); PEFT needs to know to transpose it when merging.
        c.addProperty("fan_in_fan_out", model.config().architecture() == Architecture.GPT2);
        c.addProperty("use_rslora", false);
        c.addProperty("use_dora", false);
        Files.writeString(dir.resolve(CONFIG), new GsonBuilder().setPrettyPrinting().create().toJson(c),
                StandardCharsets.UTF_8);
    }

    /**
     * Reads PEFT adapters ({@code adapter_config.json} + {@code adapter_model.safetensors}) for {@code model}.
     *
     * @throws ModelFormatException for PEFT options Tropism does not run (DoRA, rsLoRA, biases, a regex
     *     {@code target_modules}, {@code modules_to_save}), a key naming no projection of the model, or a shape that
     *     does not fit it
     */
    public static Lora loadPeft(Path dir, HfCausalLm model, NDManager parent) throws ModelFormatException, IOException {
        JsonObject c = peftConfig(dir);
        int r = c.get("r").getAsInt();
        List<String> targets = new ArrayList<>();
        for (JsonElement t : c.getAsJsonArray("target_modules")) {
            targets.add(t.getAsString());
        }
        LoraConfig config;
        try {
            config = new LoraConfig(r, c.has("lora_alpha") ? c.get("lora_alpha").getAsDouble() : 8,
                    c.has("lora_dropout") ? c.get("lora_dropout").getAsDouble() : 0, targets);
        } catch (ConfigException e) {
            throw new ModelFormatException(CONFIG + ": " + e.getMessage(), e);
        }
        Map<String, Shape> modules = targets(config, model);
        Lora lora = new Lora(config, parent);
        try (Safetensors s = Safetensors.open(dir.resolve(WEIGHTS))) {
            for (Map.Entry<String, Shape> m : modules.entrySet()) {
                String key = PREFIX + model.transformersModuleName(m.getKey());
                lora.a.put(m.getKey(), read(s, key + ".lora_A.weight", new Shape(r, m.getValue().get(1)), lora.manager));
                lora.b.put(m.getKey(), read(s, key + ".lora_B.weight", new Shape(m.getValue().get(0), r), lora.manager));
            }
            if (s.entries().size() != 2 * modules.size()) {
                throw new ModelFormatException(WEIGHTS + " holds " + s.entries().size() + " tensors; the targets "
                        + config.targetModules() + " adapt " + modules.size() + " projections (2 tensors each)");
            }
            return lora;
        } catch (ModelFormatException | IOException | RuntimeException e) {
            lora.close();
            throw e;
        }
    }

    private static JsonObject peftConfig(Path dir) throws ModelFormatException, IOException {
        Path file = dir.resolve(CONFIG);
        if (!Files.isRegularFile(file) || !Files.isRegularFile(dir.resolve(WEIGHTS))) {
            throw new ModelFormatException("a PEFT adapter needs " + CONFIG + " and " + WEIGHTS);
        }
        JsonObject c;
        try {
            c = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (JsonParseException | IllegalStateException e) {
            throw new ModelFormatException(CONFIG + " is not a JSON object", e);
        }
        String refusal = !"LORA".equals(string(c, "peft_type")) ? "peft_type must be LORA"
                : flag(c, "use_dora") ? "DoRA (use_dora) is not supported"
                : flag(c, "use_rslora") ? "rsLoRA (use_rslora) is not supported"
                : c.has("bias") && !"none".equals(string(c, "bias")) ? "bias must be \"none\""
                : c.has("modules_to_save") && !c.get("modules_to_save").isJsonNull() ? "modules_to_save is not supported"
                : !(c.get("target_modules") instanceof JsonArray) ? "target_modules must be a list of module names"
                : !c.has("r") ? "r is missing" : null;
        if (refusal != null) {
            throw new ModelFormatException(CONFIG + ": " + refusal);
        }
        return c;
    }

    private static String string(JsonObject c, String key) {
        JsonElement v = c.get(key);
        return v != null && v.isJsonPrimitive() ? v.getAsString() : null;
    }

    private static boolean flag(JsonObject c, String key) {
        JsonElement v = c.get(key);
        return v != null && v.isJsonPrimitive() && v.getAsJsonPrimitive().isBoolean() && v.getAsBoolean();
    }

    private static NDArray read(Safetensors s, String key, Shape shape, NDManager m)
            throws ModelFormatException, IOException {
        Safetensors.Entry e = s.entries().get(key);
        if (e == null) {
            throw new ModelFormatException(WEIGHTS + " has no tensor '" + key + "'");
        }
        if (!e.shape().equals(shape)) {
            throw new ModelFormatException(WEIGHTS + ": tensor '" + key + "' is " + e.shape() + ", the model needs "
                    + shape);
        }
        return s.read(key, m);
    }

    @Override
    public void close() {
        manager.close();
    }
}
