package dev.tropism.engine.align;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * The replay buffer of GFlowNet fine-tuning (Hu et al. 2024, "Amortizing intractable inference in large language
 * models", Sec. 3 and their code's {@code ReplayBuffer}): for each prompt, the {@code capacity} highest-reward distinct
 * completions seen so far, from which a step draws off-policy trajectories uniformly. Trajectory balance holds for any
 * trajectory, so training on remembered high-reward samples is valid and keeps rare correct answers in play after the
 * policy stops sampling them.
 *
 * <p>Completions are told apart by their text: a text already held for a prompt is not added again. Within a prompt
 * entries are ordered by reward, highest first, and an entry keeps its place among equal rewards (older first), so the
 * buffer is a function of the samples offered in order: a run resumed from its {@link #entries()} continues exactly.
 */
final class ReplayBuffer {

    /**
     * One remembered trajectory.
     *
     * @param text the completion's text
     * @param tokens its tokens before the end-of-sequence token ⊤ (which every trajectory ends with)
     * @param reward R(x, y) as the reward spec scored it
     * @param prefixRewards R of every prefix y_{1:i}, i = 0 … n, scored as a completion (SubTB's state rewards); null
     *     when the loss needs none
     */
    record Entry(String text, int[] tokens, double reward, double[] prefixRewards) {
    }

    /** The entries of one prompt, by its index in the dataset (the checkpoint's form). */
    record Stored(int prompt, List<Entry> entries) {
    }

    private final int capacity;
    private final Map<Integer, List<Entry>> byPrompt = new TreeMap<>();

    /** An empty buffer of {@code capacity} entries per prompt; 0 keeps nothing. */
    ReplayBuffer(int capacity) {
        this.capacity = capacity;
    }

    /** A buffer holding {@code stored} (from {@link #entries()}). */
    ReplayBuffer(int capacity, List<Stored> stored) {
        this(capacity);
        for (Stored s : stored) {
            byPrompt.put(s.prompt(), new ArrayList<>(s.entries()));
        }
    }

    /**
     * Offers {@code e} for prompt {@code prompt}: it is kept when its text is new for the prompt and it ranks among the
     * {@code capacity} highest rewards.
     */
    void add(int prompt, Entry e) {
        if (capacity == 0) {
            return;
        }
        List<Entry> held = byPrompt.computeIfAbsent(prompt, p -> new ArrayList<>());
        int at = held.size();
        for (int i = 0; i < held.size(); i++) {
            if (held.get(i).text().equals(e.text())) {
                return;
            }
            if (at == held.size() && e.reward() > held.get(i).reward()) {
                at = i;
            }
        }
        if (at < capacity) {
            held.add(at, e);
            if (held.size() > capacity) {
                held.remove(held.size() - 1);
            }
        }
    }

    /** The entries held for {@code prompt}, highest reward first; empty when none. */
    List<Entry> of(int prompt) {
        return byPrompt.getOrDefault(prompt, List.of());
    }

    /** One entry of {@code prompt}, drawn uniformly by {@code rng}; the prompt must hold one. */
    Entry draw(int prompt, Random rng) {
        List<Entry> held = byPrompt.get(prompt);
        return held.get(rng.nextInt(held.size()));
    }

    /** Every prompt's entries, by prompt index: what a checkpoint stores. */
    List<Stored> entries() {
        List<Stored> out = new ArrayList<>(byPrompt.size());
        byPrompt.forEach((prompt, held) -> out.add(new Stored(prompt, List.copyOf(held))));
        return out;
    }
}
