package dev.tropism.engine.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.tropism.engine.lm.KvCache;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The three families against logits computed by an independent float64 PyTorch reference
 * ({@code tools/hf-reference/hf_reference.py}) on checkpoints it wrote itself: GPT-2 in F32 (Conv1D transposes,
 * tanh GELU, {@code transformer.} prefix), Llama in BF16 (GQA 2:1, RoPE with linear scaling, untied head), Qwen2 in
 * F16 (q/k/v biases, GQA 4:2, θ = 1e6, tied head).
 */
class ReferenceLogitsTest {

    /** float32 forward against a float64 reference on logits of size ~1: observed max diffs are about 1e-6. */
    private static final double TOLERANCE = 1e-4;

    private static double maxDiff(HfCausalLm model, Fixtures.Batch b) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = model.forward(b.tokens(m), b.positions(m), b.mask(m), null); // (B, T, V)
            assertEquals(new Shape(b.rows(), b.cols(), b.vocab()), logits.getShape());
            return b.maxAbsDiff(logits.toFloatArray());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama", "qwen2"})
    void logitsMatchTheReference(String name) throws Exception {
        try (NDManager m = NDManager.newBaseManager(); HfCausalLm model = HfCausalLm.load(Fixtures.dir(name), m)) {
            double diff = maxDiff(model, Fixtures.expected(name));
            System.out.printf("%s: max |logit - reference| = %.3g%n", name, diff);
            assertTrue(diff < TOLERANCE, name + ": max abs logit diff " + diff);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama", "qwen2"})
    void incrementalDecodingWithTheCacheEqualsTheFullForward(String name) throws Exception {
        Fixtures.Batch b = Fixtures.expected(name);
        try (NDManager m = NDManager.newBaseManager(); HfCausalLm model = HfCausalLm.load(Fixtures.dir(name), m)) {
            NDArray tokens = b.tokens(m);
            NDArray positions = b.positions(m);
            NDArray mask = b.mask(m);
            float[] full = model.forward(tokens, positions, mask, null).toFloatArray(); // (B, T, V)
            // a 3-token prefill, then one token at a time
            KvCache cache = model.newCache();
            int prefill = 3;
            NDArray first = model.forward(tokens.get(new NDIndex(":, :" + prefill)),
                    positions.get(new NDIndex(":, :" + prefill)), mask.get(new NDIndex(":, :" + prefill)), cache);
            NDArray[] steps = new NDArray[b.cols()];
            steps[0] = first;
            for (int t = prefill; t < b.cols(); t++) {
                NDIndex at = new NDIndex(":, " + t + ":" + (t + 1));
                steps[t - prefill + 1] = model.forward(tokens.get(at), positions.get(at),
                        mask.get(new NDIndex(":, :" + (t + 1))), cache); // (B, 1, V)
            }
            assertEquals(b.cols(), cache.length());
            // GQA: the cache holds the kv heads only
            assertEquals(model.config().kvHeads(), cache.keys(0).getShape().get(1));
            NDArray joined = first.concat(steps[1], 1);
            for (int i = 2; i <= b.cols() - prefill; i++) {
                joined = joined.concat(steps[i], 1);
            }
            float[] cached = joined.toFloatArray();
            double worst = 0;
            for (int r = 0; r < b.rows(); r++) {
                for (int t = 0; t < b.cols(); t++) {
                    if (b.mask()[r * b.cols() + t] == 0f) {
                        continue;
                    }
                    for (int v = 0; v < b.vocab(); v++) {
                        int i = (r * b.cols() + t) * b.vocab() + v;
                        worst = Math.max(worst, Math.abs(full[i] - cached[i]));
                    }
                }
            }
            assertTrue(worst < 1e-5, name + ": cached vs uncached max diff " + worst);
        }
    }

    @Test
    void aShardedCheckpointLoadsTheSameWeights(@TempDir Path dir) throws Exception {
        Path src = Fixtures.dir("qwen2");
        Files.copy(src.resolve("config.json"), dir.resolve("config.json"));
        try (NDManager m = NDManager.newBaseManager(); HfWeights w = HfWeights.open(src)) {
            // two shards, as save_pretrained writes them, with the index's weight_map
            Map<String, NDArray> a = new LinkedHashMap<>();
            Map<String, NDArray> c = new LinkedHashMap<>();
            StringBuilder map = new StringBuilder();
            List<String> names = w.names();
            for (int i = 0; i < names.size(); i++) {
                boolean firstHalf = i < names.size() / 2;
                (firstHalf ? a : c).put(names.get(i), w.read(names.get(i), m));
                String shard = firstHalf ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
                map.append(i == 0 ? "" : ", ").append('"').append(names.get(i)).append("\": \"").append(shard).append('"');
            }
            SafetensorsWriter.write(dir.resolve("model-00001-of-00002.safetensors"), a, Dtype.F16, Map.of());
            SafetensorsWriter.write(dir.resolve("model-00002-of-00002.safetensors"), c, Dtype.F16, Map.of());
            Files.writeString(dir.resolve(HfWeights.INDEX), "{\"metadata\": {}, \"weight_map\": {" + map + "}}");
        }
        try (NDManager m = NDManager.newBaseManager(); HfCausalLm sharded = HfCausalLm.load(dir, m);
                HfCausalLm single = HfCausalLm.load(src, m)) {
            for (Map.Entry<String, NDArray> e : single.parameters().entrySet()) {
                assertArrayEquals(e.getValue().toFloatArray(), sharded.parameters().get(e.getKey()).toFloatArray(), 0f,
                        e.getKey());
            }
            assertTrue(maxDiff(sharded, Fixtures.expected("qwen2")) < TOLERANCE);
        }
    }

    @Test
    void gpt2LoadsWithoutTheTransformerPrefixAndSkipsMaskBuffers(@TempDir Path dir) throws Exception {
        // the hub's layout: no prefix, plus the old causal-mask buffers
        Fixtures.rewrite("gpt2", dir, Dtype.F32, (t, m) -> {
            for (String n : List.copyOf(t.keySet())) {
                t.put(n.substring("transformer.".length()), t.remove(n));
            }
            t.put("h.0.attn.bias", m.ones(new Shape(1, 1, 16, 16)));
            t.put("h.1.attn.masked_bias", m.create(new float[] {-1e4f}, new Shape()));
        });
        try (NDManager m = NDManager.newBaseManager(); HfCausalLm model = HfCausalLm.load(dir, m)) {
            assertTrue(maxDiff(model, Fixtures.expected("gpt2")) < TOLERANCE);
            assertTrue(model.parameters().containsKey("h.0.attn.c_attn.weight"));
            // Conv1D (in, out) = (16, 48) is held as (out, in)
            assertEquals(new Shape(48, 16), model.parameters().get("h.0.attn.c_attn.weight").getShape());
        }
    }

    @Test
    void copyAndSaveLoadGiveTheSameLogits(@TempDir Path dir) throws Exception {
        Fixtures.Batch b = Fixtures.expected("llama");
        try (NDManager m = NDManager.newBaseManager(); HfCausalLm model = HfCausalLm.load(Fixtures.dir("llama"), m)) {
            float[] logits = model.forward(b.tokens(m), b.positions(m), b.mask(m), null).toFloatArray();
            try (HfCausalLm copy = model.copy(m)) {
                assertArrayEquals(logits, copy.forward(b.tokens(m), b.positions(m), b.mask(m), null).toFloatArray(), 0f);
            }
            Path file = dir.resolve("weights.ndlist");
            model.save(file);
            try (HfCausalLm loaded = HfCausalLm.loadSaved(model.config(), file, m)) {
                assertArrayEquals(logits, loaded.forward(b.tokens(m), b.positions(m), b.mask(m), null).toFloatArray(),
                        0f);
                assertEquals(model.parameterCount(), loaded.parameterCount());
            }
        }
    }
}
