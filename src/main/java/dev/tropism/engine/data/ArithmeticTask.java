package dev.tropism.engine.data;

import static dev.tropism.engine.ConfigException.require;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The demo's verifiable task: addition of two {@code digits}-digit numbers, e.g. prompt {@code "47+85="}
 * with answer {@code "231"} when {@code reverseAnswer} (132 written least-significant digit first, a
 * known trick that makes each carry depend only on digits already written; Lee et al. 2023, "Teaching
 * Arithmetic to Small Transformers", Sec. 4).
 *
 * <p>The problem space is split without overlap: eval problems never appear in the corpus nor in the
 * RL prompts, so {@code eval/accuracy} measures generalization.
 */
public final class ArithmeticTask {

    /**
     * @param digits operand digits, 1 to 4; default 2 (10,000 problems)
     * @param reverseAnswer write the sum least-significant digit first; default true
     * @param corpusSize pretraining lines; default 4000
     * @param trainPrompts RL prompt items; default 2000
     * @param evalPrompts held-out eval items; default 1000 (the demo needs at least 500)
     * @param seed seed of the split
     */
    public record Config(int digits, boolean reverseAnswer, int corpusSize, int trainPrompts, int evalPrompts, long seed) {

        public static final Config DEFAULT = new Config(2, true, 4000, 2000, 1000, 7);

        public Config {
            require(digits >= 1 && digits <= 4, "digits", "must be in [1, 4], got " + digits);
            require(corpusSize >= 1, "corpus_size", "must be >= 1, got " + corpusSize);
            require(trainPrompts >= 1, "train_prompts", "must be >= 1, got " + trainPrompts);
            require(evalPrompts >= 1, "eval_prompts", "must be >= 1, got " + evalPrompts);
            long space = (long) Math.pow(10, 2 * digits);
            require(evalPrompts + Math.max(corpusSize, trainPrompts) <= space, "eval_prompts",
                    "eval_prompts + max(corpus_size, train_prompts) must fit in the " + space
                            + " distinct problems of " + digits + "-digit addition");
        }
    }

    /** Corpus texts, RL prompt items and held-out eval items. */
    public record Sets(List<String> corpus, List<Map<String, Object>> trainPrompts, List<Map<String, Object>> evalPrompts) {
    }

    private ArithmeticTask() {
    }

    public static Sets generate(Config c) {
        int n = (int) Math.pow(10, c.digits());
        List<int[]> all = new ArrayList<>(n * n);
        for (int a = 0; a < n; a++) {
            for (int b = 0; b < n; b++) {
                all.add(new int[] {a, b});
            }
        }
        Collections.shuffle(all, new Random(c.seed()));
        List<int[]> eval = all.subList(0, c.evalPrompts());
        List<int[]> rest = all.subList(c.evalPrompts(), all.size());
        List<String> corpus = new ArrayList<>(c.corpusSize());
        for (int i = 0; i < c.corpusSize(); i++) {
            int[] p = rest.get(i);
            corpus.add(prompt(p, c.digits()) + answer(p, c.reverseAnswer()));
        }
        // RL prompts come from the non-eval problems too (they may overlap the corpus, as in practice).
        List<int[]> rlPool = new ArrayList<>(rest);
        Collections.shuffle(rlPool, new Random(c.seed() + 1));
        return new Sets(corpus, items(rlPool.subList(0, c.trainPrompts()), c), items(eval, c));
    }

    private static List<Map<String, Object>> items(List<int[]> problems, Config c) {
        List<Map<String, Object>> out = new ArrayList<>(problems.size());
        for (int[] p : problems) {
            Map<String, Object> item = new LinkedHashMap<>();
            item.put("prompt", prompt(p, c.digits()));
            item.put("answer", answer(p, c.reverseAnswer()));
            out.add(item);
        }
        return out;
    }

    private static String prompt(int[] p, int digits) {
        String fmt = "%0" + digits + "d";
        return String.format(fmt, p[0]) + "+" + String.format(fmt, p[1]) + "=";
    }

    private static String answer(int[] p, boolean reverse) {
        String s = Integer.toString(p[0] + p[1]);
        return reverse ? new StringBuilder(s).reverse().toString() : s;
    }
}
