package dev.tropism.rewards;

/**
 * What an alias move with {@code require_passing_suite} asks: did the target pass the suite? Implemented by the
 * evaluations module (which depends on this one); the rewards module only calls it.
 */
public interface PromotionGate {

    /**
     * The answer for team {@code teamId}'s newest finished evaluation of {@code targetId} on {@code suite}.
     *
     * @param suite a suite id ({@code suite_…}) or name (its newest version)
     * @return {@link Verdict#passed} true only when that evaluation passed
     */
    Verdict check(String teamId, String suite, String targetId);

    /**
     * @param passed whether the newest finished evaluation passed
     * @param evaluationId that evaluation, or null when there is none
     * @param suiteId the suite resolved, or null when there is no such suite
     * @param detail why not, in a sentence, when {@code passed} is false
     */
    record Verdict(boolean passed, String evaluationId, String suiteId, String detail) {
    }
}
