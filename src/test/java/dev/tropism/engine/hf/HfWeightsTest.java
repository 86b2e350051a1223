package dev.tropism.engine.hf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a model directory must hold: safetensors only, an honest index, and exactly the family's tensors. */
class HfWeightsTest {

    private static void assertRefused(Path dir, String... mentions) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> {
            try (NDManager m = NDManager.newBaseManager(); HfCausalLm model = HfCausalLm.load(dir, m)) {
                model.parameterCount();
            }
        });
        for (String s : mentions) {
            assertTrue(e.getMessage().contains(s), "'" + e.getMessage() + "' should mention '" + s + "'");
        }
    }

    private static void twoShards(Path dir, String index) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            SafetensorsWriter.write(dir.resolve("a.safetensors"), Map.of("x", m.ones(new Shape(2))), Dtype.F32, Map.of());
            SafetensorsWriter.write(dir.resolve("b.safetensors"), Map.of("y", m.ones(new Shape(3))), Dtype.F32, Map.of());
        }
        Files.writeString(dir.resolve(HfWeights.INDEX), index);
    }

    @Test
    void refusesPickleCheckpointsAndEmptyDirectories(@TempDir Path dir) throws Exception {
        Files.copy(Fixtures.dir("gpt2").resolve("config.json"), dir.resolve("config.json"));
        assertRefused(dir, "no model.safetensors");
        Files.write(dir.resolve("pytorch_model.bin"), new byte[] {(byte) 0x80, 2});
        assertRefused(dir, "pytorch_model.bin", "pickle", "safetensors");
    }

    @Test
    void refusesIndexesThatPointOutsideOrLie(@TempDir Path dir) throws Exception {
        twoShards(dir, "{\"weight_map\": {\"x\": \"../a.safetensors\"}}");
        assertThrows(ModelFormatException.class, () -> HfWeights.open(dir));
        twoShards(dir, "{\"weight_map\": {\"x\": \"/etc/passwd\"}}");
        assertEquals(true, assertThrows(ModelFormatException.class, () -> HfWeights.open(dir)).getMessage()
                .contains("not a .safetensors file name"));
        twoShards(dir, "{\"weight_map\": {\"x\": \"a.safetensors\", \"y\": \"c.safetensors\"}}");
        assertTrue(assertThrows(ModelFormatException.class, () -> HfWeights.open(dir)).getMessage().contains("missing"));
        twoShards(dir, "{\"weight_map\": {\"x\": \"b.safetensors\", \"y\": \"b.safetensors\"}}");
        assertTrue(assertThrows(ModelFormatException.class, () -> HfWeights.open(dir)).getMessage()
                .contains("does not hold it"));
        twoShards(dir, "{\"weight_map\": {\"x\": \"a.safetensors\"}}");
        try (HfWeights w = HfWeights.open(dir)) {
            assertEquals(List.of("x"), w.names()); // b.safetensors is not listed, so it is not read
        }
        twoShards(dir, "{\"weights\": {}}");
        assertTrue(assertThrows(ModelFormatException.class, () -> HfWeights.open(dir)).getMessage()
                .contains("weight_map"));
    }

    private static Path editedLlama(Path dir, BiConsumer<Map<String, NDArray>, NDManager> edit) throws Exception {
        return Fixtures.rewrite("llama", dir, Dtype.BF16, edit);
    }

    @Test
    void namesMissingMisshapenAndUnexpectedTensors(@TempDir Path dir) throws Exception {
        assertRefused(editedLlama(dir, (t, m) -> t.remove("lm_head.weight")), "'lm_head.weight'",
                "needs");
        assertRefused(editedLlama(dir, (t, m) -> t.put("model.layers.1.mlp.up_proj.weight",
                m.zeros(new Shape(16, 24)))), "'model.layers.1.mlp.up_proj.weight'", "(16, 24)", "(24, 16)");
        assertRefused(editedLlama(dir, (t, m) -> t.put("base_model.model.lora_A.weight", m.zeros(new Shape(2, 16)))),
                "'base_model.model.lora_A.weight'", "does not use");
        // the old rotary buffer is not a weight: it loads
        editedLlama(dir, (t, m) -> t.put("model.layers.0.self_attn.rotary_emb.inv_freq", m.ones(new Shape(4))));
        try (NDManager m = NDManager.newBaseManager(); HfCausalLm model = HfCausalLm.load(dir, m)) {
            assertTrue(model.parameterCount() > 0);
        }
    }

    @Test
    void reportsTheStoredDtypes() throws Exception {
        try (HfWeights w = HfWeights.open(Fixtures.dir("llama"))) {
            assertEquals(List.of(Dtype.BF16), w.dtypes());
        }
    }
}
