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

    /** The id put before every sequence, or -1 when the model has none (Qwen2's tokenizer names no BOS). */
    int bos();

    /** The id that ends a text or completion, or -1 when the model names none (then only a length limit ends it). */
    int eos();

    /** The id written into padding positions (always masked out, so any valid id would do). */
    int pad();

    /**
     * Whether sampling may produce {@code id}: padding, BOS and unknown tokens are never generated, nor ids past
     * {@link #vocabSize} (the padded embedding rows of Qwen2). EOS is generatable: it ends the completion.
     */
    boolean generatable(int id);

    /** The first token of a sequence whose text is {@code ids}: BOS, or PAD standing in when there is no BOS and no text. */
    default int[] start(int[] ids) {
        if (bos() >= 0) {
            int[] row = new int[ids.length + 1];
            row[0] = bos();
            System.arraycopy(ids, 0, row, 1, ids.length);
            return row;
        }
        return ids.length > 0 ? ids : new int[] {eos() >= 0 ? eos() : pad()};
    }
}
