package dev.tropism.engine.align;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * The order in which a run visits its training items: epoch after epoch, each a permutation seeded by (seed, epoch),
 * so that the items of any step are a function of the step alone and a resumed run visits the same ones.
 *
 * @param <T> the item type
 */
public final class PromptCycle<T> {

    private final List<T> items;
    private final long seed;
    private int epochCached = -1;
    private List<Integer> epochOrder;

    public PromptCycle(List<T> items, long seed) {
        if (items.isEmpty()) {
            throw new IllegalArgumentException("no items to cycle through");
        }
        this.items = List.copyOf(items);
        this.seed = seed;
    }

    /** The {@code perStep} items of 0-based step {@code step}. */
    public List<T> at(int step, int perStep) {
        int n = items.size();
        List<T> out = new ArrayList<>(perStep);
        for (int j = 0; j < perStep; j++) {
            long k = (long) step * perStep + j;
            int epoch = (int) (k / n);
            if (epoch != epochCached) {
                List<Integer> order = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    order.add(i);
                }
                Collections.shuffle(order, new Random(seed * 7_919L + epoch));
                epochOrder = order;
                epochCached = epoch;
            }
            out.add(items.get(epochOrder.get((int) (k % n))));
        }
        return out;
    }

    /** Number of items. */
    public int size() {
        return items.size();
    }
}
