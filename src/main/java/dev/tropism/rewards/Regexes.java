package dev.tropism.rewards;

import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;

/**
 * Every regular expression a reward spec brings (the {@code regex} and {@code numeric} graders, the
 * {@code pattern} keyword of a {@code json} grader's schema) is compiled here, with RE2J: Google's
 * Java port of RE2 (Cox, "Regular Expression Matching Can Be Simple And Fast", 2007), which matches in
 * time linear in the input, so a pattern such as {@code (a+)+$} cannot backtrack catastrophically.
 *
 * <p>Linear in the input is not yet bounded: RE2J's pike VM costs O(input × program) and RE2J compiles
 * a counted repetition into that many copies of its operand, with no program-size limit (RE2's
 * {@code max_mem}). Measured here: {@code ((a{1000}){1000}){1000}} exhausts the heap while compiling,
 * {@code (a{1000}){1000}} takes about a minute on 100,000 chars, and even {@code (a{62}){62}$} (about
 * 4,000 instructions) takes 10 s on 100,000 chars. So a pattern
 * is bounded at compile time ({@link #MAX_PATTERN_LENGTH}, {@link #MAX_PROGRAM_SIZE} on the
 * {@link #programSize} estimate), and so is each input it is matched against: at most
 * {@link #WORK_BUDGET} / program size chars, and never more than {@link #MAX_INPUT_LENGTH}.
 */
public final class Regexes {

    /** Longest pattern accepted, in chars. Reward patterns are short; this keeps specs readable. */
    static final int MAX_PATTERN_LENGTH = 2_000;

    /** Largest {@link #programSize} accepted. */
    static final long MAX_PROGRAM_SIZE = 2_000;

    /** Longest input any pattern is matched against, in chars. */
    static final int MAX_INPUT_LENGTH = 100_000;

    /**
     * Input chars × program size allowed for one match: under half a second in the worst case (a pattern
     * that keeps every instruction's thread alive, such as {@code (a{43}){43}$} on a run of a's: 25 ns
     * per char and instruction measured here once the JIT has warmed up, 75 ns before). Patterns of up
     * to 50 instructions, which is most, get the full {@link #MAX_INPUT_LENGTH}; the largest get 2,500
     * chars.
     */
    static final long WORK_BUDGET = 5_000_000;

    /** Error kind of an input longer than its pattern may match. */
    public static final String INPUT_TOO_LONG = "input_too_long";

    /** A compiled pattern and the longest input it may be matched against. */
    public record Bounded(Pattern pattern, int maxInputLength) {

        /** A matcher over {@code text}; an {@code input_too_long} error when it is longer than allowed. */
        public Matcher matcher(String text) throws GradingException {
            if (text.length() > maxInputLength) {
                throw new GradingException(INPUT_TOO_LONG, "input is " + text.length() + " characters; this pattern "
                        + "is matched against at most " + maxInputLength);
            }
            return pattern.matcher(text);
        }
    }

    private Regexes() {
    }

