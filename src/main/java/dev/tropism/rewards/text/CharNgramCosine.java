package dev.tropism.rewards.text;

import java.util.HashMap;
import java.util.Map;
import org.apache.commons.text.similarity.CosineSimilarity;

/**
 * Cosine similarity of character n-gram count vectors (the character n-gram profile of Cavnar &amp;
 * Trenkle 1994, "N-Gram-Based Text Categorization", compared by cosine as in the vector space model,
 * Salton, Wong &amp; Yang 1975):
 *
 * <pre>
 *   v(s)[g] = number of occurrences of the n code points g in s   (overlapping windows)
 *   cos(a, b) = v(a)·v(b) / (‖v(a)‖ ‖v(b)‖)
 * </pre>
 *
 * Characters are Unicode code points. A non-empty string shorter than n is its own single gram, so
 * short answers still compare; identical strings score exactly 1.0 and one empty string scores 0. The cosine
 * itself is Apache Commons Text's {@link CosineSimilarity}.
 */
final class CharNgramCosine {

    /** Default n: trigrams, the usual choice for short-text character similarity. */
    static final int DEFAULT_N = 3;

    private static final CosineSimilarity COSINE = new CosineSimilarity();

    private CharNgramCosine() {
    }

    static double cosine(String a, String b, int n) {
        if (a.equals(b)) {
            return 1.0; // exactly, not 1 − 1e-16 from the square roots, so pass_threshold 1.0 holds
        }
        if (a.isEmpty() || b.isEmpty()) {
            return a.isEmpty() && b.isEmpty() ? 1.0 : 0.0;
        }
        return COSINE.cosineSimilarity(grams(a, n), grams(b, n));
    }

    /** The count vector of the code-point n-grams of {@code s}. */
    static Map<CharSequence, Integer> grams(String s, int n) {
        int[] cps = s.codePoints().toArray();
        Map<CharSequence, Integer> counts = new HashMap<>();
        if (cps.length < n) {
            counts.put(s, 1);
            return counts;
        }
        for (int i = 0; i + n <= cps.length; i++) {
            counts.merge(new String(cps, i, n), 1, Integer::sum);
        }
        return counts;
    }
}
