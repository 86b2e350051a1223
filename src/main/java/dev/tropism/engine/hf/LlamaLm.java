package dev.tropism.engine.hf;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Embedding;
import dev.tropism.engine.lm.CausalMask;
import dev.tropism.engine.lm.KvCache;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * HF {@code LlamaForCausalLM} (modeling_llama; Touvron et al. 2023) and {@code Qwen2ForCausalLM} (modeling_qwen2,
 * the same network with biases on q, k and v): token embedding, pre-{@link RmsNorm} blocks of causal attention with
 * {@link Rope} on queries and keys and grouped-query attention (Ainslie et al. 2023: {@code num_key_value_heads}
 * k/v heads, each shared by {@code heads / kvHeads} query heads), a SwiGLU MLP (Shazeer 2020:
 * down(silu(gate(x)) · up(x))), a final RMSNorm and an output projection ({@code lm_head}, or the embedding when
 * {@code tie_word_embeddings}).
 *
 * <p>The KV cache holds the kvHeads heads before repetition, so it is heads / kvHeads times smaller than a full
 * multi-head cache.
 */
final class LlamaLm extends HfCausalLm {

    private static final Pattern BUFFER = Pattern.compile("model\\.layers\\.\\d+\\.self_attn\\.rotary_emb\\.inv_freq");

    private final Rope rope;

    LlamaLm(HfConfig config, NDManager parent) {
        super(config, parent);
        this.rope = new Rope(config.headDim(), config.ropeTheta(), config.ropeLinearFactor());
    }

    @Override
    List<Weight> layout() {
        int d = config.hiddenSize();
        int q = config.heads() * config.headDim();
        int kv = config.kvHeads() * config.headDim();
        int inter = config.intermediateSize();
        List<Weight> w = new ArrayList<>();
        w.add(new Weight("model.embed_tokens.weight", new Shape(config.vocabSize(), d), false));
        for (int i = 0; i < config.layers(); i++) {
            String p = "model.layers." + i + ".";
            w.add(new Weight(p + "input_layernorm.weight", new Shape(d), false));
            projection(w, p + "self_attn.q_proj", d, q, config.attentionBias());
            projection(w, p + "self_attn.k_proj", d, kv, config.attentionBias());
            projection(w, p + "self_attn.v_proj", d, kv, config.attentionBias());
            projection(w, p + "self_attn.o_proj", q, d, config.outputBias());
            w.add(new Weight(p + "post_attention_layernorm.weight", new Shape(d), false));
            projection(w, p + "mlp.gate_proj", d, inter, config.mlpBias());
            projection(w, p + "mlp.up_proj", d, inter, config.mlpBias());
            projection(w, p + "mlp.down_proj", inter, d, config.mlpBias());
        }
        w.add(new Weight("model.norm.weight", new Shape(d), false));
        if (!config.tieWordEmbeddings()) {
            w.add(new Weight("lm_head.weight", new Shape(config.vocabSize(), d), false));
        }
        return w;
    }

    private static void projection(List<Weight> w, String name, int in, int out, boolean bias) {
        w.add(new Weight(name + ".weight", new Shape(out, in), false));
        if (bias) {
            w.add(new Weight(name + ".bias", new Shape(out), false));
        }
    }

    @Override
    boolean ignorable(String storedName) {
        return BUFFER.matcher(storedName).matches()
                || (config.tieWordEmbeddings() && storedName.equals("lm_head.weight"));
    }

    @Override
    String outputWeight() {
        return config.tieWordEmbeddings() ? "model.embed_tokens.weight" : "lm_head.weight";
    }

    @Override
    public NDArray hidden(NDArray tokens, NDArray positions, NDArray keyMask, KvCache cache) {
        long tn = tokens.getShape().get(1);
        int nh = config.heads();
        int nkv = config.kvHeads();
        int hd = config.headDim();
        double eps = config.normEps();
        NDArray bias = CausalMask.bias(keyMask, tn); // (B, 1, Tn, Tk)
        NDList angles = rope.tables(positions); // cos, sin: (B, 1, Tn, hd)
        NDArray x = check.output("embed", noised(Embedding.embedding(tokens.toType(DataType.INT64, false),
                params.get("model.embed_tokens.weight"), SparseFormat.DENSE).singletonOrThrow())); // (B, Tn, d)
        for (int i = 0; i < config.layers(); i++) {
            String p = "model.layers." + i + ".";
            // Attention sub-layer
            NDArray h = RmsNorm.apply(x, params.get(p + "input_layernorm.weight"), eps); // (B, Tn, d)
            NDArray q = Rope.apply(heads(linear(h, p + "self_attn.q_proj"), nh, hd), angles); // (B, nh, Tn, hd)
            NDArray k = Rope.apply(heads(linear(h, p + "self_attn.k_proj"), nkv, hd), angles); // (B, nkv, Tn, hd)
            NDArray v = heads(linear(h, p + "self_attn.v_proj"), nkv, hd); // (B, nkv, Tn, hd)
            if (cache != null) {
                k = cache.appendKeys(i, k); // (B, nkv, Tk, hd)
                v = cache.appendValues(i, v);
            }
            NDArray y = attend(q, repeatKv(k), repeatKv(v), bias, 1.0 / Math.sqrt(hd), p); // (B, Tn, nh·hd)
            x = x.add(check.output(p + "self_attn.o_proj", linear(y, p + "self_attn.o_proj"))); // (B, Tn, d)
            // MLP sub-layer (SwiGLU)
            h = RmsNorm.apply(x, params.get(p + "post_attention_layernorm.weight"), eps);
            NDArray gate = linear(h, p + "mlp.gate_proj"); // (B, Tn, inter)
            NDArray act = gate.mul(Activation.sigmoid(gate)).mul(linear(h, p + "mlp.up_proj")); // silu(gate) · up
            x = x.add(check.output(p + "mlp.down_proj", linear(act, p + "mlp.down_proj"))); // (B, Tn, d)
        }
        if (cache != null) {
            cache.advance(tn);
        }
        return check.output("model.norm", RmsNorm.apply(x, params.get("model.norm.weight"), eps)); // (B, Tn, d)
    }

    /** HF's {@code repeat_kv}: (B, nkv, T, hd) → (B, nkv·groups, T, hd), query head j reading k/v head j / groups. */
    private NDArray repeatKv(NDArray kv) {
        int groups = config.kvGroups();
        if (groups == 1) {
            return kv;
        }
        Shape s = kv.getShape();
        return kv.expandDims(2).repeat(2, groups) // (B, nkv, groups, T, hd)
                .reshape(s.get(0), s.get(1) * groups, s.get(2), s.get(3));
    }
}
