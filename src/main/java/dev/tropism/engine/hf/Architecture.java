package dev.tropism.engine.hf;

/** The HF causal-LM families Tropism imports, by {@code config.json}'s {@code model_type}. */
public enum Architecture {
    /** {@code GPT2LMHeadModel} (HF modeling_gpt2): learned positions, LayerNorm, Conv1D weights, GELU MLP. */
    GPT2("gpt2"),
    /** {@code LlamaForCausalLM} (HF modeling_llama): RMSNorm, RoPE, grouped-query attention, SwiGLU MLP. */
    LLAMA("llama"),
    /** {@code Qwen2ForCausalLM} (HF modeling_qwen2): Llama with biases on the q, k and v projections. */
    QWEN2("qwen2");

    private final String modelType;

    Architecture(String modelType) {
        this.modelType = modelType;
    }

    /** The {@code model_type} string of {@code config.json}. */
    public String modelType() {
        return modelType;
    }

    /** The architecture whose {@code model_type} is {@code s}, or null. */
    static Architecture of(String s) {
        for (Architecture a : values()) {
            if (a.modelType.equals(s)) {
                return a;
            }
        }
        return null;
    }
}
