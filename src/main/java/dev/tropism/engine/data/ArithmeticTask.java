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
     * @param spaced one space between every digit and sign ({@code "4 7 + 8 5 ="}, answer {@code " 2 3 1"}); default
     *     false. For a BPE tokenizer such as GPT-2's, which reads {@code "47"} as one token and {@code " 4"} as another,
     *     this keeps one token per digit, as a character tokenizer sees them, so the carries stay learnable
     */
    public record Config(int digits, boolean reverseAnswer, int corpusSize, int trainPrompts, int evalPrompts, long seed,
            boolean spaced) {

        public static final Config DEFAULT = new Config(2, true, 4000, 2000, 1000, 7, false);

        /** Unspaced problems. */
        public Config(int digits, boolean reverseAnswer, int corpusSize, int trainPrompts, int evalPrompts, long seed) {
            this(digits, reverseAnswer, corpusSize, trainPrompts, evalPrompts, seed, false);
        }

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
            corpus.add(prompt(p, c) + answer(p, c));
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
            item.put("prompt", prompt(p, c));
            item.put("answer", answer(p, c));
            out.add(item);
        }
        return out;
    }

    private static String prompt(int[] p, Config c) {
        String fmt = "%0" + c.digits() + "d";
        String text = String.format(fmt, p[0]) + "+" + String.format(fmt, p[1]) + "=";
        return c.spaced() ? spaced(text) : text;
    }

    private static String answer(int[] p, Config c) {
        String s = Integer.toString(p[0] + p[1]);
        String text = c.reverseAnswer() ? new StringBuilder(s).reverse().toString() : s;
        return c.spaced() ? " " + spaced(text) : text;
    }

    /** {@code "47+85="} as {@code "4 7 + 8 5 ="}. */
    private static String spaced(String text) {
        return String.join(" ", text.split(""));
    }
}
