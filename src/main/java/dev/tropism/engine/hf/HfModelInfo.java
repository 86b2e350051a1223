package dev.tropism.engine.hf;

import java.io.IOException;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * What an import shows on the model card, and the proof that the directory will load: {@link #inspect} reads
 * {@code config.json}, the safetensors headers, {@code tokenizer.json} and {@code tokenizer_config.json}, and runs
 * every check {@link HfCausalLm#load} and {@link HfTokenizer#load} run, without reading a weight. So a directory that
 * passes here fails later only on I/O.
 *
 * @param architecture {@code config.json}'s {@code model_type}: {@code gpt2}, {@code llama} or {@code qwen2}
 * @param parameterCount elements of the tensors the model uses, from the safetensors headers (a tied output
 *     projection counts once; buffers such as GPT-2's {@code attn.bias} do not count)
 * @param vocabSize rows of the embedding ({@code vocab_size}); the tokenizer may have fewer ids
 * @param contextLength the longest sequence, prompt plus completion ({@code n_positions} /
 *     {@code max_position_embeddings})
 * @param dtype the safetensors dtype ({@code F32}, {@code F16}, {@code BF16}) holding most of the parameters
 * @param tokenizerKind {@code tokenizer.json}'s {@code model.type}, lower-cased ({@code bpe}, {@code unigram}, ...)
 * @param chatTemplate {@code tokenizer_config.json}'s Jinja {@code chat_template}, or null when it has none
 * @param checks what was verified, one line each, in the order run (for the import job's log)
 */
public record HfModelInfo(String architecture, long parameterCount, int vocabSize, int contextLength, String dtype,
        String tokenizerKind, String chatTemplate, List<String> checks) {

    /** The checks {@link #inspect} runs, in order; each throws a {@link ModelFormatException} naming the problem. */
    public static final List<String> CHECKS = List.of(
            "config.json: a supported model_type (gpt2, llama, qwen2), no auto_map (trust_remote_code), "
                    + "supported rope_scaling and activation",
            "weights: safetensors only (pickle .bin/.pt refused), index and shards consistent",
            "safetensors headers: known dtypes, offsets that tile each file exactly, byte lengths matching shapes",
            "tensors: exactly the family's tensors with the shapes config.json implies",
            "tokenizer.json: present and loadable by HuggingFace tokenizers; special tokens exist",
            "tokenizer fits the embedding: no more token ids than vocab_size",
            "chat_template: renders a one-turn conversation with jinjava");

    public HfModelInfo {
        checks = List.copyOf(checks);
    }

    /**
     * Validates the HF model directory {@code dir} and describes it, reading headers and tokenizer files only.
     *
     * @throws ModelFormatException when the directory cannot be imported; the message names the file and what to
     *     change (the service returns it as a 422)
     * @throws IOException when a file cannot be read
     */
    public static HfModelInfo inspect(Path dir) throws ModelFormatException, IOException {
        HfConfig config = HfConfig.read(dir);
        long parameters = 0;
        Map<Dtype, Long> byDtype = new EnumMap<>(Dtype.class);
        try (HfWeights weights = HfWeights.open(dir)) {
            for (String name : HfCausalLm.locate(config, weights)) {
                Safetensors.Entry e = weights.entry(name);
                long n = e.shape().size();
                parameters += n;
                byDtype.merge(e.dtype(), n, Long::sum);
            }
        }
        Dtype dtype = byDtype.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
        try (HfTokenizer tokenizer = HfTokenizer.load(dir)) {
            tokenizer.requireFits(config.vocabSize());
            ChatTemplate template = tokenizer.chatTemplate().orElse(null);
            if (template != null) {
                template.requireRenders();
            }
            return new HfModelInfo(config.architecture().modelType(), parameters, config.vocabSize(),
                    config.contextLength(), dtype.name(), tokenizer.kind(), template == null ? null : template.template(),
                    CHECKS);
        }
    }
}
