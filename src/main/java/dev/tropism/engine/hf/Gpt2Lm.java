package dev.tropism.engine.hf;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.norm.LayerNorm;
import dev.tropism.engine.lm.CausalMask;
import dev.tropism.engine.lm.KvCache;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * HF {@code GPT2LMHeadModel} (modeling_gpt2; Radford et al. 2019): token + learned position embeddings, pre-LayerNorm
 * blocks of causal multi-head attention ({@code c_attn} → q, k, v; {@code c_proj}) and a GELU MLP ({@code c_fc},
 * {@code c_proj}), a final LayerNorm ({@code ln_f}) and an output projection tied to {@code wte}.
 *
 * <p>GPT-2 stores its projections as {@code Conv1D} modules whose weight is (in, out); they are transposed on load.
 * Checkpoints saved from {@code GPT2LMHeadModel} prefix names with {@code transformer.}, those of {@code GPT2Model}
 * (as on the hub) do not; both load. The {@code attn.bias}/{@code attn.masked_bias} causal-mask buffers of older
 * checkpoints are skipped.
 */
final class Gpt2Lm extends HfCausalLm {

    private static final Pattern BUFFER = Pattern.compile("(transformer\\.)?h\\.\\d+\\.attn\\.(masked_)?bias");

    Gpt2Lm(HfConfig config, NDManager parent) {
        super(config, parent);
    }

    @Override
    List<Weight> layout() {
        int d = config.hiddenSize();
        int inner = config.intermediateSize();
        List<Weight> w = new ArrayList<>();
        w.add(new Weight("wte.weight", new Shape(config.vocabSize(), d), false));
        w.add(new Weight("wpe.weight", new Shape(config.contextLength(), d), false));
        for (int i = 0; i < config.layers(); i++) {
            String p = "h." + i + ".";
            norm(w, p + "ln_1", d);
            conv1d(w, p + "attn.c_attn", d, 3 * d);
            conv1d(w, p + "attn.c_proj", d, d);
            norm(w, p + "ln_2", d);
            conv1d(w, p + "mlp.c_fc", d, inner);
            conv1d(w, p + "mlp.c_proj", inner, d);
        }
        norm(w, "ln_f", d);
        return w;
    }

    private static void norm(List<Weight> w, String name, int d) {
        w.add(new Weight(name + ".weight", new Shape(d), false));
        w.add(new Weight(name + ".bias", new Shape(d), false));
    }

    private static void conv1d(List<Weight> w, String name, int in, int out) {
        w.add(new Weight(name + ".weight", new Shape(out, in), true));
        w.add(new Weight(name + ".bias", new Shape(out), false));
    }

    @Override
    List<String> storedNames(String name) {
        return List.of(name, "transformer." + name);
    }

    @Override
    String transformersModuleName(String module) {
        return "transformer." + module; // GPT2LMHeadModel holds the network as .transformer
    }

    @Override
    boolean ignorable(String storedName) {
        // A tied lm_head is the same tensor as wte (save_pretrained usually drops it).
        return BUFFER.matcher(storedName).matches() || storedName.equals("lm_head.weight");
    }

    @Override
    String outputWeight() {
        return "wte.weight";
    }

    @Override
    public NDArray hidden(NDArray tokens, NDArray positions, NDArray keyMask, KvCache cache) {
        long tn = tokens.getShape().get(1);
        int nh = config.heads();
        int hs = config.headDim();
        NDArray bias = CausalMask.bias(keyMask, tn); // (B, 1, Tn, Tk)
        NDArray x = noised(Embedding.embedding(tokens.toType(DataType.INT64, false), params.get("wte.weight"),
                SparseFormat.DENSE).singletonOrThrow().add(Embedding.embedding(positions.toType(DataType.INT64, false),
                params.get("wpe.weight"), SparseFormat.DENSE).singletonOrThrow())); // (B, Tn, d)
        check.output("embed", x);
        for (int i = 0; i < config.layers(); i++) {
            String p = "h." + i + ".";
            // Attention sub-layer
            NDList qkv = check.output(p + "attn.c_attn", linear(layerNorm(x, p + "ln_1"), p + "attn.c_attn"))
                    .split(3, 2); // 3 × (B, Tn, d)
            NDArray q = heads(qkv.get(0), nh, hs); // (B, nh, Tn, hs)
            NDArray k = heads(qkv.get(1), nh, hs);
            NDArray v = heads(qkv.get(2), nh, hs);
            if (cache != null) {
                k = cache.appendKeys(i, k); // (B, nh, Tk, hs)
                v = cache.appendValues(i, v);
            }
            // scale_attn_by_inverse_layer_idx (modeling_gpt2) also divides layer i's scores by i + 1.
            double scale = 1.0 / Math.sqrt(hs) / (config.attentionScaleByLayer() ? i + 1 : 1);
            NDArray y = attend(q, k, v, bias, scale, p); // (B, Tn, d)
            x = x.add(check.output(p + "attn.c_proj", linear(y, p + "attn.c_proj")));
            // MLP sub-layer
            NDArray h = config.gelu().apply(linear(layerNorm(x, p + "ln_2"), p + "mlp.c_fc")); // (B, Tn, inner)
            x = x.add(check.output(p + "mlp.c_proj", linear(h, p + "mlp.c_proj"))); // (B, Tn, d)
        }
        if (cache != null) {
            cache.advance(tn);
        }
        return check.output("ln_f", layerNorm(x, "ln_f")); // (B, Tn, d)
    }

    private NDArray layerNorm(NDArray x, String name) {
        return LayerNorm.layerNorm(x, new Shape(config.hiddenSize()), params.get(name + ".weight"),
                params.get(name + ".bias"), (float) config.normEps()).singletonOrThrow();
    }
}
