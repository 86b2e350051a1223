package dev.tropism.rewards.text;

import org.apache.commons.text.similarity.LevenshteinDistance;
import org.apache.commons.text.similarity.SimilarityInput;

/**
 * Normalized Levenshtein similarity over Unicode code points:
 * {@code ratio = 1 − d(a, b) / max(|a|, |b|)}, where d is the Levenshtein (1966) edit distance
 * (insertions, deletions and substitutions, each cost 1) and |·| counts code points, so an emoji or a
 * CJK extension character is one symbol, not two UTF-16 units. Two empty strings are identical: 1.0.
 *
 * <p>The distance is Apache Commons Text's {@link LevenshteinDistance} (the O(n·m) time, O(m) space
 * dynamic programme), applied to code-point sequences through its {@link SimilarityInput} interface.
 */
final class FuzzyRatio {

    private static final LevenshteinDistance LEVENSHTEIN = LevenshteinDistance.getDefaultInstance();

    private FuzzyRatio() {
    }

    static double ratio(String a, String b) {
        int[] x = a.codePoints().toArray();
        int[] y = b.codePoints().toArray();
        int longest = Math.max(x.length, y.length);
        if (longest == 0) {
            return 1.0;
        }
        int d = LEVENSHTEIN.apply(codePoints(x), codePoints(y));
        return 1.0 - (double) d / longest;
    }

    private static SimilarityInput<Integer> codePoints(int[] cps) {
        return new SimilarityInput<>() {
            @Override
            public Integer at(int index) {
                return cps[index];
            }

            @Override
            public int length() {
                return cps.length;
            }
        };
    }
}
