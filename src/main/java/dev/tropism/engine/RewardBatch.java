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
 * @param images the generated images when the samples are images (flow-matching models; each output text
 *     is then empty), else null
 */
public record RewardBatch(List<Map<String, Object>> items, List<String> outputs, int groupSize,
        ScoringContext context, GeneratedImages images) {

    /** A batch of texts. */
    public RewardBatch(List<Map<String, Object>> items, List<String> outputs, int groupSize, ScoringContext context) {
        this(items, outputs, groupSize, context, null);
    }

    /** A batch of images, one per item, with empty output texts. */
    public static RewardBatch ofImages(List<Map<String, Object>> items, GeneratedImages images, int groupSize) {
        return new RewardBatch(items, java.util.Collections.nCopies(items.size(), ""), groupSize, ScoringContext.NONE,
                images);
    }

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
        if (images != null && images.count() != items.size()) {
            throw new IllegalArgumentException(images.count() + " images for " + items.size() + " items");
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
