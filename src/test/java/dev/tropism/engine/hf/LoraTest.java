package dev.tropism.engine.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.tropism.engine.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LoraTest {

    private static final LoraConfig R4 = new LoraConfig(4, 8, 0, List.of());

    private static float[] logits(HfCausalLm model, Fixtures.Batch b, NDManager m) {
        return model.forward(b.tokens(m), b.positions(m), b.mask(m), null).toFloatArray();
    }

    /** Sets every B to N(0, 0.1) draws, so the adapters change the model. */
    private static void perturb(Lora lora, long seed) {
        Random rng = new Random(seed);
        for (Map.Entry<String, NDArray> p : lora.parameters().entrySet()) {
            if (p.getKey().endsWith(".lora_B")) {
                float[] v = new float[(int) p.getValue().size()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) (rng.nextGaussian() * 0.1);
                }
                p.getValue().set(v);
            }
        }
    }

    @Test
    void theUpdateIsAlphaOverRTimesXATransposeBTranspose() throws Exception {
        try (NDManager m = NDManager.newBaseManager(); HfCausalLm model = HfCausalLm.load(Fixtures.dir("llama"), m);
                Lora lora = Lora.initialize(new LoraConfig(2, 3, 0, List.of("q_proj")), model, 1, m)) {
            String module = "model.layers.0.self_attn.q_proj";
            float[] a = lora.parameters().get(module + ".lora_A").toFloatArray(); // (2, 16)
            NDArray bArr = lora.parameters().get(module + ".lora_B"); // (16, 2)
            float[] b = new float[16 * 2];
            for (int i = 0; i < b.length; i++) {
                b[i] = (i % 5) - 2;
            }
            bArr.set(b);
            float[] x = new float[16];
            for (int i = 0; i < 16; i++) {
                x[i] = (float) Math.sin(i);
            }
            NDArray y = m.zeros(new Shape(1, 16));
            float[] got = lora.adapt(module, m.create(x, new Shape(1, 16)), y).toFloatArray();
            // plain double reference: (α/r)·(x·Aᵀ)·Bᵀ with α/r = 3/2
            for (int o = 0; o < 16; o++) {
                double sum = 0;
                for (int k = 0; k < 2; k++) {
                    double xa = 0;
                    for (int i = 0; i < 16; i++) {
                        xa += x[i] * a[k * 16 + i];
                    }
                    sum += xa * b[o * 2 + k];
                }
                assertEquals(1.5 * sum, got[o], 1e-5, "output " + o);
            }
            // A is PEFT's kaiming-uniform: inside ±1/√in
            for (float v : a) {
                assertTrue(Math.abs(v) <= 0.25f);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama", "qwen2"})
    void freshAdaptersLeaveTheModelExactlyAsItWasAndMergingMatches(String name) throws Exception {
        Fixtures.Batch batch = Fixtures.expected(name);
        try (NDManager m = NDManager.newBaseManager(); HfCausalLm model = HfCausalLm.load(Fixtures.dir(name), m);
                Lora lora = Lora.initialize(R4, model, 7, m)) {
            float[] base = logits(model, batch, m);
            model.attach(lora);
            assertArrayEquals(base, logits(model, batch, m), 0f, "B = 0 adds exact zeros");
            perturb(lora, 3);
            float[] tuned = logits(model, batch, m);
            assertTrue(batch.maxAbsDiff(tuned) > 1e-3, "the perturbed adapters change the logits");
            lora.enabled(false);
            assertArrayEquals(base, logits(model, batch, m), 0f, "adapters off is the base model");
            lora.enabled(true);
            try (HfCausalLm merged = model.merged(m)) {
                float[] folded = logits(merged, batch, m);
                double worst = 0;
                for (int i = 0; i < tuned.length; i++) {
                    worst = Math.max(worst, Math.abs(tuned[i] - folded[i]));
                }
                assertTrue(worst < 1e-5, name + ": merged vs unmerged max diff " + worst);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama"})
    void peftFilesRoundTripWithPeftsKeyNames(String name, @TempDir Path dir) throws Exception {
        Fixtures.Batch batch = Fixtures.expected(name);
        try (NDManager m = NDManager.newBaseManager(); HfCausalLm model = HfCausalLm.load(Fixtures.dir(name), m);
                Lora lora = Lora.initialize(R4, model, 7, m)) {
            perturb(lora, 5);
            model.attach(lora);
            float[] tuned = logits(model, batch, m);
            lora.savePeft(dir, model);
            try (Safetensors s = Safetensors.open(dir.resolve(Lora.WEIGHTS))) {
                String key = name.equals("gpt2") ? "base_model.model.transformer.h.0.attn.c_attn.lora_A.weight"
                        : "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight";
                assertTrue(s.entries().containsKey(key), s.entries().keySet().toString());
                assertEquals(new Shape(4, 16), s.entries().get(key).shape()); // (r, in)
            }
            JsonObject c = JsonParser.parseString(Files.readString(dir.resolve(Lora.CONFIG))).getAsJsonObject();
            assertEquals(name.equals("gpt2"), c.get("fan_in_fan_out").getAsBoolean());
            assertEquals(8.0, c.get("lora_alpha").getAsDouble());
            try (Lora loaded = Lora.loadPeft(dir, model, m)) {
                model.attach(loaded);
                assertArrayEquals(tuned, logits(model, batch, m), 0f);
            }
        }
    }

    @Test
    void onlyTheAdaptersTrain() throws Exception {
        Fixtures.Batch b = Fixtures.expected("qwen2");
        try (NDManager m = NDManager.newBaseManager(); HfCausalLm model = HfCausalLm.load(Fixtures.dir("qwen2"), m);
                Lora lora = Lora.initialize(R4, model, 7, m)) {
            model.attach(lora);
            model.requireGradients(false);
            float[] wq = model.parameters().get("model.layers.0.self_attn.q_proj.weight").toFloatArray();
            lora.parameters().values().forEach(p -> p.setRequiresGradient(true));
            float before;
            try (NDManager step = m.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray l = nll(model, b, step);
                before = l.getFloat();
                gc.backward(l);
            }
            for (Map.Entry<String, NDArray> p : lora.parameters().entrySet()) {
                try (NDArray g = p.getValue().getGradient()) {
                    // B = 0 at start: A's gradient is Bᵀ·(...) = 0, B's is not
                    float norm = g.square().sum().getFloat();
                    assertTrue(p.getKey().endsWith("lora_A") ? norm == 0 : norm > 0, p.getKey() + " grad " + norm);
                    p.getValue().subi(g.mul(0.5f));
                }
            }
            lora.parameters().values().forEach(p -> p.setRequiresGradient(false));
            try (NDManager step = m.newSubManager()) {
                float after = nll(model, b, step).getFloat();
                assertTrue(after < before, "loss " + before + " -> " + after);
            }
            assertArrayEquals(wq, model.parameters().get("model.layers.0.self_attn.q_proj.weight").toFloatArray(), 0f);
        }
    }

    private static NDArray nll(HfCausalLm model, Fixtures.Batch b, NDManager m) {
        NDArray logp = model.forward(b.tokens(m), b.positions(m), b.mask(m), null).get("0, :-1, :").logSoftmax(-1);
        NDArray targets = b.tokens(m).get("0, 1:").toType(DataType.INT64, false).expandDims(-1);
        return logp.gather(targets, -1).mean().neg();
    }

    @Test
    void refusesWhatItCannotRun(@TempDir Path dir) throws Exception {
        assertThrows(ConfigException.class, () -> new LoraConfig(4, 8, 0.1, List.of()));
        try (NDManager m = NDManager.newBaseManager(); HfCausalLm model = HfCausalLm.load(Fixtures.dir("llama"), m)) {
            assertThrows(ConfigException.class, () -> Lora.initialize(new LoraConfig(4, 8, 0, List.of("c_attn")), model,
                    1, m));
            try (Lora lora = Lora.initialize(R4, model, 7, m)) {
                lora.savePeft(dir, model);
            }
            String config = Files.readString(dir.resolve(Lora.CONFIG));
            Files.writeString(dir.resolve(Lora.CONFIG), config.replace("\"use_dora\": false", "\"use_dora\": true"));
            assertTrue(assertThrows(ModelFormatException.class, () -> Lora.loadPeft(dir, model, m)).getMessage()
                    .contains("DoRA"));
            Files.writeString(dir.resolve(Lora.CONFIG), config.replaceAll("\"target_modules\": \\[[^]]*]",
                    "\"target_modules\": \".*q_proj\""));
            assertTrue(assertThrows(ModelFormatException.class, () -> Lora.loadPeft(dir, model, m)).getMessage()
                    .contains("target_modules"));
        }
    }
}
