package dev.tropism.engine.lm;

/**
 * Text to token ids and back: {@link CharTokenizer} for {@code tiny-gpt}, {@code hf.HfTokenizer} (a
 * {@code tokenizer.json}) for imported models.
 */
public interface Tokenizer {

    /** Number of ids, special ones included; must not exceed the model's embedding rows. */
    int vocabSize();

    /** Token ids of {@code text}, without special tokens (no BOS or EOS added). */
    int[] encode(String text);

    /** Text of {@code tokens[from, to)}, stopping at the first end-of-sequence token; special tokens are dropped. */
    String decode(int[] tokens, int from, int to);
}
