package dev.tropism.engine.serve;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import dev.tropism.engine.lm.LanguageModel;
import dev.tropism.engine.lm.Sampler;
import dev.tropism.engine.lm.TokenDraw;
import dev.tropism.engine.lm.Tokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * Chooses every running row's next token on the device, for imported models whose 32k–150k logits are too many to
 * copy to Java per token: each row's own temperature, top-p and seeded draw run as NDArray operations
 * ({@link TokenDraw}, the sampler's), and only the chosen ids come back, plus the log-probabilities of the rows that
 * ask for them (log-softmax of the raw logits, as {@link TokenLogprob} defines them). A character tiny-gpt keeps the Java path
 * ({@link Sequence#accept(float[], int, int, Tokenizer)}) so that its streams stay exactly as they were.
 *
 * <p>Owned by the decoding thread; its one array (the generatable-ids bias) lives in its own manager.
 */
final class DevicePicker implements AutoCloseable {

    private final NDManager manager = NDManager.newBaseManager();
    private final TokenDraw draw;
    private final Tokenizer tok;

    DevicePicker(LanguageModel model) {
        this.tok = model.tokenizer();
        this.draw = new TokenDraw(tok, model.lm().vocabSize(), manager);
    }

    /**
     * What each row chose.
     *
     * @param ids the chosen ids, row by row
     * @param logprobs each row's {@link TokenLogprob}, null where the request did not ask or the id is EOS
     */
    record Picks(int[] ids, TokenLogprob[] logprobs) {
    }

    /**
     * The next token of each of {@code rows}; arrays are created in the manager of {@code logits}.
     *
     * @param logits (B, V) the last position's logits, row b belonging to {@code rows.get(b)}
     */
    Picks pick(NDArray logits, List<Sequence> rows) {
        List<Sampler.Decoding> decodings = new ArrayList<>(rows.size());
        for (Sequence s : rows) {
            decodings.add(s.decoding());
        }
        int[] ids = draw.draw(logits, decodings);
        TokenLogprob[] logprobs = new TokenLogprob[rows.size()];
        NDArray logSoftmax = null; // (B, V)
        for (int b = 0; b < rows.size(); b++) {
            GenerationRequest r = rows.get(b).request;
            if (!r.logprobs() || ids[b] == tok.eos()) {
                continue;
            }
            if (logSoftmax == null) {
                logSoftmax = logits.logSoftmax(1);
            }
            logprobs[b] = logprob(logSoftmax.get(new NDIndex(b)), ids[b], r.topLogprobs()); // (V)
        }
        return new Picks(ids, logprobs);
    }

    /** ln p(id) and the {@code top} most likely ids of one row of log-probabilities {@code row} (V). */
    private TokenLogprob logprob(NDArray row, int id, int top) {
        List<TokenLogprob.Alternative> alternatives = new ArrayList<>(top);
        if (top > 0) {
            NDList best = row.topK(top, 0, true, true); // values, indices: most likely first
            float[] values = best.get(0).toFloatArray();
            long[] indices = best.get(1).toLongArray();
            for (int k = 0; k < values.length; k++) {
                int alt = (int) indices[k];
                alternatives.add(new TokenLogprob.Alternative(Sequence.tokenText(alt, tok), alt, values[k]));
            }
        }
        return new TokenLogprob(Sequence.tokenText(id, tok), id, row.getFloat(id), alternatives);
    }

    @Override
    public void close() {
        manager.close();
    }
}
