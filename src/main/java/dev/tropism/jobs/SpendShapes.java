package dev.tropism.jobs;

import dev.tropism.billing.Spend;
import dev.tropism.engine.lm.GptConfig;

/**
 * What a job's FLOP estimate needs ({@link Spend#estimate}): its parameters and the tokens one optimizer step processes,
 * from the method's settings. Rough by design (a forward-only rollout token is counted like a trained one); null where
 * the method does not say (flow models, a reward model or method without a length).
 */
final class SpendShapes {

    /** Tokens assumed for a prompt when its length is not known at submission. */
    static final int PROMPT_TOKENS = 32;

    private SpendShapes() {
    }

    /**
     * @param parameters the base model's parameter count, null when unknown (pretraining counts its own)
     * @param cuda whether the job asks for a GPU
     */
    static Spend.FlopShape of(JobMethod method, Long parameters, boolean cuda) {
        long params = parameters == null ? 0 : parameters;
        long tokens = 0;
        if (method instanceof JobMethod.Pretraining p) {
            params = gptParameters(p.model());
            tokens = (long) p.training().batchSize() * p.model().blockSize();
        } else if (method instanceof JobMethod.Grpo g) {
            tokens = (long) g.config().promptsPerStep() * g.config().numGenerations() * Math.max(1,
                    g.config().numIterations()) * (g.config().maxCompletionLength() + PROMPT_TOKENS);
        } else if (method instanceof JobMethod.RewardModel r && r.config().maxLength() > 0) {
            tokens = 2L * r.config().batchSize() * r.config().maxLength();
        } else if (method instanceof JobMethod.LmAlignment l) {
            int length = l.config().maxLength() > 0 ? l.config().maxLength()
                    : l.config().maxCompletionLength() > 0 ? l.config().maxCompletionLength() + PROMPT_TOKENS : 0;
            tokens = (long) l.config().sequencesPerUpdate() * length;
        }
        return params > 0 && tokens > 0 ? new Spend.FlopShape(params, tokens, cuda) : null;
    }

    /** A GPT's parameters: 12·L·E² in its blocks, plus token and position embeddings. */
    static long gptParameters(GptConfig c) {
        return 12L * c.nLayer() * c.nEmbd() * c.nEmbd() + (long) (c.vocabSize() + c.blockSize()) * c.nEmbd();
    }
}
