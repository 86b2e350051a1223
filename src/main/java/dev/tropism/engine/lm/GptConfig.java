package dev.tropism.engine.lm;

import static dev.tropism.engine.ConfigException.require;

import com.google.gson.JsonObject;

/**
 * Shape of the {@code tiny-gpt} decoder-only transformer (pre-LayerNorm, causal multi-head
 * attention, tied embeddings), after nanoGPT's GPTConfig.
 *
 * @param nLayer transformer blocks; default 4
 * @param nEmbd model width d; default 128; must be divisible by {@code nHead}
 * @param nHead attention heads; default 4 (head size d / nHead = 32)
 * @param blockSize context length in tokens, prompt plus completion; default 32, enough for the
 *     arithmetic demo; raise it for longer texts (cost grows with T²)
 * @param vocabSize number of token ids; set from the tokenizer, not by users (for {@link TokenizerKind#GPT2} it is
 *     always 50,257, whatever is passed)
 * @param tokenizer {@code char} (default: the corpus's characters) or {@code gpt2} (GPT-2's real byte-level BPE, so
 *     that the model exports as an HF {@code gpt2} with the ecosystem's tokenizer); see {@link TokenizerKind}
 */
public record GptConfig(int nLayer, int nEmbd, int nHead, int blockSize, int vocabSize, TokenizerKind tokenizer) {

    public static final GptConfig DEFAULT = new GptConfig(4, 128, 4, 32, 32);

    public GptConfig {
        if (tokenizer == null) {
            tokenizer = TokenizerKind.CHAR;
        }
        if (tokenizer.fixedVocabSize() > 0) {
            vocabSize = tokenizer.fixedVocabSize();
        }
        require(nLayer >= 1 && nLayer <= 48, "n_layer", "must be in [1, 48], got " + nLayer);
        require(nHead >= 1 && nHead <= 64, "n_head", "must be in [1, 64], got " + nHead);
        require(nEmbd >= 8 && nEmbd <= 4096, "n_embd", "must be in [8, 4096], got " + nEmbd);
        require(nEmbd % nHead == 0, "n_embd", "must be divisible by n_head (" + nHead + "), got " + nEmbd);
        require(blockSize >= 8 && blockSize <= 4096, "block_size", "must be in [8, 4096], got " + blockSize);
        require(vocabSize >= 4, "vocab_size", "must be at least 4, got " + vocabSize);
        // Native memory is not bounded by -Xmx: refuse shapes this CPU service cannot hold (weights,
        // gradients and AdamW moments are 16 bytes per parameter).
        require(approxParameters() <= MAX_PARAMETERS, "n_embd", "the model would have about " + approxParameters()
                + " parameters; the limit is " + MAX_PARAMETERS + " (lower n_embd, n_layer or block_size)");
    }

    /** A model on the character tokenizer. */
    public GptConfig(int nLayer, int nEmbd, int nHead, int blockSize, int vocabSize) {
        this(nLayer, nEmbd, nHead, blockSize, vocabSize, TokenizerKind.CHAR);
    }

    /** Largest model accepted, about 1.6 GB of training state. */
    public static final long MAX_PARAMETERS = 100_000_000L;

    /** Head size d / nHead. */
    public int headSize() {
        return nEmbd / nHead;
    }

    public GptConfig withVocabSize(int v) {
        return new GptConfig(nLayer, nEmbd, nHead, blockSize, v, tokenizer);
    }

    /** The {@code config} object of a model's {@code model.json}, in snake_case. */
    public JsonObject toJson() {
        JsonObject cfg = new JsonObject();
        cfg.addProperty("n_layer", nLayer);
        cfg.addProperty("n_embd", nEmbd);
        cfg.addProperty("n_head", nHead);
        cfg.addProperty("block_size", blockSize);
        cfg.addProperty("vocab_size", vocabSize);
        cfg.addProperty("tokenizer", tokenizer.wireName());
        return cfg;
    }

    /** Reads what {@link #toJson()} wrote (validated like any other config); no {@code tokenizer} means {@code char}. */
    public static GptConfig fromJson(JsonObject c) {
        return new GptConfig(c.get("n_layer").getAsInt(), c.get("n_embd").getAsInt(), c.get("n_head").getAsInt(),
                c.get("block_size").getAsInt(), c.get("vocab_size").getAsInt(),
                TokenizerKind.ofWire(c.has("tokenizer") ? c.get("tokenizer").getAsString() : null));
    }

    /** Parameters excluding biases: tied embedding + position + 12·d² per block (nanoGPT's count). */
    public long approxParameters() {
        long d = nEmbd;
        return vocabSize * d + blockSize * d + nLayer * (12 * d * d + 13 * d) + 2 * d;
    }
}
