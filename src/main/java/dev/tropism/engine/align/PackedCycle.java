package dev.tropism.engine.align;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.ToIntFunction;

/**
 * The rows of packed training: each epoch visits the items in {@link PromptCycle}'s order for that epoch and lays
 * them greedily into rows of at most {@code capacity} positions, an item that does not fit into the current row
 * opening the next one (no item is split across rows). The rows of all epochs form one endless sequence, of which
 * step s takes rows s·B … s·B + B − 1, so that the rows of any step are a function of the step alone and a resumed
 * run trains on the same ones.
 *
 * @param <T> the item type
 */
final class PackedCycle<T> {

    private final List<T> items;
    private final PromptCycle<T> order;
    private final ToIntFunction<T> size;
    private final int capacity;
    /** {@code starts.get(e)}: the index of epoch e's first row; one more entry than epochs packed. */
    private final List<Long> starts = new ArrayList<>(List.of(0L));
    private int epochCached = -1;
    private List<List<T>> epochRows;

    /**
     * @param size positions an item takes; at most {@code capacity}
     */
    PackedCycle(List<T> items, ToIntFunction<T> size, int capacity, long seed) {
        this.items = List.copyOf(items);
        this.order = new PromptCycle<>(items, seed);
        this.size = size;
        this.capacity = capacity;
    }

    /** The {@code perStep} rows of 0-based step {@code step}. */
    List<List<T>> at(int step, int perStep) {
        List<List<T>> out = new ArrayList<>(perStep);
        for (int j = 0; j < perStep; j++) {
            long row = (long) step * perStep + j;
            while (starts.get(starts.size() - 1) <= row) {
                int epoch = starts.size() - 1;
                starts.add(starts.get(epoch) + rows(epoch).size());
            }
            int epoch = Collections.binarySearch(starts, row);
            epoch = epoch >= 0 ? epoch : -epoch - 2; // the last epoch starting at or before the row
            out.add(rows(epoch).get((int) (row - starts.get(epoch))));
        }
        return out;
    }

    private List<List<T>> rows(int epoch) {
        if (epoch != epochCached) {
            List<List<T>> rows = new ArrayList<>();
            List<T> row = new ArrayList<>();
            int used = 0;
            for (T item : order.at(epoch, items.size())) {
                int n = size.applyAsInt(item);
                if (used + n > capacity && !row.isEmpty()) {
                    rows.add(row);
                    row = new ArrayList<>();
                    used = 0;
                }
                row.add(item);
                used += n;
            }
            rows.add(row);
            epochRows = rows;
            epochCached = epoch;
        }
        return epochRows;
    }
}
