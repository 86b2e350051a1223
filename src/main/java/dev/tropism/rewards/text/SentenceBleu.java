package dev.tropism.rewards.text;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Sentence-level BLEU-4 of a candidate against one reference (Papineni et al. 2002, "BLEU: a Method
 * for Automatic Evaluation of Machine Translation", ACL, eq. 1–2), with smoothing method 1 of Chen &amp;
 * Cherry 2014 ("A Systematic Comparison of Smoothing Techniques for Sentence-Level BLEU", WMT, §3.1).
 *
 * <pre>
 *   p_n  = Σ_g min(count_c(g), count_r(g)) / Σ_g count_c(g)      clipped n-gram precision
 *   p_n  = ε / Σ_g count_c(g)   when no n-gram of order n matches (method 1, ε = 0.1)
 *   N'   = min(4, c)                                              effective order
 *   BP   = 1 if c &gt; r, else exp(1 − r/c)                         brevity penalty; c, r token counts
 *   BLEU = BP · exp(Σ_{n=1..N'} (1/N') · log p_n)
 * </pre>
 *
 * Without smoothing a single order with no match makes the geometric mean 0, which is the common case
 * for short sentences and gives a policy no gradient; method 1 replaces a zero match count by ε.
 * Orders above the candidate's length have no n-grams at all and are left out of the mean
 * (sacreBLEU's "effective order" for sentence BLEU, Post 2018), so a short exact answer such as
 * {@code "Paris"} scores 1 rather than 0.1^¾. A candidate sharing no token with the reference scores 0
 * (smoothing is for missing higher-order matches, not for no overlap at all), as does an empty
 * candidate (1 when the reference is empty too). For candidates of at least 4 tokens this is the
 * definition NLTK's {@code sentence_bleu} implements with {@code SmoothingFunction().method1}
 * (not cross-checked against NLTK here: the tests use hand-computed values).
 */
final class SentenceBleu {

    /** Maximum n-gram order (BLEU-4). */
    static final int N = 4;
    /** Chen &amp; Cherry's method 1 pseudo-count for a zero match count (NLTK's default epsilon). */
    static final double EPSILON = 0.1;

    private SentenceBleu() {
    }

    static double score(List<String> candidate, List<String> reference) {
        int c = candidate.size();
        int r = reference.size();
        if (c == 0) {
            return r == 0 ? 1.0 : 0.0;
        }
        int order = Math.min(N, c); // N'
        double logSum = 0;
        for (int n = 1; n <= order; n++) {
            Map<List<String>, Integer> ref = ngrams(reference, n);
            int total = c - n + 1;
            int matched = 0;
            for (Map.Entry<List<String>, Integer> g : ngrams(candidate, n).entrySet()) {
                matched += Math.min(g.getValue(), ref.getOrDefault(g.getKey(), 0));
            }
            if (matched == 0 && n == 1) {
                return 0.0; // no token in common
            }
            double pn = matched > 0 ? (double) matched / total : EPSILON / total;
            logSum += Math.log(pn) / order;
        }
        double bp = c > r ? 1.0 : Math.exp(1.0 - (double) r / c);
        return bp * Math.exp(logSum);
    }

    /** Counts of the n-grams of {@code tokens}. */
    private static Map<List<String>, Integer> ngrams(List<String> tokens, int n) {
        Map<List<String>, Integer> counts = new HashMap<>();
        for (int i = 0; i + n <= tokens.size(); i++) {
            counts.merge(tokens.subList(i, i + n), 1, Integer::sum);
        }
        return counts;
    }
}
