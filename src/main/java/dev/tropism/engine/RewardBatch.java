package dev.tropism.engine;

import java.util.List;
import java.util.Map;

/**
 * Samples to score together. Samples come in groups of {@code groupSize} consecutive samples that
 * answer the same item (GRPO's G completions of one prompt); sample {@code i} is in group
 * {@code i / groupSize}. Group-aware graders (pass-rate weighted checks) read the groups; webhook
 * graders send the whole batch at once.
 *
 * @param items the dataset line of each sample (the same map repeated within a group)
 * @param outputs each sample's completion text, without the end-of-sequence marker
 * @param groupSize samples per group; {@code items.size()} is a multiple of it
 * @param context the model behind the samples, or {@link ScoringContext#NONE}
 */
public record RewardBatch(List<Map<String, Object>> items, List<String> outputs, int groupSize,
        ScoringContext context) {

    public RewardBatch {
        items = List.copyOf(items);
        outputs = List.copyOf(outputs);
        if (items.size() != outputs.size()) {
            throw new IllegalArgumentException(items.size() + " items but " + outputs.size() + " outputs");
        }
        if (groupSize < 1 || items.size() % groupSize != 0) {
            throw new IllegalArgumentException("group size " + groupSize + " does not divide " + items.size() + " samples");
        }
        if (context == null) {
            context = ScoringContext.NONE;
        }
    }

    /** Every sample its own group, without a model. */
    public static RewardBatch ungrouped(List<Map<String, Object>> items, List<String> outputs) {
        return new RewardBatch(items, outputs, 1, ScoringContext.NONE);
    }

    public int size() {
        return outputs.size();
    }
}
