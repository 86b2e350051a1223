package dev.tropism.engine.rm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import dev.tropism.engine.nn.Scalars;

/**
 * The Bradley–Terry preference loss (Bradley &amp; Terry 1952, "Rank Analysis of Incomplete Block
 * Designs"), as used to train reward models in InstructGPT (Ouyang et al. 2022, Eq. 1): the probability
 * that a rater prefers y_c over y_r for x is modelled as σ(r(x, y_c) − r(x, y_r)), and the loss is its
 * negative log-likelihood, averaged over the batch's pairs:
 *
 * <pre>loss = −mean log σ(r_c − r_r) + η · mean (r_c + r_r)²</pre>
 *
 * The second term is the optional reward-centering regularizer (Eisenstein et al. 2023; TRL's
 * center_rewards_coefficient η). InstructGPT's 1/C(K,2) factor is absent because each pair stands
 * alone (K = 2).
 */
public final class BradleyTerry {

    private BradleyTerry() {
    }

    /**
     * @param rChosen (P) rewards of the chosen responses
     * @param rRejected (P) rewards of the rejected responses, pair by pair
     * @param eta η, weight of the centering term; 0 leaves it out
     * @return () the scalar loss
     */
    public static NDArray loss(NDArray rChosen, NDArray rRejected, double eta) {
        NDArray margin = rChosen.sub(rRejected); // (P)
        NDArray nll = softplus(margin.neg()).mean(); // −log σ(m) = softplus(−m)
        if (eta == 0) {
            return nll;
        }
        return nll.add(rChosen.add(rRejected).square().mean().mul(Scalars.of(rChosen, eta)));
    }

    /**
     * softplus(z) = log(1 + e^z) = logsumexp(0, z), taken as −log_softmax([0, z])₀: it neither overflows nor loses
     * small values, and its gradient is σ(z) everywhere. (The textbook max(z, 0) + log(1 + e^−|z|) has the same values
     * but, through the ReLU's and |z|'s derivatives at 0, a gradient of 0 instead of ½ at z = 0 exactly, which is where
     * DPO's and the PRM's first step starts: the policy equals its reference and nothing would ever move.)
     */
    public static NDArray softplus(NDArray z) {
        NDArray pair = NDArrays.stack(new NDList(z.zerosLike(), z), -1); // (..., 2): [0, z]
        return pair.logSoftmax(-1).get(new NDIndex("..., 0")).neg();
    }

    /** The same negative log-likelihood for one pair, in double precision: −log σ(margin). */
    public static double pairLoss(double margin) {
        double z = -margin;
        return Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
    }

    /** σ(margin): the modelled probability that the chosen response is preferred. */
    public static double preferenceProbability(double margin) {
        return margin >= 0 ? 1 / (1 + Math.exp(-margin)) : Math.exp(margin) / (1 + Math.exp(margin));
    }
}
