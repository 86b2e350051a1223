package dev.tropism.engine.lm;

import dev.tropism.engine.hf.Gpt2Bpe;
import dev.tropism.engine.hf.HfTokenizer;
import dev.tropism.engine.hf.ModelFormatException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Locale;

/**
 * Which tokenizer a {@code tiny-gpt} is pretrained with (its {@code tokenizer} hyperparameter), and how that tokenizer
 * is made, saved beside the weights and read back.
 */
public enum TokenizerKind {

    /**
     * Characters: the corpus's code points plus four specials ({@link CharTokenizer}); the vocabulary is the corpus's,
     * a few dozen ids for the arithmetic demo. The default, and what every model before this option had.
     */
    CHAR(0),

    /**
     * GPT-2's byte-level BPE ({@link Gpt2Bpe}, 50,257 ids) whatever the corpus: the model learns on the tokens a real
     * pretrained model would see and exports as an HF {@code gpt2} with the real GPT-2 tokenizer. The embedding and
     * the tied head then hold 50,257 × {@code n_embd} parameters, and every training step computes logits over all
     * of them.
     */
    GPT2(Gpt2Bpe.VOCAB_SIZE);

    private final int fixedVocabSize;

    TokenizerKind(int fixedVocabSize) {
        this.fixedVocabSize = fixedVocabSize;
    }

    /** The vocabulary size this tokenizer always has, or 0 when it depends on the corpus. */
    public int fixedVocabSize() {
        return fixedVocabSize;
    }

    /** The name in hyperparameters and {@code model.json}: {@code char}, {@code gpt2}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Reads a wire name; null (older model.json files) means {@link #CHAR}. */
    public static TokenizerKind ofWire(String name) {
        if (name == null) {
            return CHAR;
        }
        for (TokenizerKind k : values()) {
            if (k.wireName().equals(name)) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown tiny-gpt tokenizer \"" + name + "\" (char or gpt2)");
    }

    /** The tokenizer of a new model trained on {@code corpus}. */
    public Tokenizer create(Collection<String> corpus) throws IOException {
        return this == CHAR ? CharTokenizer.fit(corpus) : Gpt2Bpe.load();
    }

    /** Writes {@code tokenizer}, one of this kind, into the model directory {@code dir}. */
    public void write(Tokenizer tokenizer, Path dir) throws IOException {
        if (this == CHAR) {
            ((CharTokenizer) tokenizer).save(dir.resolve(LanguageModel.TOKENIZER_JSON));
        } else {
            Gpt2Bpe.write(dir);
        }
    }

    /** Reads the tokenizer that {@link #write} put into {@code dir}. */
    public Tokenizer read(Path dir) throws IOException {
        if (this == CHAR) {
            return CharTokenizer.load(dir.resolve(LanguageModel.TOKENIZER_JSON));
        }
        try {
            return HfTokenizer.load(dir);
        } catch (ModelFormatException e) {
            throw new IOException("the model's GPT-2 tokenizer files are damaged: " + e.getMessage(), e);
        }
    }
}