    /**
     * Compiles {@code pattern} with RE2J {@code flags}.
     *
     * @throws IllegalArgumentException with a message for a user (RE2J's own syntax message, or why the
     *     pattern is too large)
     */
    public static Bounded compile(String pattern, int flags) {
        if (pattern.length() > MAX_PATTERN_LENGTH) {
            throw new IllegalArgumentException("pattern is " + pattern.length() + " characters; at most "
                    + MAX_PATTERN_LENGTH + " are allowed");
        }
        long size = programSize(pattern, MAX_PROGRAM_SIZE);
        if (size > MAX_PROGRAM_SIZE) {
            throw new IllegalArgumentException("pattern expands to more than " + MAX_PROGRAM_SIZE
                    + " instructions (counted repetitions multiply); simplify it");
        }
        try {
            Pattern compiled = Pattern.compile(pattern, flags);
            return new Bounded(compiled, (int) Math.min(MAX_INPUT_LENGTH, WORK_BUDGET / Math.max(1, size)));
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /**
     * An upper bound (up to a small constant) on the number of instructions RE2 compiles {@code pattern}
     * into, counting as RE2's compiler does: one per literal, class or assertion, one per {@code |} and
     * per {@code * + ?}, one per group, and {@code x{n,m}} as {@code max(n, m) + 1} copies of {@code x}.
     * It stops counting once the bound passes {@code limit}. Syntax errors are not its concern: it only
     * has to be large for every pattern that compiles large; RE2J reports the errors.
     */
    static long programSize(String pattern, long limit) {
        java.util.ArrayDeque<long[]> open = new java.util.ArrayDeque<>();
        long[] cur = new long[2]; // {size of the current group so far, size of its last atom}
        int n = pattern.length();
        int i = 0;
        while (i < n) {
            char c = pattern.charAt(i);
            switch (c) {
                case '\\' -> {
                    int end = skipEscape(pattern, i);
                    // \Q..\E quotes a run of literals; any other escape is one literal, class or assertion
                    atom(cur, pattern.startsWith("\\Q", i) ? Math.max(1, end - i) : 1);
                    i = end;
                }
                case '[' -> {
                    i = skipClass(pattern, i);
                    atom(cur, 1);
                }
                case '(' -> {
                    int flagsEnd = flagGroupEnd(pattern, i);
                    if (flagsEnd > 0) { // (?i) and the like set flags: no instruction
                        i = flagsEnd;
                        cur[1] = 0;
                    } else {
                        open.push(cur);
                        cur = new long[2];
                        i = groupBodyStart(pattern, i);
                    }
                }
                case ')' -> {
                    if (!open.isEmpty()) {
                        long group = cur[0] + 1;
                        cur = open.pop();
                        atom(cur, group);
                    }
                    i++;
                }
                case '|' -> {
                    cur[0]++;
                    cur[1] = 0;
                    i++;
                }
                case '*', '+', '?' -> {
                    cur[0]++;
                    i++;
                }
                case '{' -> {
                    int[] counts = new int[2];
                    int end = repeat(pattern, i, counts);
                    if (end < 0) {
                        atom(cur, 1); // a literal '{'
                        i++;
                    } else {
                        long copies = Math.max(counts[0], counts[1]) + 1L;
                        cur[0] += cur[1] * (copies - 1);
                        cur[1] *= copies;
                        i = end;
                    }
                }
                default -> {
                    atom(cur, 1);
                    i++;
                }
            }
            if (cur[0] > limit) { // sizes only grow, so the whole pattern is at least this large
                return cur[0];
            }
        }
        while (!open.isEmpty()) {
            long group = cur[0] + 1;
            cur = open.pop();
            atom(cur, group);
        }
        return cur[0];
    }

    private static void atom(long[] cur, long size) {
        cur[0] += size;
        cur[1] = size;
    }

    /** The index after the escape starting at {@code i} ({@code \x}, {@code \p{..}}, {@code \x{..}}, {@code \Q..\E}). */
    private static int skipEscape(String p, int i) {
        int n = p.length();
        if (i + 1 >= n) {
            return n;
        }
        char e = p.charAt(i + 1);
        if (e == 'Q') {
            int end = p.indexOf("\\E", i + 2);
            return end < 0 ? n : end + 2;
        }
        if ((e == 'p' || e == 'P' || e == 'x') && i + 2 < n && p.charAt(i + 2) == '{') {
            int end = p.indexOf('}', i + 3);
            return end < 0 ? n : end + 1;
        }
        return i + 2;
    }

    /** The index after the character class starting at {@code i}. */
    private static int skipClass(String p, int i) {
        int n = p.length();
        int j = i + 1;
        if (j < n && p.charAt(j) == '^') {
            j++;
        }
        if (j < n && p.charAt(j) == ']') { // a leading ']' is a literal
            j++;
        }
        while (j < n) {
            char c = p.charAt(j);
            if (c == '\\') {
                j = skipEscape(p, j);
            } else if (c == '[' && j + 1 < n && p.charAt(j + 1) == ':') {
                int end = p.indexOf(":]", j + 2);
                j = end < 0 ? j + 1 : end + 2;
            } else if (c == ']') {
                return j + 1;
            } else {
                j++;
            }
        }
        return n;
    }

    /** When {@code (} at {@code i} opens a flags-only group such as {@code (?i)}, the index after it; else -1. */
    private static int flagGroupEnd(String p, int i) {
        if (i + 1 >= p.length() || p.charAt(i + 1) != '?') {
            return -1;
        }
        int j = i + 2;
        while (j < p.length() && (Character.isLetter(p.charAt(j)) || p.charAt(j) == '-')) {
            j++;
        }
        return j < p.length() && p.charAt(j) == ')' && j > i + 2 ? j + 1 : -1;
    }

    /** The index of the first char of the group opened at {@code i}, after {@code ?:}, {@code ?P<name>} or {@code ?i:}. */
    private static int groupBodyStart(String p, int i) {
        if (i + 1 >= p.length() || p.charAt(i + 1) != '?') {
            return i + 1;
        }
        for (int j = i + 2; j < p.length(); j++) {
            char c = p.charAt(j);
            if (c == ':' || c == '>') {
                return j + 1;
            }
            if (!(Character.isLetterOrDigit(c) || c == '_' || c == '-' || c == '<' || c == 'P')) {
                return i + 1;
            }
        }
        return i + 1;
    }

    /**
     * When a well-formed counted repetition ({@code {n}}, {@code {n,}}, {@code {n,m}}) starts at {@code i},
     * its counts in {@code counts} and the index after it; else -1 (RE2 then reads a literal '{').
     */
    private static int repeat(String p, int i, int[] counts) {
        int j = i + 1;
        int n = p.length();
        int start = j;
        while (j < n && Character.isDigit(p.charAt(j)) && j - start < 9) {
            j++;
        }
        if (j == start || j >= n) {
            return -1;
        }
        counts[0] = Integer.parseInt(p.substring(start, j));
        counts[1] = counts[0];
        if (p.charAt(j) == '}') {
            return j + 1;
        }
        if (p.charAt(j) != ',') {
            return -1;
        }
        j++;
        int maxStart = j;
        while (j < n && Character.isDigit(p.charAt(j)) && j - maxStart < 9) {
            j++;
        }
        if (j >= n || p.charAt(j) != '}') {
            return -1;
        }
        if (j > maxStart) {
            counts[1] = Integer.parseInt(p.substring(maxStart, j));
        }
        return j + 1;
    }
}
