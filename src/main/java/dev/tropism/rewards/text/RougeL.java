package dev.tropism.rewards.text;

import java.util.List;

/**
 * ROUGE-L F-measure of a candidate against one reference (Lin 2004, "ROUGE: A Package for Automatic
 * Evaluation of Summaries", §3.1, eq. 2–4), over tokens:
 *
 * <pre>
 *   R_lcs = LCS(X, Y) / m        m = |reference|
 *   P_lcs = LCS(X, Y) / n        n = |candidate|
 *   F_lcs = (1 + β²) R P / (R + β² P),   β = 1  (i.e. the harmonic mean 2PR / (P + R))
 * </pre>
 *
 * LCS is the longest common (not necessarily contiguous) subsequence, by the textbook O(n·m) dynamic
 * programme with two rows. β = 1 weighs precision and recall equally, as Google's {@code rouge-score}
 * package does; Lin's DUC setting (β → ∞) would ignore precision and reward padding. Two empty
 * sequences score 1.0; one empty sequence, or no common token, scores 0.
 */
final class RougeL {

    private RougeL() {
    }

    static double f1(List<String> candidate, List<String> reference) {
        int n = candidate.size();
        int m = reference.size();
        if (n == 0 || m == 0) {
            return n == m ? 1.0 : 0.0;
        }
        int lcs = lcs(candidate, reference);
        if (lcs == 0) {
            return 0.0;
        }
        double recall = (double) lcs / m;
        double precision = (double) lcs / n;
        return 2 * precision * recall / (precision + recall);
    }

    /** Length of the longest common subsequence; row {@code i} holds LCS(x[0..i), y[0..j)). */
    static int lcs(List<String> x, List<String> y) {
        int[] prev = new int[y.size() + 1];
        int[] cur = new int[y.size() + 1];
        for (int i = 1; i <= x.size(); i++) {
            for (int j = 1; j <= y.size(); j++) {
                cur[j] = x.get(i - 1).equals(y.get(j - 1)) ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[y.size()];
    }
}
