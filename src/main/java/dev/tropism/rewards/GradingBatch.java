package dev.tropism.rewards;

import dev.tropism.engine.GeneratedImages;
import dev.tropism.engine.RewardBatch;
import dev.tropism.engine.ScoringContext;
import java.util.List;

/**
 * The samples graded together (see {@link RewardBatch}: groups of {@code groupSize} consecutive
 * samples answer the same item) and the model context. Confined to the thread grading it.
 */
public final class GradingBatch {

    private final Sample[] samples;
    private final int groupSize;
    private final ScoringContext context;

    public GradingBatch(Sample[] samples, int groupSize, ScoringContext context) {
        this.samples = samples;
        this.groupSize = groupSize;
        this.context = context == null ? ScoringContext.NONE : context;
    }

    static GradingBatch of(RewardBatch batch) {
        Sample[] samples = new Sample[batch.size()];
        GeneratedImages images = batch.images();
        for (int i = 0; i < samples.length; i++) {
            samples[i] = images == null ? new Sample(batch.items().get(i), batch.outputs().get(i))
                    : new Sample(batch.items().get(i), batch.outputs().get(i), images.get(i), images.side());
        }
        return new GradingBatch(samples, batch.groupSize(), batch.context());
    }

    public int size() {
        return samples.length;
    }

    public Sample sample(int i) {
        return samples[i];
    }

    public int groupSize() {
        return groupSize;
    }

    /** The group of sample {@code i}. */
    public int group(int i) {
        return i / groupSize;
    }

    public ScoringContext context() {
        return context;
    }

    /** The same items, groups and context with other outputs (one per sample). */
    public GradingBatch withOutputs(List<String> outputs) {
        if (outputs.size() != samples.length) {
            throw new IllegalArgumentException(outputs.size() + " outputs for " + samples.length + " samples");
        }
        Sample[] out = new Sample[samples.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = samples[i].withOutput(outputs.get(i));
        }
        return new GradingBatch(out, groupSize, context);
    }
}
