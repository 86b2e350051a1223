package dev.tropism.engine;

import java.util.Map;

/**
 * Scores one sample against its dataset item. Implemented by the service's graders; the engine only
 * calls it. Implementations must be thread-safe and must not throw for a bad sample: report it in
 * {@link RewardResult#errors()} instead (an exception is still caught and counted as an error).
 */
@FunctionalInterface
public interface RewardFunction {

    /**
     * @param item the dataset line the prompt came from (all its fields)
     * @param outputText the generated completion, without the end-of-sequence marker
     */
    RewardResult score(Map<String, Object> item, String outputText);
}
