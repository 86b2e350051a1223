package dev.tropism.engine.serve;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import dev.tropism.engine.lm.CharTokenizer;
import dev.tropism.engine.lm.Gpt;
import dev.tropism.engine.lm.GptConfig;
import dev.tropism.engine.lm.LanguageModel;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A small random GPT whose choices are decided by clear logit margins, shared by the serve tests. */
final class ServeFixtures {

    private ServeFixtures() {
    }

    /**
     * Random weights with the token embedding scaled ×4: N(0, 0.02) embeddings give near-uniform
     * logits, so greedy choices would hinge on float noise. The output projection is tied to the
     * embedding, so a token's logit is h · wte[token]. With {@code noEos} the EOS row is zeroed: its
     * logit is then exactly 0 while the best other logit is large and positive, so greedy decoding never
     * ends early and length limits can be tested exactly. Otherwise EOS copies the '+' row, scaled up a
     * little: it wins wherever '+' would, so some completions end with EOS.
     */
    static LanguageModel model(NDManager manager, int blockSize, boolean noEos) {
        CharTokenizer tok = CharTokenizer.fit(List.of("0123456789+=ab"));
        Gpt gpt = Gpt.initialize(new GptConfig(2, 32, 4, blockSize, tok.vocabSize()), 42, manager);
        NDArray wte = gpt.parameters().get("wte");
        wte.muli(4);
        NDIndex eos = new NDIndex(CharTokenizer.EOS);
        if (noEos) {
            wte.set(eos, 0f);
        } else {
            wte.set(eos, wte.get(tok.encode("+")[0]).mul(1.2f));
        }
        return new LanguageModel(gpt, tok);
    }

    static GenerationResult await(GenerationHandle h) {
        try {
            return h.result().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("no result", e);
        }
    }
}
